"""People: users and their profile, doctors, pharmacies, a patient's doctors, invitations."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, created_at_column, id_column, utcnow
from db.one_at_a_time import one_live_per
from domain.accounts import LIVE_CARE_LINK

LIVE_CARE_LINK_PER_PAIR = "uq_care_links_live_per_pair"
INVITATION_PER_ADDRESS = "uq_invitations_inviter_id"


class Pharmacy(Base):
    __tablename__ = "pharmacies"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    address_line: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = id_column()
    esame_id: Mapped[str] = mapped_column(String(16), unique=True)
    # NULL once an unvalidated account expires: the address is free to register again.
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    expired_email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(32), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(2), default="fr")
    pharmacy_id: Mapped[str | None] = mapped_column(ForeignKey("pharmacies.id"))

    # Profile (plain data, edited by the API; timezone and currency fixed once saved).
    timezone: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str | None] = mapped_column(String(3))
    country: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(100))
    address_line: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(32))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(10))
    profile_saved_at: Mapped[datetime | None] = mapped_column()

    # Secrets of the account process: only their hashes (migration 0002_accounts).
    validation_token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    verification_code_hash: Mapped[str | None] = mapped_column(String(64))
    code_verified_at: Mapped[datetime | None] = mapped_column()
    # In every access token ("sv"); a password change or reset raises it, which ends every
    # session opened before (migration 0160_account_settings).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    email_validated_at: Mapped[datetime | None] = mapped_column()
    phone_verified_at: Mapped[datetime | None] = mapped_column()
    consent_at: Mapped[datetime | None] = mapped_column()
    activated_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    doctor: Mapped["DoctorProfile | None"] = relationship(back_populates="user", lazy="raise")


class DoctorProfile(Base):
    __tablename__ = "doctor_profiles"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    specialty: Mapped[str] = mapped_column(String(80), index=True)
    license_number: Mapped[str] = mapped_column(String(40))
    city: Mapped[str | None] = mapped_column(String(100))
    fee_currency: Mapped[str] = mapped_column(String(3), default="XAF")
    fee_opinion: Mapped[int] = mapped_column(Integer, default=0)
    fee_teleconsultation: Mapped[int] = mapped_column(Integer, default=0)
    fee_office: Mapped[int] = mapped_column(Integer, default=0)
    fee_record_fill: Mapped[int] = mapped_column(Integer, default=0)
    # Listed in the directory once the account is active.
    listed: Mapped[bool] = mapped_column(default=False)
    # The public page (migration 0120_agendas): bio, languages (ISO codes), office address.
    bio: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[list[str] | None] = mapped_column(JSON)
    office_address: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship(back_populates="doctor", lazy="raise")


class CareLink(Base):
    """A patient's doctor: pending until the doctor accepts, then active. One live link
    per patient and doctor, decided by the database (a partial unique index)."""

    __tablename__ = "care_links"
    __table_args__ = (
        Index("ix_care_links_patient_doctor", "patient_id", "doctor_id"),
        one_live_per(LIVE_CARE_LINK_PER_PAIR, "patient_id", "doctor_id",
                     live=[status.value for status in LIVE_CARE_LINK]),
    )

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    doctor_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None] = mapped_column()


class PasswordReset(Base):
    """A password reset link: its status belongs to its `password-reset-<id>` process."""

    __tablename__ = "password_resets"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    # Only the hash of the link's token; set when the link is sent.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()


class PasswordResetAttempt(Base):
    """A use of a reset link: the new password's hash, kept here by the API for the process
    to apply (so that it never travels through a workflow history), one row per request so
    that two uses at the same instant cannot mix their passwords. Deleted when the reset
    closes."""

    __tablename__ = "password_reset_attempts"

    id: Mapped[str] = id_column()
    reset_id: Mapped[str] = mapped_column(ForeignKey("password_resets.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at_column()


class Invitation(Base):
    """An invitation of a friend to the platform: one per inviter and address."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("inviter_id", "email", name=INVITATION_PER_ADDRESS),)

    id: Mapped[str] = id_column()
    inviter_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()
    accepted_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column()


class ProfessionalVerification(Base):
    """An admin's check of a doctor's or pharmacist's licence: pending from registration,
    then verified or refused. The read model of ProfessionalVerificationWorkflow, whose
    activities write the decision (migration 0151_professional_verifications)."""

    __tablename__ = "professional_verifications"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    submitted_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(500))
