"""An appointment as its patient and its doctor read it (the routes, the FHIR export)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Appointment, User
from db.queries.sponsorships import sponsored_by
from domain.appointments import (
    AppointmentStatus,
    AppointmentType,
    AppointmentView,
    PersonName,
)
from domain.money import Money
from domain.requests import SponsoredBy


def appointment_view(row: Appointment, doctor: User | None = None,
                     patient: User | None = None,
                     sponsor: SponsoredBy | None = None) -> AppointmentView:
    price = (Money(amount=row.price_amount, currency=row.price_currency)
             if row.price_amount is not None and row.price_currency else None)
    list_price = (Money(amount=row.list_price_amount, currency=row.list_price_currency)
                  if row.list_price_amount is not None and row.list_price_currency else None)
    return AppointmentView(
        id=row.id, reference=row.reference, status=AppointmentStatus(row.status),
        type=AppointmentType(row.type), doctor_id=row.doctor_id, patient_id=row.patient_id,
        doctor=_name(doctor), patient=_name(patient), start=row.start_at, end=row.end_at,
        hold_expires_at=(row.hold_expires_at
                         if row.status == AppointmentStatus.pending_payment else None),
        price=price, list_price=list_price, rate=row.price_rate, payment_id=row.payment_id,
        refund_status=row.refund_status, refundable_until=row.refundable_until,
        canceled_by=row.canceled_by, consultation_id=row.consultation_id,
        sponsored=row.sponsor_id is not None, sponsored_by=sponsor, created_at=row.created_at)


async def appointment_views(session: AsyncSession,
                            rows: Sequence[Appointment]) -> list[AppointmentView]:
    """The views of a page of appointments: their doctor, patient and sponsor (a display
    name, once paid) read in one query each."""
    people = await appointment_people(session, rows)
    sponsors = await sponsored_by(session, [r.id for r in rows if r.sponsor_id is not None])
    return [appointment_view(r, people.get(r.doctor_id), people.get(r.patient_id),
                             sponsors.get(r.id)) for r in rows]


async def appointment_people(session: AsyncSession,
                             rows: Sequence[Appointment]) -> dict[str, User]:
    """The doctors and patients of these appointments, by id, in one query."""
    ids = {r.doctor_id for r in rows} | {r.patient_id for r in rows}
    if not ids:
        return {}
    return {u.id: u for u in await session.scalars(select(User).where(User.id.in_(ids)))}


def _name(user: User | None) -> PersonName | None:
    if user is None:
        return None
    return PersonName(id=user.id, first_name=user.first_name, last_name=user.last_name)
