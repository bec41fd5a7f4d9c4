"""Record the histories the replay test checks: `uv run python -m
tests.record_fills.make_histories`.

Runs record fills through the API on the recording stack (tests/support/recording.py: the
time-skipping server, the real worker, a throwaway SQLite, the sandbox provider) and writes
each `RecordFillWorkflow` history under tests/record_fills/histories/. Record again (and
commit) only when a change is meant to be incompatible with running fills.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from domain.record_fills import record_fill_workflow_id
from tests.payments.support import checkout
from tests.record_fills.support import ANTECEDENT, ask, paid_fill, patient_and_doctor
from tests.support.recording import recording_stack, save_history

HISTORIES = Path(__file__).with_name("histories")


async def main() -> None:
    async with recording_stack() as stack, stack.api() as api:
        sessions, settings = stack.sessions, stack.settings

        def handle(fill_id: str):  # type: ignore[no-untyped-def]
            return stack.client.get_workflow_handle(record_fill_workflow_id(fill_id))

        # Paid, the doctor adds an antecedent and completes.
        pair = await patient_and_doctor(sessions, settings, api)
        fill = await paid_fill(api, pair)
        added = await api.post(f"/api/v1/patients/{pair.patient.id}/record/antecedents",
                               json=ANTECEDENT, headers=pair.doctor.headers)
        assert added.status_code == 201, added.text
        done = await api.post(f"/api/v1/doctor/record-fill-requests/{fill['id']}/complete",
                              json={}, headers=pair.doctor.headers)
        assert done.status_code == 200, done.text
        await save_history(handle(fill["id"]), HISTORIES / "record_fill_completed.json")

        # Paid, never completed: expired after record_fill_within, refunded.
        pair = await patient_and_doctor(sessions, settings, api)
        fill = await paid_fill(api, pair)
        await stack.env.sleep(settings.durations.record_fill_within)
        await save_history(handle(fill["id"]), HISTORIES / "record_fill_expired_refunded.json")

        # Never paid: the payer is declined at the sandbox.
        pair = await patient_and_doctor(sessions, settings, api)
        created = await ask(api, pair)
        assert created.status_code == 201, created.text
        await checkout(api, created.json()["payment"], "fail")
        await save_history(handle(created.json()["id"]),
                           HISTORIES / "record_fill_payment_failed.json")


if __name__ == "__main__":
    asyncio.run(main())
