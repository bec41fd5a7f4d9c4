"""No double booking, decided by the database: 20 patients race for one slot through the
API (SQLite, and PostgreSQL with ESAME_TEST_DATABASE_URL): exactly one hold, the others
409, and once every payment is made exactly one appointment confirmed."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from core.settings import Settings
from db.engine import SessionMaker
from db.models import Appointment
from tests.appointments.support import (
    World,
    a_doctor,
    a_patient_of,
    book,
    eventually,
    free_slot,
    pay,
    status_is,
)

pytestmark = pytest.mark.db


async def test_twenty_patients_race_for_one_slot(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
) -> None:
    doctor = await a_doctor(sessions, settings)
    patients = [await a_patient_of(sessions, settings, ts_api, doctor) for _ in range(20)]
    start = await free_slot(ts_api, patients[0][0], doctor, "office", days_ahead=3)
    bookings = await asyncio.gather(*(
        book(ts_api, World(patient, doctor, address), start=start)
        for patient, address in patients))
    codes = sorted(b.status_code for b in bookings)
    assert codes == [201] + [409] * 19, codes
    refused = [b for b in bookings if b.status_code == 409]
    assert all("held or booked" in b.body["detail"] for b in refused)
    (held,) = [b for b in bookings if b.status_code == 201]
    assert held.body["status"] == "pending_payment"
    await pay(ts_api, held)
    await eventually(status_is(sessions, held.id, "confirmed"))
    async with sessions() as session:
        rows = (await session.execute(
            select(Appointment.status, func.count()).where(Appointment.doctor_id == doctor.id)
            .group_by(Appointment.status))).all()
    assert dict(rows) == {"confirmed": 1}
