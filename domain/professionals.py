"""Professional verification: a doctor or pharmacist acts as one (is listed, invited,
answers, prescribes, quotes) only once an admin has checked their licence."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field, field_validator

from domain.accounts import Role, VerificationStatus
from domain.activity_ref import ActivityRef

PROFESSIONAL_ROLES = (Role.doctor, Role.pharmacist)


def is_professional(role: str) -> bool:
    return role in (r.value for r in PROFESSIONAL_ROLES)


def professional_verification_workflow_id(user_id: str) -> str:
    return f"professional-verification-{user_id}"


class ProfessionalView(BaseModel):
    """A professional as the admins see them, to check the licence."""

    user_id: str
    role: Role
    first_name: str
    last_name: str
    email: str
    specialty: str | None = None
    license_number: str | None = None
    pharmacy_id: str | None = None
    pharmacy_name: str | None = None
    verification: VerificationStatus
    submitted_at: datetime
    decided_at: datetime | None = None
    reason: str | None = Field(default=None, description="Why the licence was refused.")
    account_status: str = Field(description="The account's own status (validation, "
                                            "profile, code, consent), apart from this check.")


class RefusalIn(BaseModel):
    reason: str = Field(max_length=500, description="Told to the professional by email.")

    @field_validator("reason")
    @classmethod
    def _says_something(cls, value: str) -> str:
        value = value.strip()
        if len(value) < 3:
            raise ValueError("say why the licence is refused (3 characters at least)")
        return value


# --- ProfessionalVerificationWorkflow (`professional-verification-<user id>`) ------------

class VerificationTimings(BaseModel):
    """From settings (workflows read no configuration)."""

    # The admins are reminded of a licence still unchecked after this long, and again
    # after as long, until one decides or the account is gone.
    admin_reminder_after: timedelta
    registration_commit_timeout: timedelta


class ProfessionalVerificationInput(BaseModel):
    user_id: str
    role: Role
    timings: VerificationTimings
    # Carried over a continue-as-new: reminders already sent (their emails' keys).
    reminders_sent: int = 0


class VerificationDecision(BaseModel):
    """An admin's decision (an Update); `reason` for a refusal, told to the professional."""

    admin_id: str
    reason: str | None = None


class VerificationState(BaseModel):
    status: VerificationStatus


class VerificationOutcome(BaseModel):
    user_id: str
    status: VerificationStatus
    # The account expired (its email never validated) before anyone decided.
    account_closed: bool = False


class OpenVerification(BaseModel):
    user_id: str


class VerificationOpened(BaseModel):
    status: VerificationStatus


class RemindAdmins(BaseModel):
    user_id: str
    reminder: int


class AdminsReminded(BaseModel):
    account_open: bool
    admins: int = 0


class RecordVerification(BaseModel):
    user_id: str
    status: VerificationStatus
    admin_id: str
    reason: str | None = None


class NotifyProfessional(BaseModel):
    user_id: str
    status: VerificationStatus


class VerificationDone(BaseModel):
    changed: bool = True


OPEN_VERIFICATION = ActivityRef("open_verification", OpenVerification, VerificationOpened)
REMIND_ADMINS_OF_VERIFICATION = ActivityRef(
    "remind_admins_of_verification", RemindAdmins, AdminsReminded)
RECORD_VERIFICATION = ActivityRef("record_verification", RecordVerification, VerificationDone)
NOTIFY_PROFESSIONAL_OF_VERIFICATION = ActivityRef(
    "notify_professional_of_verification", NotifyProfessional, VerificationDone)
