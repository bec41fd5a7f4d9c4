"""Who is listed, and may act, as a professional: an active account whose licence an admin
has verified. Refused and unchecked professionals are never listed."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from db.models import DoctorProfile, ProfessionalVerification, User
from domain.accounts import AccountStatus, DoctorFees, Role
from domain.money import Money
from domain.professionals import VerificationStatus


def verified(user_id: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """True for the user whose id is in `user_id` once an admin verified their licence."""
    return exists().where(ProfessionalVerification.user_id == user_id,
                          ProfessionalVerification.status == VerificationStatus.verified.value)


def listed_doctors() -> Select[User, DoctorProfile]:
    """The directory: active doctors, listed, their licence verified."""
    return (
        select(User, DoctorProfile)
        .join(DoctorProfile, DoctorProfile.user_id == User.id)
        .where(User.role == Role.doctor.value, User.status == AccountStatus.active.value,
               DoctorProfile.listed.is_(True), verified(User.id))
    )


async def listed_doctor(session: AsyncSession,
                        doctor_id: str) -> tuple[User, DoctorProfile] | None:
    found = (await session.execute(listed_doctors().where(User.id == doctor_id))).first()
    return None if found is None else found.tuple()


async def verification_of(session: AsyncSession,
                          user_id: str) -> ProfessionalVerification | None:
    return await session.get(ProfessionalVerification, user_id, populate_existing=True)


def doctor_fees(profile: DoctorProfile) -> DoctorFees:
    def fee(amount: int) -> Money:
        return Money(amount=amount, currency=profile.fee_currency)

    return DoctorFees(opinion=fee(profile.fee_opinion),
                      teleconsultation=fee(profile.fee_teleconsultation),
                      office=fee(profile.fee_office), record_fill=fee(profile.fee_record_fill))
