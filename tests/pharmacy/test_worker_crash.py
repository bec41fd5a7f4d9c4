"""The worker dies between the payment and the pickup code: the webhook reaches Temporal
while no worker runs; a new worker picks the order up and one code goes out, by one email
and one SMS (a retry of the sending activity itself sends that code again, never a second
one: test_pickup_code.py)."""

from __future__ import annotations

import asyncio

import pytest

from domain.pharmacy import pharmacy_order_workflow_id
from tests.accounts.flows import delivered, outbox
from tests.payments.support import checkout, eventually
from tests.pharmacy.support import billing_address, cast, pay, validated
from tests.support.worker_process import WorkerProcess, has_pollers

pytestmark = pytest.mark.db
PHONE = "+237670000123"


async def test_worker_killed_between_payment_and_code(api, sessions, e2e_settings,
                                                      temporal_env) -> None:
    client = temporal_env.client
    worker = WorkerProcess(e2e_settings)
    worker.start()
    try:
        await eventually(lambda: has_pollers(client, e2e_settings.temporal.task_queue), 60)
        c = await cast(sessions, e2e_settings, phone=PHONE)
        oid = await validated(api, c)
        payment = await pay(api, c, oid, await billing_address(api, c))

        worker.kill()
        await checkout(api, payment, "succeed")
        assert await outbox(api, c.patient.email, "order_paid") == []

        worker.start()
        (mail,) = await delivered(api, c.patient.email, "order_paid", within=90)
        (sms,) = await delivered(api, PHONE, "pickup_code_sms", within=30)
        assert sms["data"]["pickup_code"] == mail["data"]["pickup_code"]
        collected = await api.post(f"/api/v1/pharmacy/orders/{oid}/collect",
                                   json={"code": mail["data"]["pickup_code"]},
                                   headers=c.staff.headers)
        assert collected.status_code == 200, collected.text
        await asyncio.wait_for(
            client.get_workflow_handle(pharmacy_order_workflow_id(oid)).result(), 60)
        assert len(await outbox(api, c.patient.email, "order_paid")) == 1
        assert len(await outbox(api, PHONE, "pickup_code_sms")) == 1
    finally:
        worker.stop()
