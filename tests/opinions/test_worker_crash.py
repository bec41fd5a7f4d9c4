"""The worker dies (SIGKILL, its own process) while an opinion request is being paid, twice:
once the patient has paid at the provider and before the payment is recorded (the webhook
reaches Temporal while no worker runs), then again the moment the request is recorded
`transmitted`, before or while the doctor is told. New workers pick the run up each time:
one charge at the sandbox, one invoice, one email and one SMS to the doctor, the request
`transmitted`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from temporalio.client import (
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from db.engine import SessionMaker
from db.models import Balance, Invoice, SandboxCharge
from db.queries.sandbox import DbSandboxLedger
from domain.ids import opinion_workflow_id
from tests.accounts.flows import delivered, outbox
from tests.opinions.flows import status_of, submitted_request
from tests.opinions.support import row_of
from tests.payments.support import checkout, count, eventually
from tests.support.worker_process import WorkerProcess, has_pollers

pytestmark = pytest.mark.db

DOCTOR_PHONE = "+237670001122"  # tests.opinions.support.people's doctor


async def test_worker_killed_between_payment_and_the_doctors_notification(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    temporal_env: WorkflowEnvironment, worker_process: WorkerProcess,
) -> None:
    client, queue = temporal_env.client, e2e_settings.temporal.task_queue
    await eventually(lambda: has_pollers(client, queue), 60)
    draft, submitted = await submitted_request(api, sessions, e2e_settings)
    doctor = draft.who.doctor
    payment_id = submitted["payment"]["id"]

    worker_process.kill()
    await checkout(api, submitted["payment"], "succeed")  # the webhook reaches Temporal only
    assert (await row_of(sessions, draft.id)).status == "pending_payment"
    assert await outbox(api, doctor.email, "opinion_transmitted") == []

    # A new worker records the payment and the request transmitted; it dies the moment the
    # status is seen written: before the doctor is told, or between the email and the SMS,
    # or just after (each seen in runs; each attempt killed is retried after its 30 s
    # start-to-close timeout).
    worker_process.start()
    await eventually(lambda: _status_is(sessions, draft.id, "transmitted"), 90)
    worker_process.kill()

    worker_process.start()
    await delivered(api, doctor.email, "opinion_transmitted", within=90)
    await delivered(api, DOCTOR_PHONE, "opinion_transmitted_sms", within=90)
    handle = client.get_workflow_handle(opinion_workflow_id(draft.id))
    # The notification's activity is over (the process waits for the doctor): no more come.
    described = await eventually(lambda: _idle(handle), 30)
    assert described.status is WorkflowExecutionStatus.RUNNING

    await status_of(api, draft, "transmitted")
    assert (await row_of(sessions, draft.id)).payment_id == payment_id
    assert len(await outbox(api, doctor.email, "opinion_transmitted")) == 1
    assert len(await outbox(api, DOCTOR_PHONE, "opinion_transmitted_sms")) == 1
    assert await count(sessions, SandboxCharge, SandboxCharge.payment_id == payment_id) == 1
    charge = await DbSandboxLedger(sessions).get(payment_id)
    assert charge is not None and charge.status == "succeeded" and charge.create_calls == 1
    assert await count(sessions, Invoice, Invoice.payment_id == payment_id) == 1
    async with sessions() as session:
        balance = await session.get(Balance, doctor.id)
    assert balance is not None and balance.sms_purchased == 9  # the SMS paid for once
    payment = (await api.get(f"/api/v1/payments/{payment_id}",
                             headers=draft.who.patient.headers)).json()
    assert payment["status"] == "succeeded"


async def _status_is(sessions: SessionMaker, request_id: str, status: str) -> bool:
    return (await row_of(sessions, request_id)).status == status


async def _idle(handle: WorkflowHandle[Any, Any]) -> WorkflowExecutionDescription | None:
    described = await handle.describe()
    return None if described.raw_description.pending_activities else described
