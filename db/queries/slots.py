"""Who gets a slot: taking a hold, and what is taken in a doctor's agenda.

The database decides: `take_hold` inserts, and the no-overlap constraint of the appointments
table (migration 0121_appointments) accepts it or refuses it in that same statement. Nothing
here checks for a free slot before inserting.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Appointment, User
from db.models.appointments import NO_OVERLAP
from domain.appointments import LIVE_STATUSES, AppointmentStatus, AppointmentType, SlotTaken
from domain.slots import Interval

_LIVE = [status.value for status in LIVE_STATUSES]


async def take_hold(
    session: AsyncSession,
    *,
    appointment_id: str,
    reference: str,
    patient_id: str,
    doctor_id: str,
    type: AppointmentType,  # noqa: A002
    start: datetime,
    end: datetime,
    hold_expires_at: datetime,
    sponsor_id: str | None = None,
) -> Appointment:
    """Insert the appointment `pending_payment`, holding [start, end) of the doctor's agenda,
    and flush it in the session's transaction (the caller commits).

    Raises `SlotTaken` when another live appointment of the doctor overlaps it; the session's
    transaction is then rolled back. The same `appointment_id` again (a replayed activity)
    answers the row already there."""
    existing = await session.get(Appointment, appointment_id)
    if existing is not None:
        return existing
    now = utcnow()
    row = Appointment(
        id=appointment_id, reference=reference, patient_id=patient_id, doctor_id=doctor_id,
        sponsor_id=sponsor_id, type=type.value, status=AppointmentStatus.pending_payment.value,
        start_at=start, end_at=end, hold_expires_at=hold_expires_at, created_at=now,
        updated_at=now,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as err:
        await session.rollback()
        if NO_OVERLAP in str(err.orig):
            raise SlotTaken(doctor_id, start, end) from err
        again = await session.get(Appointment, appointment_id)
        if again is not None:  # the same hold, inserted by a concurrent replay
            return again
        raise
    return row


def _live_between(doctor_id: str, start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    return (Appointment.doctor_id == doctor_id, Appointment.status.in_(_LIVE),
            Appointment.start_at < end, Appointment.end_at > start)


async def taken_intervals(
    session: AsyncSession, doctor_id: str, start: datetime, end: datetime
) -> list[Interval]:
    """The intervals of the doctor's live appointments (held or booked) that overlap
    [start, end), in time order: one query, whatever the number of slots."""
    rows = await session.execute(
        select(Appointment.start_at, Appointment.end_at)
        .where(*_live_between(doctor_id, start, end)).order_by(Appointment.start_at))
    return [Interval(start_at, end_at) for start_at, end_at in rows]


async def live_appointments(
    session: AsyncSession, doctor_id: str, start: datetime, end: datetime
) -> list[tuple[Appointment, User]]:
    """The doctor's live appointments overlapping [start, end), with their patients, in time
    order."""
    rows = await session.execute(
        select(Appointment, User).join(User, User.id == Appointment.patient_id)
        .where(*_live_between(doctor_id, start, end))
        .order_by(Appointment.start_at, Appointment.id))
    return [(appointment, patient) for appointment, patient in rows]
