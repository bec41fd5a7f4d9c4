"""Accounts: roles, statuses and the models of the account processes."""

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.money import Money


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


class CareLinkStatus(StrEnum):
    """A patient's doctor: invited (pending), accepted (active), or closed."""

    pending = "pending"
    active = "active"
    declined = "declined"
    expired = "expired"


class InvitationStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    expired = "expired"


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


class DoctorRegistration(BaseModel):
    specialty: str = Field(min_length=2, max_length=80)
    license_number: str = Field(min_length=3, max_length=40)
