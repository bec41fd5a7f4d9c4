"""Record the histories the appointment replay test checks:
`uv run python -m tests.appointments.make_histories`.

Runs AppointmentWorkflow through the API, with the real worker and activities, on the
time-skipping server and a throwaway SQLite database, and writes each history as JSON under
tests/appointments/histories/ (payloads encrypted with the public dev key, as the tests'
environments do). Record them again (and commit) only when a change is meant to be
incompatible with appointments already under way: they stand for those runs.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings, TemporalSettings
from core.temporal_client import data_converter, ensure_search_attributes
from db.base import utcnow
from db.engine import SessionMaker, make_engine, make_sessionmaker
from db.migrate import upgrade
from tests.appointments.support import (
    World,
    at,
    book,
    confirmed,
    make_world,
    skip,
)
from tests.payments.support import api_with_worker

HISTORIES = Path(__file__).with_name("histories")
BIN = Path(sys.executable).parent


async def _save(env: WorkflowEnvironment, appointment_id: str, name: str) -> None:
    handle = env.client.get_workflow_handle(f"appointment-{appointment_id}")
    await handle.result()
    history = await handle.fetch_history()
    (HISTORIES / f"{name}.json").write_text(history.to_json() + "\n")
    print(f"wrote {name}.json ({len(history.events)} events)")


async def _confirmed_reminded_completed(env: WorkflowEnvironment, api: httpx.AsyncClient,
                                        sessions: SessionMaker, world: World) -> None:
    booking = await confirmed(api, sessions, world, days_ahead=2)
    start = at(booking.body["start"])
    await skip(env, start - utcnow() + timedelta(minutes=5), step=timedelta(hours=1))
    completed = await api.post(f"/api/v1/doctor/appointments/{booking.id}/complete",
                               headers=world.doctor.headers, json={
                                   "summary": "Examen normal.",
                                   "prescriptions": [{"name": "Paracétamol 500 mg",
                                                      "dosage": "1 comprimé",
                                                      "quantity": 1}]})
    assert completed.status_code == 200, completed.text
    await _save(env, booking.id, "appointment_confirmed_reminded_completed")


async def _expired(env: WorkflowEnvironment, api: httpx.AsyncClient, sessions: SessionMaker,
                   world: World) -> None:
    booking = await book(api, world, days_ahead=4)
    assert booking.status_code == 201, booking.body
    await skip(env, timedelta(minutes=30))  # to appointment_hold_max: the run ends
    await _save(env, booking.id, "appointment_expired")


async def _canceled_by_the_doctor(env: WorkflowEnvironment, api: httpx.AsyncClient,
                                  sessions: SessionMaker, world: World) -> None:
    booking = await confirmed(api, sessions, world, type_="teleconsultation", days_ahead=5)
    canceled = await api.post(f"/api/v1/appointments/{booking.id}/cancel",
                              json={"reason": "Congrès"}, headers=world.doctor.headers)
    assert canceled.status_code == 200, canceled.text
    await _save(env, booking.id, "appointment_canceled_by_the_doctor_refunded")


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="esame-histories-"))
    url = f"sqlite+aiosqlite:///{folder}/h.sqlite"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    settings = Settings(env="dev", database_url=url, secret_key="h" * 48,
                        public_base_url="http://testserver", data_dir=folder,
                        temporal=TemporalSettings(address="unused:0", task_queue="histories"))
    HISTORIES.mkdir(exist_ok=True)
    for record in (_expired, _canceled_by_the_doctor, _confirmed_reminded_completed):
        # A server of its own for each: its clock starts at the API's.
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=data_converter(settings.temporal),
            test_server_existing_path=str(BIN / "temporal-test-server"))
        try:
            await ensure_search_attributes(env.client, settings)
            async with api_with_worker(settings, sessions, env) as api:
                world = await make_world(sessions, settings, api)
                await record(env, api, sessions, world)
        finally:
            await env.shutdown()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
