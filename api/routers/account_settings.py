"""Account settings: my details, my password, and a password reset by email link.

Details and the password are plain data edited here; a password change raises the
account's session version, which ends every session opened before. A reset is a process
of its own (`password-reset-<id>`, api/password_reset_process.py): its link expires on a
timer and is used through an Update.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select, update
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.deps import CurrentUser, SessionDep, SessionMakerDep, SettingsDep, TemporalClient
from api.password_reset_process import redeem_password_reset, start_password_reset
from api.problems import Problem
from api.routers.accounts import me_view
from api.workflow_errors import problem_from_temporal
from core.security import hash_password, hash_secret, verify_password
from db.models import PasswordReset, PasswordResetAttempt, User
from db.queries.rate_limits import clear_events, count_recent, record_event
from domain.accounts import Language, Me
from domain.contact import PhoneNumber
from domain.password_resets import PasswordResetStatus
from domain.text import SingleLineText

me_settings_router = APIRouter(prefix="/api/v1/me", tags=["account settings"])
reset_router = APIRouter(prefix="/api/v1/auth/password-reset", tags=["account settings"])

Password = Field(min_length=8, max_length=128)


# --- my details -------------------------------------------------------------------------

class AccountUpdate(BaseModel):
    """The fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    first_name: Annotated[SingleLineText, Field(max_length=100)] | None = None
    last_name: Annotated[SingleLineText, Field(max_length=100)] | None = None
    phone: PhoneNumber | None = None
    city: Annotated[SingleLineText, Field(max_length=100)] | None = None
    address_line: Annotated[SingleLineText, Field(max_length=300)] | None = None
    language: Language | None = None
    timezone: str | None = Field(default=None, description="Fixed once the profile is saved: "
                                                          "only the saved value is accepted.")
    currency: str | None = Field(default=None, description="Fixed like `timezone`.")



_FIXED = ("timezone", "currency")


@me_settings_router.patch(
    "", response_model=Me,
    responses={409: {"description": "timezone or currency sent with another value than "
                                    "the saved one"},
               422: {"description": "a bad value, a field that cannot be changed here, or "
                                    "null for a field"}})
async def update_me(body: AccountUpdate, user: CurrentUser, session: SessionDep) -> Me:
    """Change the account's details (names, phone, city, address, language)."""
    given = body.model_dump(include=body.model_fields_set)
    emptied = [name for name, value in given.items() if value is None]
    if emptied:
        raise Problem(422, "Leave a field out to keep it; it cannot be emptied.",
                      errors=[{"field": name, "message": "cannot be null"} for name in emptied])
    for field in _FIXED:
        if field not in given:
            continue
        saved = getattr(user, field)
        value = given.pop(field)
        if saved is None:
            raise Problem(409, f"Your {field} is set with your profile (PUT /api/v1/me/profile).")
        if (value.strip().upper() if field == "currency" else value.strip()) != saved:
            raise Problem(409, f"Your {field} is fixed once saved ({saved}).")
    for field, value in given.items():
        setattr(user, field, value.value if isinstance(value, Language) else value)
    await session.commit()
    return me_view(user)


# --- my password ------------------------------------------------------------------------

class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Password


@me_settings_router.post(
    "/password", status_code=204, response_class=Response,
    responses={400: {"description": "the current password is wrong"},
               429: {"description": "too many wrong current passwords: try later"}})
async def change_password(
    body: PasswordChange, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """Change the password; every token issued before stops working.

    Every token issued before (this one included) stops working: sign in again with the
    new password."""
    limits = settings.limits
    key = f"password-change:{user.id}"
    if await count_recent(session, key, limits.login_window) >= limits.login_failures_per_window:
        raise Problem(429, "Too many wrong passwords. Try again later.",
                      headers={"Retry-After": str(int(limits.login_window.total_seconds()))})
    # argon2 holds a core for a tenth of a second: off the event loop.
    if not await asyncio.to_thread(verify_password, body.current_password, user.password_hash):
        await record_event(session, key)
        await session.commit()
        raise Problem(400, "The current password is wrong.")
    if body.new_password == body.current_password:
        raise Problem(422, "Choose a new password.",
                      errors=[{"field": "new_password", "message": "same as the current one"}])
    new_hash = await asyncio.to_thread(hash_password, body.new_password)
    await session.execute(update(User).where(User.id == user.id).values(
        password_hash=new_hash, session_version=User.session_version + 1))
    await clear_events(session, key)
    await session.commit()
    return Response(status_code=204)


# --- password reset by email link -------------------------------------------------------

class ResetRequest(BaseModel):
    # Not EmailStr: the address only has to match an account's, and the demo accounts'
    # (@esame.local) are in a domain that email validation refuses.
    email: str = Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$",
                       examples=["patient@esame.local"])


class ResetRequested(BaseModel):
    status: Literal["requested"] = "requested"
    detail: str = "If an account has this address, a link to reset its password is on its way."


class ResetConfirmation(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = Password


@reset_router.post("", status_code=202, response_model=ResetRequested,
                   responses={429: {"description": "too many requests for this address or "
                                                   "from this client"}})
async def request_password_reset(
    body: ResetRequest, request: Request, background: BackgroundTasks, session: SessionDep,
    sessions: SessionMakerDep, settings: SettingsDep, temporal: TemporalClient,
) -> ResetRequested:
    """Ask for a password reset link by email.

    The same answer whether or not the address has an account: the requests are counted
    either way, and the account is looked up and the link sent after the answer."""
    email = body.email.strip().lower()
    client = request.client.host if request.client else "unknown"
    limits = settings.limits
    counted = ((f"password-reset:address:{email}", limits.password_resets_per_address),
               (f"password-reset:client:{client}", limits.password_resets_per_client))
    for key, limit in counted:
        if await count_recent(session, key, limits.password_reset_window) >= limit:
            raise Problem(429, "Too many password reset requests. Try again later.",
                          headers={"Retry-After": str(int(
                              limits.password_reset_window.total_seconds()))})
    for key, _ in counted:
        await record_event(session, key)
    await session.commit()
    background.add_task(start_password_reset, sessions, temporal, settings, email)
    return ResetRequested()


@reset_router.post("/confirm", status_code=204, response_class=Response,
                   responses={400: {"description": "a wrong, used, replaced or expired link"}})
async def confirm_password_reset(
    body: ResetConfirmation, session: SessionDep, temporal: TemporalClient
) -> Response:
    """Set the new password; every session opened before ends."""
    reset = await session.scalar(select(PasswordReset).where(
        PasswordReset.token_hash == hash_secret(body.token.strip())))
    if reset is None:
        raise Problem(400, "This link is wrong or has expired.")
    if reset.status != PasswordResetStatus.pending:
        raise Problem(400, {
            PasswordResetStatus.used: "This link was already used.",
            PasswordResetStatus.superseded: "A newer link was sent: use the latest one.",
        }.get(PasswordResetStatus(reset.status), "This link has expired."))
    # The new password's hash goes in a row of this attempt, never through Temporal; the
    # process applies it, or refuses, in the Update below.
    attempt = PasswordResetAttempt(
        reset_id=reset.id,
        password_hash=await asyncio.to_thread(hash_password, body.new_password))
    session.add(attempt)
    await session.commit()
    try:
        await redeem_password_reset(temporal, reset.id, attempt.id)
    except (WorkflowUpdateFailedError, RPCError) as err:
        await session.execute(delete(PasswordResetAttempt).where(
            PasswordResetAttempt.id == attempt.id))
        await session.commit()
        problem = problem_from_temporal(err, closed_detail="This link has expired.")
        if problem.detail == "This link has expired.":
            problem = Problem(400, problem.detail)
        raise problem from err
    return Response(status_code=204)


routers = [me_settings_router, reset_router]
