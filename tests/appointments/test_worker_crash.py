"""The worker dies once the patient paid and before the appointment is confirmed; a new
worker picks the run up: one charge, one invoice, one confirmation email."""

from __future__ import annotations

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from db.engine import SessionMaker
from db.models import Invoice, Message, SandboxCharge
from tests.appointments.support import book, checkout, eventually, make_world, row, status_is
from tests.payments.support import count
from tests.support.worker_process import WorkerProcess, has_pollers

pytestmark = pytest.mark.db


async def test_worker_killed_between_payment_and_confirmation(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    temporal_env: WorkflowEnvironment, worker_process: WorkerProcess,
) -> None:
    await eventually(lambda: has_pollers(temporal_env.client,
                                          e2e_settings.temporal.task_queue), 60)
    world = await make_world(sessions, e2e_settings, api)
    booking = await book(api, world)
    assert booking.status_code == 201, booking.body

    worker_process.kill()
    await checkout(api, booking.payment, "succeed")  # the webhook reaches Temporal only
    assert (await row(sessions, booking.id)).status == "pending_payment"

    worker_process.start()
    await eventually(status_is(sessions, booking.id, "confirmed"), 90)
    await eventually(lambda: count(sessions, Message, Message.user_id == world.patient.id,
                                    Message.template == "appointment_confirmed"), 30)
    payment_id = booking.payment["id"]
    assert await count(sessions, SandboxCharge, SandboxCharge.payment_id == payment_id) == 1
    assert await count(sessions, Invoice, Invoice.payment_id == payment_id) == 1
    assert await count(sessions, Message, Message.user_id == world.patient.id,
                        Message.template == "appointment_confirmed") == 1
