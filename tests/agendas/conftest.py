"""Agenda tests: the API in process (agendas are plain data, no Temporal needed: `app`,
`client`, `patient`, `doctor` from tests/support/in_process.py), users made in the database,
and appointments inserted through the hold query, standing for the appointment process."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import update

from db.engine import SessionMaker
from db.models import Appointment
from db.queries.slots import take_hold
from domain.appointments import AppointmentStatus, AppointmentType
from domain.ids import new_id
from tests.support.users import TestUser

_references = itertools.count(1)


def next_reference() -> str:
    return f"RDV-TEST-{next(_references):06d}"


async def hold(
    sessions: SessionMaker, doctor: TestUser, patient: TestUser, start: datetime,
    minutes: int = 30, *, status: AppointmentStatus = AppointmentStatus.pending_payment,
    type_: AppointmentType = AppointmentType.office,
) -> str:
    """A hold taken through the query the appointment process uses, then (for another
    status) moved on as its process would."""
    async with sessions() as session:
        row = await take_hold(
            session, appointment_id=new_id(),
            reference=next_reference(), patient_id=patient.id, doctor_id=doctor.id,
            type=type_, start=start, end=start + timedelta(minutes=minutes),
            hold_expires_at=start)
        await session.commit()
        appointment_id = row.id
    if status != AppointmentStatus.pending_payment:
        await set_status(sessions, appointment_id, status)
    return appointment_id


async def set_status(sessions: SessionMaker, appointment_id: str,
                     status: AppointmentStatus) -> None:
    async with sessions() as session, session.begin():
        await session.execute(update(Appointment).where(Appointment.id == appointment_id)
                              .values(status=status.value))


def next_monday(weeks_ahead: int = 1) -> date:
    """A Monday at least a week from today: slots there are past no notice."""
    today = datetime.now(UTC).date()
    days_to_monday = (7 - today.weekday()) % 7 or 7
    return today + timedelta(days=days_to_monday + 7 * weeks_ahead)


WEEK = [
    {"weekday": 1, "start": "08:00", "end": "12:00", "type": "office", "slot_minutes": 30},
    {"weekday": 1, "start": "14:00", "end": "16:00", "type": "teleconsultation",
     "slot_minutes": 20},
    {"weekday": 3, "start": "17:00", "end": "18:00", "type": "emergency", "slot_minutes": 15},
]


async def set_week(client: httpx.AsyncClient, doctor: TestUser,
                   rules: list[dict[str, object]] | None = None) -> httpx.Response:
    response = await client.put("/api/v1/doctor/availability", headers=doctor.headers,
                                json={"rules": WEEK if rules is None else rules})
    assert response.status_code == 200, response.text
    return response
