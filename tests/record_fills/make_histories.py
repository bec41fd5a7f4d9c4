"""Record the histories the replay test checks: `uv run python -m
tests.record_fills.make_histories`.

Runs record fills through the API with the real worker and activities on the time-skipping
server and a throwaway SQLite database (the sandbox provider pays), and writes each
`RecordFillWorkflow` history under tests/record_fills/histories/, its payloads encrypted
with the dev key as in production. Record again (and commit) only when a change is meant
to be incompatible with running fills.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings, TemporalSettings
from core.temporal_client import data_converter, ensure_search_attributes
from db.engine import make_engine, make_sessionmaker
from db.migrate import upgrade
from domain.record_fills import record_fill_workflow_id
from tests.payments.support import api_with_worker, checkout
from tests.record_fills.support import ANTECEDENT, paid_fill, patient_and_doctor

HISTORIES = Path(__file__).with_name("histories")
BIN = Path(sys.executable).parent


async def _save(handle: WorkflowHandle, name: str) -> None:  # type: ignore[type-arg]
    history = await handle.fetch_history()
    (HISTORIES / f"{name}.json").write_text(history.to_json() + "\n")
    print(f"wrote {name}.json ({len(history.events)} events)")


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="esame-histories-"))
    url = f"sqlite+aiosqlite:///{folder}/h.sqlite"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    settings = Settings(env="dev", database_url=url, secret_key="h" * 48,
                        public_base_url="http://testserver", data_dir=folder,
                        temporal=TemporalSettings(address="unused:0", task_queue="histories"))
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(settings.temporal),
        test_server_existing_path=str(BIN / "temporal-test-server"))
    await ensure_search_attributes(env.client, settings)
    HISTORIES.mkdir(exist_ok=True)
    try:
        async with api_with_worker(settings, sessions, env) as api:
            # Paid, the doctor adds an antecedent and completes.
            pair = await patient_and_doctor(sessions, settings, api)
            fill = await paid_fill(api, pair)
            added = await api.post(f"/api/v1/patients/{pair.patient.id}/record/antecedents",
                                   json=ANTECEDENT, headers=pair.doctor.headers)
            assert added.status_code == 201, added.text
            done = await api.post(f"/api/v1/doctor/record-fill-requests/{fill['id']}/complete",
                                  json={}, headers=pair.doctor.headers)
            assert done.status_code == 200, done.text
            handle = env.client.get_workflow_handle(record_fill_workflow_id(fill["id"]))
            await handle.result()
            await _save(handle, "record_fill_completed")

            # Paid, never completed: expired after record_fill_within, refunded.
            pair = await patient_and_doctor(sessions, settings, api)
            fill = await paid_fill(api, pair)
            handle = env.client.get_workflow_handle(record_fill_workflow_id(fill["id"]))
            await env.sleep(settings.durations.record_fill_within)
            await handle.result()
            await _save(handle, "record_fill_expired_refunded")

            # Never paid: the payment failed at the sandbox.
            pair = await patient_and_doctor(sessions, settings, api)
            created = await api.post("/api/v1/record-fill-requests",
                                     headers=pair.patient.headers,
                                     json={"doctor_id": pair.doctor.id,
                                           "billing_address_id": pair.address,
                                           "payment_method": "card"})
            assert created.status_code == 201, created.text
            await checkout(api, created.json()["payment"], "fail")
            handle = env.client.get_workflow_handle(
                record_fill_workflow_id(created.json()["id"]))
            await handle.result()
            await _save(handle, "record_fill_payment_failed")
    finally:
        await env.shutdown()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
