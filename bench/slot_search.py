"""Slot search latency through the real HTTP API: a 31-day month of one doctor with three
availability blocks a day and 60 % of the slots taken, against a plain
`GET /appointments/{id}` in the same run (auth, one primary-key read, JSON).

Goal: the month's p99 within 3 times the plain read's p99. Requests alternate between the
two so both see the same machine load.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from bench.harness import POSTGRES_URL, Result, percentile, postgres_available, stack, timed_get
from db.base import utcnow
from db.models import Appointment, AvailabilityRule
from db.queries.slots import take_hold
from domain.accounts import Role
from domain.appointments import AppointmentType
from domain.ids import new_id
from tests.support.users import make_user

ROUNDS = 400
WARMUP = 40
BLOCKS = ((8 * 60, 10 * 60, "office"), (11 * 60, 13 * 60, "office"),
          (15 * 60, 18 * 60, "teleconsultation"))


async def _measure(label: str, temporal: WorkflowEnvironment, url: str | None) -> list[Result]:
    async with stack(temporal, url) as s:
        doctor = await make_user(s.sessions, s.settings, Role.doctor)
        patient = await make_user(s.sessions, s.settings, Role.patient)
        async with s.sessions() as session, session.begin():
            for weekday in range(1, 8):
                for start, end, kind in BLOCKS:
                    session.add(AvailabilityRule(doctor_id=doctor.id, weekday=weekday,
                                                 start_minute=start, end_minute=end,
                                                 type=kind, slot_minutes=30))
        first = (utcnow() + timedelta(days=2)).date()
        last = first + timedelta(days=30)
        month = {"from": first.isoformat(), "to": last.isoformat()}
        listed = await s.http.get(f"/api/v1/doctors/{doctor.id}/slots", params=month,
                                  headers=patient.headers)
        assert listed.status_code == 200, listed.text
        slots = listed.json()["items"]
        rng = random.Random(7)
        taken = rng.sample(slots, k=int(len(slots) * 0.6))
        async with s.sessions() as session, session.begin():
            for slot in taken:
                row = await take_hold(
                    session, appointment_id=new_id(), reference=f"RDV-B-{new_id()[:10]}",
                    patient_id=patient.id, doctor_id=doctor.id,
                    type=AppointmentType(slot["type"]),
                    start=datetime.fromisoformat(slot["start"]),
                    end=datetime.fromisoformat(slot["end"]), hold_expires_at=utcnow())
                row.status = "confirmed"
        async with s.sessions() as session:
            one = (await session.get(Appointment, row.id))
            assert one is not None
        headers = patient.headers

        async def timed(path: str, params: dict[str, str] | None = None) -> float:
            return (await timed_get(s.http, path, headers, params))[0]

        search_path = f"/api/v1/doctors/{doctor.id}/slots"
        read_path = f"/api/v1/appointments/{one.id}"
        for _ in range(WARMUP):
            await timed(search_path, month)
            await timed(read_path)
        searches: list[float] = []
        reads: list[float] = []
        for _ in range(ROUNDS):
            searches.append(await timed(search_path, month))
            reads.append(await timed(read_path))

    results = []
    for pct in (50, 99):
        results.append(Result(f"slot_search_p{pct}_ms_{label}", percentile(searches, pct),
                              "ms", baseline=percentile(reads, pct),
                              goal="p99 <= 3x GET /appointments/{id}", lower_is_better=True))
    return results


async def run(temporal: WorkflowEnvironment) -> list[Result]:
    results = await _measure("sqlite", temporal, None)
    if await postgres_available():
        results += await _measure("postgresql", temporal, POSTGRES_URL)
    return results
