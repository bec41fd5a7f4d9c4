"""A doctor's public page, and the doctor editing it (bio, languages, office address, city)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ActiveDoctor, ActiveUser, SessionDep
from api.problems import Problem
from api.routers.doctors import directory_entry, own_doctor_profile
from db.models import AvailabilityRule, DoctorProfile, User
from db.queries.professionals import listed_doctor
from domain.agendas import DoctorPage, DoctorProfileUpdate, offered_services
from domain.appointments import AppointmentType

public_router = APIRouter(prefix="/api/v1/doctors", tags=["doctor profiles and agendas"])
profile_router = APIRouter(prefix="/api/v1/doctor/profile", tags=["doctor profiles and agendas"])

# Defaults for a profile saved before its timezone: the doctors' home.
DEFAULT_TIMEZONE = "Africa/Douala"


def doctor_timezone(user: User) -> str:
    """The doctor's profile timezone, the one their availability is read in."""
    return user.timezone or DEFAULT_TIMEZONE


async def doctor_page(session: AsyncSession, user: User, profile: DoctorProfile) -> DoctorPage:
    entry = directory_entry(user, profile)
    available = {AppointmentType(kind) for kind in await session.scalars(
        select(AvailabilityRule.type).where(AvailabilityRule.doctor_id == user.id).distinct())}
    return DoctorPage(**entry.model_dump(exclude={"services"}), bio=profile.bio,
                      languages=profile.languages or [], office_address=profile.office_address,
                      timezone=doctor_timezone(user),
                      services=offered_services(entry.fees, available))


@public_router.get("/{doctor_id}", response_model=DoctorPage,
                   responses={404: {"description": "no such doctor in the directory"}})
async def public_page(doctor_id: str, _: ActiveUser, session: SessionDep) -> DoctorPage:
    """A doctor's public page: directory entry, bio, languages, services.

    A doctor's page: the directory entry, bio, languages, office address, timezone, and the
    services offered (a fee set and, for appointments, availability of that type)."""
    found = await listed_doctor(session, doctor_id)
    if found is None:
        raise Problem(404, "No such doctor in the directory.")
    return await doctor_page(session, *found)


@profile_router.get("", response_model=DoctorPage)
async def my_page(doctor: ActiveDoctor, session: SessionDep) -> DoctorPage:
    """The doctor's own page as patients see it (listed in the directory or not yet)."""
    return await doctor_page(session, doctor, await own_doctor_profile(session, doctor))


@profile_router.put("", response_model=DoctorPage,
                    responses={422: {"description": "a text too long or with control "
                                                    "characters, or an unknown language code"}})
async def save_my_page(
    body: DoctorProfileUpdate, doctor: ActiveDoctor, session: SessionDep
) -> DoctorPage:
    """Only the fields sent change; null or an empty text clears one."""
    profile = await own_doctor_profile(session, doctor)
    for field in body.model_fields_set:
        value = getattr(body, field)
        setattr(profile, field, value if field != "languages" else (value or None))
    await session.commit()
    return await doctor_page(session, doctor, profile)
