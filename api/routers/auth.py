"""Sign-in: the OAuth2 password flow, rate-limited, with no account enumeration."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlalchemy import select

from api.deps import SessionDep, SettingsDep
from api.problems import Problem
from core.security import DUMMY_PASSWORD_HASH, create_access_token, verify_password
from db.models import User
from db.queries.rate_limits import clear_events, count_recent, record_event
from domain.accounts import AccountStatus

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post("/token", response_model=Token, responses={
    401: {"description": "Wrong email or password."},
    429: {"description": "Too many failed sign-ins for this email: wait (Retry-After)."}})
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    """Sign in with email and password (OAuth2 password form): a bearer token."""
    email = form.username.strip().lower()
    limit_key = f"login:{email}"
    if await count_recent(session, limit_key, settings.limits.login_window) >= (
        settings.limits.login_failures_per_window
    ):
        retry_after = str(int(settings.limits.login_window.total_seconds()))
        raise Problem(429, "Too many failed sign-ins. Try again later.",
                      headers={"Retry-After": retry_after})
    user = await session.scalar(select(User).where(User.email == email))
    stored_hash = user.password_hash if user else DUMMY_PASSWORD_HASH
    # argon2 holds a core for a tenth of a second: off the event loop.
    password_ok = await asyncio.to_thread(verify_password, form.password, stored_hash)
    if user is None or not password_ok or user.status == AccountStatus.expired:
        await record_event(session, limit_key)
        await session.commit()
        raise Problem(401, "Wrong email or password.", headers={"WWW-Authenticate": "Bearer"})
    await clear_events(session, limit_key)
    await session.commit()
    return Token(
        access_token=create_access_token(
            settings.secret_key, user.id, user.role, settings.access_token_ttl,
            user.session_version,
        )
    )
