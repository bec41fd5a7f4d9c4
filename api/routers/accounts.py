"""Accounts: registration, email validation, my account and profile, code and consent.

The account's status belongs to its workflow (`account-<id>`): these routes save plain data
(the profile) and tell the workflow, through Updates, what the user did.
"""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from fastapi import APIRouter
from pydantic import BaseModel, EmailStr, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.account_processes import (
    account_handle,
    commit_then_start,
    notify_account_exists,
    start_account_validation,
)
from api.deps import CurrentUser, SessionDep, SettingsDep, TemporalClient
from api.problems import Problem
from api.professional_processes import start_professional_verification
from api.workflow_errors import problem_from_temporal
from core.security import create_access_token, hash_password, hash_secret
from db.base import utcnow
from db.models import DoctorProfile, Pharmacy, ProfessionalVerification, User
from db.queries.professionals import verification_of
from db.queries.rate_limits import count_recent, record_event
from domain.accounts import (
    AccountState,
    AccountStatus,
    DoctorRegistration,
    GiveConsent,
    Language,
    Me,
    Profile,
    ProfileSaved,
    ResendCode,
    Role,
    Sex,
    SubmitCode,
    ValidateEmail,
)
from domain.contact import CountryCode, PhoneNumber
from domain.dates import PastDate
from domain.errors import InvalidField
from domain.ids import new_esame_id
from domain.money import SUPPORTED_CURRENCIES, supported_currency
from domain.professionals import VerificationStatus, is_professional
from domain.text import SingleLineText

log = logging.getLogger(__name__)
auth_router = APIRouter(prefix="/api/v1/auth", tags=["accounts"])
me_router = APIRouter(prefix="/api/v1/me", tags=["accounts"])

_TIMEZONES = frozenset(available_timezones())


# --- registration and email validation --------------------------------------------------

class RegistrableRole(StrEnum):
    """The roles one registers with (admins are made by staff)."""

    patient = Role.patient.value
    doctor = Role.doctor.value
    pharmacist = Role.pharmacist.value


class Registration(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=128)
    role: RegistrableRole
    first_name: Annotated[SingleLineText, Field(max_length=100)]
    last_name: Annotated[SingleLineText, Field(max_length=100)]
    language: Language = Language.fr
    doctor: DoctorRegistration | None = None
    pharmacy_id: Annotated[SingleLineText, Field(max_length=32)] | None = None

    @model_validator(mode="after")
    def _role_details(self) -> Registration:
        if self.role == Role.doctor and self.doctor is None:
            raise InvalidField("doctor", "a doctor registers with doctor: {specialty, "
                                         "license_number}")
        if self.role == Role.pharmacist and not self.pharmacy_id:
            raise InvalidField("pharmacy_id", "a pharmacist registers with the pharmacy_id of "
                                              "their pharmacy")
        return self


class RegistrationAccepted(BaseModel):
    status: Literal["pending_email_validation"] = "pending_email_validation"


class EmailValidation(BaseModel):
    token: str = Field(min_length=1, max_length=200)


class EmailValidated(BaseModel):
    """The address is validated, and the link signed its owner in: following it proves the
    mailbox as a password reset would, so the client goes on to the profile at once."""

    status: Literal["email_validated"] = "email_validated"
    access_token: str
    token_type: Literal["bearer"] = "bearer"


@auth_router.post("/register", status_code=202, response_model=RegistrationAccepted)
async def register(
    body: Registration, session: SessionDep, settings: SettingsDep, temporal: TemporalClient
) -> RegistrationAccepted:
    """Create an account (patient, doctor or pharmacist) and send the email validation link."""
    email = body.email.strip().lower()
    # Hashed whether or not the address is taken, so both answers take as long; in a
    # thread, since argon2 takes a core for a tenth of a second and would stall the loop.
    password_hash = await asyncio.to_thread(hash_password, body.password)
    if body.role == Role.pharmacist and await session.get(Pharmacy, body.pharmacy_id) is None:
        raise Problem(422, "The request has invalid fields.",
                      errors=[{"location": "body",
                               "field": "pharmacy_id", "message": "no such pharmacy"}])
    owner = await session.scalar(select(User).where(User.email == email))
    if owner is not None:
        if owner.status == AccountStatus.pending_email_validation:
            # Heals an account whose process never started (the API died between its
            # commit and the start); a no-op for a running one (USE_EXISTING).
            try:
                await start_account_validation(temporal, settings, owner)
            except Exception as err:
                raise Problem(503, "Registration is unavailable right now; try again.") from err
        await notify_account_exists(temporal, settings, owner, utcnow().date())
        return RegistrationAccepted()

    user = User(
        esame_id=new_esame_id(), email=email, password_hash=password_hash,
        role=body.role.value, status=AccountStatus.pending_email_validation.value,
        first_name=body.first_name.strip(), last_name=body.last_name.strip(),
        language=body.language.value,
        pharmacy_id=body.pharmacy_id if body.role == Role.pharmacist else None,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        # Registered a moment ago by a concurrent request: the same answer as a taken one.
        await session.rollback()
        return RegistrationAccepted()
    created: list[object] = [user]
    if body.role == Role.doctor and body.doctor is not None:
        profile = DoctorProfile(user_id=user.id, specialty=body.doctor.specialty.strip(),
                                license_number=body.doctor.license_number.strip(),
                                listed=False)
        session.add(profile)
        created.insert(0, profile)
    professional = is_professional(user.role)
    if professional:
        # Listed, and acting as a professional, once an admin has checked the licence.
        verification = ProfessionalVerification(
            user_id=user.id, status=VerificationStatus.pending.value)
        session.add(verification)
        created.insert(0, verification)
    await commit_then_start(
        session, lambda: start_account_validation(temporal, settings, user), *created)
    if professional:
        try:
            await start_professional_verification(temporal, settings, user)
        except Exception:
            # The account is whole; the check's process starts with the admin's decision.
            log.warning("the verification of %s did not start", user.id, exc_info=True)
    return RegistrationAccepted()


@auth_router.post("/validate-email", response_model=EmailValidated,
                  responses={400: {"description": "wrong, used or expired token"}})
async def validate_email(
    body: EmailValidation, session: SessionDep, settings: SettingsDep, temporal: TemporalClient
) -> EmailValidated:
    """Validate the email address with the link's token, and sign in."""
    user = await session.scalar(
        select(User).where(User.validation_token_hash == hash_secret(body.token.strip())))
    if user is None or user.status == AccountStatus.expired:
        raise Problem(400, "This link is wrong or has expired.")
    if user.status != AccountStatus.pending_email_validation:
        raise Problem(400, "This link was already used.")
    await _update(account_handle(temporal, user.id), "validate_email", ValidateEmail(),
                  closed_status=400, closed_detail="This link has expired.")
    return EmailValidated(access_token=create_access_token(
        settings.secret_key, user.id, user.role, settings.access_token_ttl,
        user.session_version))


# --- my account -----------------------------------------------------------------------

class ProfileUpdate(BaseModel):
    timezone: str = Field(examples=["Africa/Douala"], description="IANA time zone")
    currency: str = Field(examples=["XAF"], json_schema_extra={"enum": list(
        SUPPORTED_CURRENCIES)})
    country: CountryCode
    city: Annotated[SingleLineText, Field(max_length=100)]
    address_line: Annotated[SingleLineText, Field(max_length=300)]
    phone: PhoneNumber
    date_of_birth: PastDate | None = None
    sex: Sex | None = None
    language: Language | None = None

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        if value not in _TIMEZONES:
            raise ValueError("must be an IANA time zone, such as Africa/Douala")
        return value

    @field_validator("currency")
    @classmethod
    def _supported_currency(cls, value: str) -> str:
        return supported_currency(value.strip().upper())


class VerificationCode(BaseModel):
    code: str = Field(pattern=r"^\s*\d{6}\s*$", examples=["123456"])


class Consent(BaseModel):
    share_medical_data: Literal[True] = Field(
        description="Consent to share medical data with the doctors one chooses.")


def me_view(user: User, verification: ProfessionalVerification | None = None) -> Me:
    return Me(
        id=user.id, esame_id=user.esame_id, email=user.email or user.expired_email or "",
        role=Role(user.role), status=AccountStatus(user.status), first_name=user.first_name,
        last_name=user.last_name, created_at=user.created_at,
        profile=Profile(
            timezone=user.timezone, currency=user.currency, country=user.country,
            city=user.city, address_line=user.address_line, phone=user.phone,
            date_of_birth=user.date_of_birth, sex=Sex(user.sex) if user.sex else None,
            language=Language(user.language),
        ),
        verification=VerificationStatus(verification.status) if verification else None,
        verification_reason=verification.reason if verification else None,
    )


@me_router.get("", response_model=Me)
async def get_me(user: CurrentUser, session: SessionDep) -> Me:
    """The signed-in account: identity, status and profile."""
    return me_view(user, await verification_of(session, user.id))


@me_router.put("/profile", response_model=Me,
               responses={409: {"description": "email not validated, or a fixed field changed"}})
async def save_profile(
    body: ProfileUpdate, user: CurrentUser, session: SessionDep, temporal: TemporalClient
) -> Me:
    """Save the profile; the first time, the verification code is sent."""
    if user.status == AccountStatus.pending_email_validation:
        raise Problem(409, "Validate your email address first.")
    for field in ("timezone", "currency"):
        saved = getattr(user, field)
        if saved is not None and saved != getattr(body, field):
            raise Problem(409, f"Your {field} is fixed once saved ({saved}).")
    for field, value in body.model_dump(exclude_none=True).items():
        setattr(user, field, value.value if hasattr(value, "value") else value)
    user.profile_saved_at = user.profile_saved_at or utcnow()
    await session.commit()
    if user.status in (AccountStatus.email_validated, AccountStatus.profile_completed):
        # The process sends the code once it knows; it answers when the code is sent.
        await _update(account_handle(temporal, user.id), "profile_saved", ProfileSaved())
        await session.refresh(user)
    return me_view(user, await verification_of(session, user.id))


@me_router.post("/verification", response_model=AccountState,
                responses={400: {"description": "wrong or expired code"},
                           429: {"description": "too many wrong codes: ask for a new one"}})
async def verify_code(
    body: VerificationCode, user: CurrentUser, temporal: TemporalClient
) -> AccountState:
    """Submit the verification code sent when the profile was saved."""
    _require_process(user)
    return await _update(account_handle(temporal, user.id), "submit_code",
                         SubmitCode(code=body.code.strip()))


@me_router.post("/verification/resend", response_model=AccountState,
                responses={429: {"description": "too many codes asked for"}})
async def resend_code(
    user: CurrentUser, session: SessionDep, settings: SettingsDep, temporal: TemporalClient
) -> AccountState:
    """Send a new verification code."""
    _require_process(user)
    limits = settings.limits
    key = f"verification-resend:{user.id}"
    if await count_recent(session, key, limits.verification_resend_window) >= (
        limits.verification_resends_per_window
    ):
        raise Problem(429, "Too many codes asked for. Try again later.",
                      headers={"Retry-After": str(int(
                          limits.verification_resend_window.total_seconds()))})
    await record_event(session, key)
    await session.commit()
    return await _update(account_handle(temporal, user.id), "resend_code", ResendCode())


@me_router.post("/consent", response_model=AccountState)
async def give_consent(body: Consent, user: CurrentUser, temporal: TemporalClient) -> AccountState:
    """Consent to share medical data with the doctors one chooses."""
    if user.status == AccountStatus.active:
        return AccountState(status=AccountStatus.active, code_verified=True, consent_given=True)
    return await _update(account_handle(temporal, user.id), "give_consent",
                         GiveConsent(share_medical_data=body.share_medical_data))


def _require_process(user: User) -> None:
    if user.status == AccountStatus.active:
        raise Problem(409, "Your account is already active.")
    if user.status != AccountStatus.profile_completed:
        raise Problem(409, "Save your profile first: it sends the code.")


async def _update(handle: Any, update: str, arg: BaseModel, *, closed_status: int = 409,
                  closed_detail: str = "This account process is over.") -> AccountState:
    try:
        result = await handle.execute_update(update, arg, result_type=AccountState)
    except (WorkflowUpdateFailedError, RPCError) as err:
        problem = problem_from_temporal(err, closed_detail=closed_detail)
        if problem.detail == closed_detail and problem.status == 409:
            problem = Problem(closed_status, closed_detail)
        raise problem from err
    assert isinstance(result, AccountState)
    return result


routers = [auth_router, me_router]
