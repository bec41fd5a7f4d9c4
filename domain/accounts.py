"""Accounts: roles, statuses and the models of the account processes."""

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from domain.activity_ref import ActivityRef
from domain.money import Money
from domain.signal_ref import SignalRef
from domain.text import SingleLineText


class Role(StrEnum):
    patient = "patient"
    doctor = "doctor"
    pharmacist = "pharmacist"
    admin = "admin"


class AccountStatus(StrEnum):
    pending_email_validation = "pending_email_validation"
    email_validated = "email_validated"
    profile_completed = "profile_completed"
    active = "active"
    expired = "expired"


class VerificationStatus(StrEnum):
    """An admin's check of a doctor's or pharmacist's licence (domain/professionals.py)."""

    pending = "pending"
    verified = "verified"
    refused = "refused"


class Language(StrEnum):
    fr = "fr"
    en = "en"


class Sex(StrEnum):
    female = "female"
    male = "male"
    other = "other"


class Profile(BaseModel):
    timezone: str | None = None
    currency: str | None = None
    country: str | None = None
    city: str | None = None
    address_line: str | None = None
    phone: str | None = None
    date_of_birth: date | None = None
    sex: Sex | None = None
    language: Language | None = None


class Me(BaseModel):
    id: str
    esame_id: str
    email: str
    role: Role
    status: AccountStatus
    first_name: str
    last_name: str
    profile: Profile
    created_at: datetime | None = None
    # Doctors and pharmacists: an admin's check of their licence, `pending`, `verified`
    # or `refused` (with the reason); they act as professionals once verified.
    verification: VerificationStatus | None = None
    verification_reason: str | None = None


class CareLinkStatus(StrEnum):
    """A patient's doctor: invited (pending), accepted (active), or closed (declined,
    expired, or removed by the patient)."""

    pending = "pending"
    active = "active"
    declined = "declined"
    expired = "expired"
    removed = "removed"


# One live link per patient and doctor: asked (pending) or accepted (active); a partial
# unique index holds the rule (db/models/accounts.py).
LIVE_CARE_LINK = (CareLinkStatus.pending, CareLinkStatus.active)


class InvitationStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    expired = "expired"


class CareService(StrEnum):
    """The paid services a doctor may offer, one fee each (domain/care_services.py)."""

    opinion = "opinion"
    teleconsultation = "teleconsultation"
    office = "office"
    record_fill = "record_fill"


class DoctorFees(BaseModel):
    opinion: Money
    teleconsultation: Money
    office: Money
    record_fill: Money


class DoctorDirectoryEntry(BaseModel):
    id: str
    first_name: str
    last_name: str
    specialty: str
    city: str | None = None
    fees: DoctorFees
    services: list[CareService] = Field(
        default_factory=list, description="The paid services offered: those with a fee set "
        "(above 0). A doctor without fees is listed, and offered for no paid service.")


class DoctorRegistration(BaseModel):
    specialty: Annotated[SingleLineText, Field(min_length=2, max_length=80)]
    license_number: Annotated[SingleLineText, Field(min_length=3, max_length=40)]


# --- Account validation process ---------------------------------------------------------

class AccountTimings(BaseModel):
    """The durations of the account process, from settings (workflows cannot read them)."""

    validation_reminder_after: timedelta
    validation_expires_after: timedelta
    profile_reminder_after: timedelta
    verification_code_ttl: timedelta
    verification_max_attempts: int
    registration_commit_timeout: timedelta


class AccountValidationInput(BaseModel):
    user_id: str
    timings: AccountTimings


class AccountOutcome(BaseModel):
    user_id: str
    status: AccountStatus


class AccountState(BaseModel):
    """The answer of every account update: where the account stands now."""

    status: AccountStatus
    code_verified: bool = False
    consent_given: bool = False


class ValidateEmail(BaseModel):
    pass


class ProfileSaved(BaseModel):
    pass


class SubmitCode(BaseModel):
    code: str


class ResendCode(BaseModel):
    pass


class GiveConsent(BaseModel):
    share_medical_data: bool = True


# Activity inputs and outputs.

class OpenAccount(BaseModel):
    user_id: str


class AccountOpened(BaseModel):
    user_id: str
    role: Role
    pharmacy_id: str | None = None


class SendValidationLink(BaseModel):
    user_id: str
    reminder: bool = False
    expires_at: datetime


class SendProfileReminder(BaseModel):
    user_id: str


class SendVerificationCode(BaseModel):
    user_id: str
    generation: int
    expires_at: datetime


class CheckVerificationCode(BaseModel):
    user_id: str
    code: str


class CodeCheck(BaseModel):
    matches: bool


class SetAccountStatus(BaseModel):
    user_id: str
    status: AccountStatus


class RecordConsent(BaseModel):
    user_id: str


class RecordCodeVerified(BaseModel):
    user_id: str


class ExpireAccount(BaseModel):
    user_id: str


class FindPendingInvitations(BaseModel):
    user_id: str


class PendingInvitations(BaseModel):
    invitation_ids: list[str]


class Done(BaseModel):
    """Output of an activity that only does something."""

    changed: bool = True


# --- "This email already has an account" notice -----------------------------------------

class AccountExistsNoticeInput(BaseModel):
    user_id: str
    day: date


class SendAccountExistsNotice(BaseModel):
    user_id: str
    day: date


# --- Friend invitations -----------------------------------------------------------------

class InvitationTimings(BaseModel):
    reminder_after: timedelta
    expires_after: timedelta


class InvitationInput(BaseModel):
    invitation_id: str
    inviter_id: str
    timings: InvitationTimings


class InvitationAccepted(BaseModel):
    user_id: str


class InvitationOutcome(BaseModel):
    invitation_id: str
    status: InvitationStatus


class SendPlatformInvitation(BaseModel):
    invitation_id: str
    reminder: bool = False
    expires_at: datetime


class CloseInvitation(BaseModel):
    invitation_id: str
    status: InvitationStatus
    accepted_user_id: str | None = None


class InvitationView(BaseModel):
    id: str
    email: str
    status: InvitationStatus
    created_at: datetime
    closed_at: datetime | None = None


# --- A patient's doctors ----------------------------------------------------------------

class DoctorLinkTimings(BaseModel):
    reminder_after: timedelta
    expires_after: timedelta


class DoctorLinkInput(BaseModel):
    link_id: str
    patient_id: str
    doctor_id: str
    timings: DoctorLinkTimings
    # A run started for a link already accepted, whose first run ended with the answer
    # (before links stayed open): it only waits for the link to end.
    already_active: bool = False


class DoctorDecision(BaseModel):
    doctor_id: str


class DoctorLinkState(BaseModel):
    status: CareLinkStatus


class RemoveDoctor(BaseModel):
    """The patient takes the doctor out of their list (the `remove` update)."""

    patient_id: str


class NotifyDoctorOfInvitation(BaseModel):
    link_id: str
    reminder: bool = False
    expires_at: datetime


class SetCareLinkStatus(BaseModel):
    link_id: str
    status: CareLinkStatus


class EndCareLink(BaseModel):
    link_id: str


class NotifyPatientOfDecision(BaseModel):
    link_id: str
    status: CareLinkStatus


class MyDoctor(BaseModel):
    """A doctor in the patient's list (the id is the link's)."""

    id: str
    doctor_id: str
    first_name: str
    last_name: str
    specialty: str
    city: str | None = None
    status: CareLinkStatus
    created_at: datetime


class DoctorInvitationView(BaseModel):
    """A patient's request, as the doctor sees it."""

    id: str
    patient_id: str
    patient_esame_id: str
    first_name: str
    last_name: str
    status: CareLinkStatus
    created_at: datetime


# --- activity references (name, input, output) ------------------------------------------

OPEN_ACCOUNT = ActivityRef("open_account", OpenAccount, AccountOpened)
SEND_VALIDATION_LINK = ActivityRef("send_validation_link", SendValidationLink, Done)
SEND_PROFILE_REMINDER = ActivityRef("send_profile_reminder", SendProfileReminder, Done)
SEND_VERIFICATION_CODE = ActivityRef("send_verification_code", SendVerificationCode, Done)
CHECK_VERIFICATION_CODE = ActivityRef("check_verification_code", CheckVerificationCode, CodeCheck)
RECORD_CODE_VERIFIED = ActivityRef("record_code_verified", RecordCodeVerified, Done)
RECORD_CONSENT = ActivityRef("record_consent", RecordConsent, Done)
SET_ACCOUNT_STATUS = ActivityRef("set_account_status", SetAccountStatus, Done)
EXPIRE_ACCOUNT = ActivityRef("expire_account", ExpireAccount, Done)
FIND_PENDING_INVITATIONS = ActivityRef(
    "find_pending_invitations", FindPendingInvitations, PendingInvitations)
SEND_ACCOUNT_EXISTS_NOTICE = ActivityRef(
    "send_account_exists_notice", SendAccountExistsNotice, Done)
SEND_PLATFORM_INVITATION = ActivityRef("send_platform_invitation", SendPlatformInvitation, Done)
CLOSE_INVITATION = ActivityRef("close_invitation", CloseInvitation, Done)
NOTIFY_DOCTOR_OF_INVITATION = ActivityRef(
    "notify_doctor_of_invitation", NotifyDoctorOfInvitation, Done)
SET_CARE_LINK_STATUS = ActivityRef("set_care_link_status", SetCareLinkStatus, Done)
END_CARE_LINK = ActivityRef("end_care_link", EndCareLink, Done)
NOTIFY_PATIENT_OF_DECISION = ActivityRef(
    "notify_patient_of_decision", NotifyPatientOfDecision, Done)

# --- signal references (name, input) ----------------------------------------------------

# The account process tells an invitation to its address that the address registered.
ACCEPT_INVITATION = SignalRef("accept", InvitationAccepted)
