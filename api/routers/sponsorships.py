"""Sponsorship (seed §VII "Le parrainage"): a relative pays for a patient's consultation.

Privacy first: an E-same id that is unknown, not active, or whose active doctors do not
include the doctor asked for gets one and the same 422 (byte for byte), and these checks are
rate-limited per sponsor (429), so that no one learns who is on E-same or who their doctors
are by trying ids. The sponsor then sees a display name, the status, the date, the doctor,
the price and the refund, never the consultation's content.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.appointment_processes import appointment_timings, prepare_held
from api.cursors import keyset, page
from api.deps import ActivePatient, SessionDep, SettingsDep, TemporalClient
from api.paid_processes import payment_payer
from api.prices import quote_for
from api.problems import Problem
from api.routers.doctor_profiles import doctor_timezone
from api.sponsorship_processes import start_sponsorship
from db.base import utcnow
from db.models import Appointment, CareLink, User
from db.models.sponsorships import Sponsorship as Row
from db.queries.agendas import offered_slot
from db.queries.professionals import doctor_fees, listed_doctor
from db.queries.rate_limits import count_recent, record_event
from db.queries.references import next_reference
from db.queries.requests import record_request
from db.queries.slots import take_hold
from domain.accounts import AccountStatus, CareLinkStatus, Role
from domain.appointments import AppointmentType, SlotTaken
from domain.care_services import CareService, fee_of
from domain.ids import new_id
from domain.pagination import Page
from domain.references import ReferenceKind
from domain.requests import RequestEntry, RequestKind
from domain.sponsorships import (
    Beneficiary,
    SponsoredSlot,
    SponsorshipCreated,
    SponsorshipDoctor,
    SponsorshipIn,
    SponsorshipStatus,
    SponsorshipView,
    display_name,
)

router = APIRouter(prefix="/api/v1", tags=["sponsorships"])
Limit = Annotated[int, Query(ge=1, le=100)]

# One answer for every reason the beneficiary cannot be sponsored with this doctor, so that
# it says none of them apart (tests compare the bodies byte for byte).
NOT_SPONSORABLE_DETAIL = ("This E-same id cannot be sponsored with this doctor: check the id "
                          "with the person, and that this doctor is one of their doctors.")
_NOT_SPONSORABLE_ERRORS = [{"location": "body", "field": "beneficiary_esame_id",
                            "message": "no patient with this id has this doctor",
                            "type": "not_sponsorable"}]

# An emergency has no fee of its own: it is charged the office fee (docs/appointments.md).
_SERVICE = {AppointmentType.teleconsultation: CareService.teleconsultation,
            AppointmentType.office: CareService.office,
            AppointmentType.emergency: CareService.office}


def not_sponsorable() -> Problem:
    return Problem(422, NOT_SPONSORABLE_DETAIL, errors=_NOT_SPONSORABLE_ERRORS)


def _field_error(field: str, detail: str, message: str, type_: str) -> Problem:
    return Problem(422, detail, errors=[{"location": "body", "field": field,
                                         "message": message, "type": type_}])


async def _limit_checks(session: AsyncSession, settings: SettingsDep, sponsor: User) -> None:
    """Every attempt counts, found or not: a sponsor trying ids is stopped at the limit."""
    limits = settings.limits
    key = f"sponsorship-check:{sponsor.id}"
    if await count_recent(session, key, limits.sponsorship_check_window) >= (
            limits.sponsorship_checks_per_window):
        raise Problem(429, "Too many sponsorship attempts. Try again later.",
                      headers={"Retry-After": str(int(
                          limits.sponsorship_check_window.total_seconds()))})
    await record_event(session, key)
    await session.commit()


async def _beneficiary(session: AsyncSession, esame_id: str, doctor_id: str) -> User:
    """The active patient with this E-same id who has `doctor_id` among their active
    doctors, or the one 422 (the same few queries whichever way it fails)."""
    beneficiary = await session.scalar(select(User).where(
        User.esame_id == esame_id.strip().upper()))
    link = await session.scalar(select(CareLink.id).where(
        CareLink.patient_id == (beneficiary.id if beneficiary else ""),
        CareLink.doctor_id == doctor_id, CareLink.status == CareLinkStatus.active.value))
    if (beneficiary is None or beneficiary.role != Role.patient.value
            or beneficiary.status != AccountStatus.active.value or link is None):
        raise not_sponsorable()
    return beneficiary


@router.post("/sponsorships", status_code=201, response_model=SponsorshipCreated,
             responses={429: {"description": "too many sponsorship attempts"}})
async def sponsor_consultation(
    body: SponsorshipIn, sponsor: ActivePatient, session: SessionDep, settings: SettingsDep,
    temporal: TemporalClient,
) -> SponsorshipCreated:
    """Pay for a consultation of a relative, found by their E-same id.

    The slot is held for the beneficiary during the sponsor's payment, in the sponsor's
    currency. An id that is unknown, not active, or without this doctor → one and the same
    422; these checks are limited per sponsor (429); a taken slot → 409."""
    await _limit_checks(session, settings, sponsor)
    if body.beneficiary_esame_id.strip().upper() == sponsor.esame_id:
        raise _field_error("beneficiary_esame_id", "This is your own E-same id: book the "
                           "appointment yourself.", "your own id", "self")
    beneficiary = await _beneficiary(session, body.beneficiary_esame_id, body.doctor_id)
    found = await listed_doctor(session, body.doctor_id)
    if found is None:  # the beneficiary's doctor, no longer in the directory
        raise not_sponsorable()
    doctor, profile = found
    fee = fee_of(doctor_fees(profile), _SERVICE[body.type])
    if fee.amount <= 0:
        raise _field_error("type", f"This doctor does not offer {body.type.value} "
                           "appointments.", "not offered by this doctor", "not_offered")
    now = utcnow()
    try:
        slot = await offered_slot(
            session, doctor_id=doctor.id, timezone=doctor_timezone(doctor), start=body.start,
            type=body.type, now=now, min_notice=settings.durations.booking_min_notice)
    except OverflowError:  # a start at the edge of the calendar
        slot = None
    if slot is None:
        raise _field_error("start", "Not a slot of this doctor's availability: pick one of "
                           "GET /doctors/{id}/slots.", "not an offered slot", "not_a_slot")
    price = quote_for(settings, sponsor, fee, now)
    payer = await payment_payer(session, settings, sponsor, body)

    sponsorship_id, appointment_id = new_id(), new_id()
    hold_expires_at = now + _hold(settings)
    try:
        appointment = await take_hold(
            session, appointment_id=appointment_id,
            reference=await next_reference(session, ReferenceKind.appointment, now.year),
            patient_id=beneficiary.id, doctor_id=doctor.id, type=body.type,
            start=slot.start, end=slot.end, hold_expires_at=hold_expires_at,
            sponsor_id=sponsor.id)
    except SlotTaken as err:
        raise Problem(409, "This slot is already taken: pick another one.") from err
    prepare_held(appointment, appointment_timings(settings))
    row = Row(id=sponsorship_id,
              reference=await next_reference(session, ReferenceKind.sponsorship, now.year),
              sponsor_id=sponsor.id, beneficiary_id=beneficiary.id, doctor_id=doctor.id,
              appointment_id=appointment_id, status=SponsorshipStatus.pending_payment.value,
              message=body.message, created_at=now, updated_at=now)
    row.set_quote(price)
    session.add(row)
    shown = display_name(beneficiary.first_name, beneficiary.last_name)
    await record_request(session, RequestEntry(
        user_id=sponsor.id, reference=row.reference, kind=RequestKind.sponsorship,
        status=row.status, process_id=sponsorship_id, doctor_id=doctor.id,
        title_data={"beneficiary": shown}, at=now))
    payment = await start_sponsorship(
        session, temporal, settings, sponsorship=row, appointment=appointment,
        sponsor=sponsor, beneficiary=beneficiary, doctor=doctor, payer=payer)
    return SponsorshipCreated(
        id=row.id, reference=row.reference, status=SponsorshipStatus.pending_payment,
        beneficiary=Beneficiary(esame_id=beneficiary.esame_id, display_name=shown),
        appointment=_slot(appointment), price=price.price, list_price=price.list_price,
        payment=payment)


def _hold(settings: SettingsDep) -> timedelta:
    """The slot is held while the sponsor's payment may still succeed."""
    return settings.durations.payment_deadline


def _slot(appointment: Appointment) -> SponsoredSlot:
    return SponsoredSlot(id=appointment.id, start=appointment.start_at,
                         end=appointment.end_at, type=AppointmentType(appointment.type),
                         doctor_id=appointment.doctor_id)


def _sponsored() -> Any:
    beneficiary = User.__table__.alias("beneficiary")
    doctor = User.__table__.alias("doctor")
    return (select(Row, Appointment, beneficiary.c.esame_id, beneficiary.c.first_name,
                   beneficiary.c.last_name, doctor.c.first_name, doctor.c.last_name)
            .join(Appointment, Appointment.id == Row.appointment_id)
            .join(beneficiary, beneficiary.c.id == Row.beneficiary_id)
            .join(doctor, doctor.c.id == Row.doctor_id))


def _view(found: Any) -> SponsorshipView:
    row, appointment, esame_id, first, last, doctor_first, doctor_last = found
    quote = row.quote
    return SponsorshipView(
        id=row.id, reference=row.reference, status=SponsorshipStatus(row.status),
        beneficiary=Beneficiary(esame_id=esame_id, display_name=display_name(first, last)),
        appointment=_slot(appointment),
        doctor=SponsorshipDoctor(id=row.doctor_id, first_name=doctor_first or "",
                                 last_name=doctor_last or ""),
        price=quote.price, list_price=quote.list_price, payment_id=row.payment_id,
        refund_status=row.refund_status, created_at=row.created_at, updated_at=row.updated_at)


@router.get("/me/sponsorships", response_model=Page[SponsorshipView])
async def my_sponsorships(
    sponsor: ActivePatient, session: SessionDep, limit: Limit = 20, cursor: str | None = None,
) -> Page[SponsorshipView]:
    """The consultations the caller paid for, newest first: status, date, doctor, refund."""
    query = _sponsored().where(Row.sponsor_id == sponsor.id)
    rows, next_cursor = page(
        list((await session.execute(
            keyset(query, Row.created_at, Row.id, cursor, limit))).tuples()),
        limit, lambda found: (found[0].created_at, found[0].id))
    return Page(items=[_view(found) for found in rows], next_cursor=next_cursor)


@router.get("/sponsorships/{sponsorship_id}", response_model=SponsorshipView)
async def get_sponsorship(
    sponsorship_id: str, sponsor: ActivePatient, session: SessionDep,
) -> SponsorshipView:
    """One consultation the caller paid for (its sponsor only)."""
    found = (await session.execute(_sponsored().where(
        Row.id == sponsorship_id, Row.sponsor_id == sponsor.id))).tuples().first()
    if found is None:
        raise Problem(404, "No sponsorship of yours has this id.")
    return _view(found)
