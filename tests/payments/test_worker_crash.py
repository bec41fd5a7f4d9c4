"""The worker dies after the provider accepted the charge and before the workflow recorded
it; a new worker picks the payment up: exactly one charge, one invoice, one credit. And the
worker dies while Stripe creates the PaymentIntent (the request arrived, the answer never
came back): the retried create carries the same Idempotency-Key, and Stripe has one."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import stripe

from api.payments import payment_timings
from db.models import BillingAddress, Invoice, SandboxCharge
from db.queries.entitlements import load_entitlements
from db.queries.sandbox import DbSandboxLedger
from domain.accounts import Role
from domain.ids import payment_workflow_id
from domain.money import Money
from domain.payments import InvoiceLine, PaymentInput, PaymentMethod, ProviderName
from tests.payments.support import (
    checkout,
    count,
    eventually,
    paying_patient,
    payment_fields,
    payment_row,
)
from tests.support.users import make_user
from tests.support.worker_process import WorkerProcess, has_pollers
from workflows.payment import PaymentWorkflow

pytestmark = pytest.mark.db


async def test_worker_killed_between_charge_and_record(api, sessions, e2e_settings,
                                                       temporal_env, worker_process) -> None:
    client = temporal_env.client
    await eventually(lambda: has_pollers(client, e2e_settings.temporal.task_queue), 60)
    user, address = await paying_patient(sessions, e2e_settings, api)
    created = await api.post("/api/v1/me/purchases", headers=user.headers,
                             json={"storage_gb": 2, **payment_fields(address)}, timeout=60)
    assert created.status_code == 201, created.text
    payment = created.json()["payment"]

    worker_process.kill()
    # The provider accepts the charge; its webhook reaches Temporal, but no worker runs the
    # workflow to record it.
    await checkout(api, payment, "succeed")
    await asyncio.sleep(0.5)
    still = (await api.get(f"/api/v1/payments/{payment['id']}", headers=user.headers)).json()
    assert still["status"] == "pending"

    worker_process.start()
    handle = client.get_workflow_handle(f"purchase-{created.json()['purchase_id']}")
    await asyncio.wait_for(handle.result(), 90)

    seen = (await api.get(f"/api/v1/payments/{payment['id']}", headers=user.headers)).json()
    assert seen["status"] == "succeeded"
    assert await count(sessions, SandboxCharge, SandboxCharge.payment_id == payment["id"]) == 1
    charge = await DbSandboxLedger(sessions).get(payment["id"])
    assert charge is not None and charge.status == "succeeded" and charge.create_calls == 1
    assert await count(sessions, Invoice, Invoice.user_id == user.id) == 1
    async with sessions() as session:
        entitlements = await load_entitlements(session, user.id)
    assert entitlements.storage_quota_bytes == 3 * 1024**3  # 1 GB free + 2 GB, credited once


async def test_worker_killed_while_stripe_creates_the_intent(
    sessions, e2e_settings, temporal_env, stripe_proxy, localstripe
) -> None:
    """Slow by nature: the killed attempt is retried once its start-to-close timeout (30 s)
    has passed."""
    client = temporal_env.client
    hold = stripe_proxy.hold_next("/v1/payment_intents")
    worker = WorkerProcess(e2e_settings, {"ESAME_PAYMENTS__STRIPE_API_KEY": "sk_test_esame",
                                          "ESAME_PAYMENTS__STRIPE_API_BASE": stripe_proxy.url})
    worker.start()
    try:
        await eventually(lambda: has_pollers(client, e2e_settings.temporal.task_queue), 60)
        user = await make_user(sessions, e2e_settings, Role.patient)
        async with sessions() as session, session.begin():
            address = BillingAddress(user_id=user.id, line1="1 rue", city="Douala",
                                     country="CM")
            session.add(address)
        price = Money(amount=400, currency="EUR")
        payment = PaymentInput(
            payment_id=uuid.uuid4().hex, user_id=user.id, amount=price,
            method=PaymentMethod.card, provider=ProviderName.stripe,
            billing_address_id=address.id, description="Storage",
            lines=[InvoiceLine(description="Storage", unit_price=price, total=price)],
            timings=payment_timings(e2e_settings))
        handle = await client.start_workflow(
            PaymentWorkflow.run, payment, id=payment_workflow_id(payment.payment_id),
            task_queue=e2e_settings.temporal.task_queue)

        # The create reached Stripe (the PaymentIntent exists); the worker dies before the
        # answer comes back.
        assert await asyncio.to_thread(hold.forwarded.wait, 60)
        worker.kill()
        hold.release()
        assert await payment_row(sessions, payment.payment_id) is None

        worker.start()
        row = await eventually(lambda: _created_at_provider(sessions, payment.payment_id), 120)
        key = f"esame-payment-{payment.payment_id}-create"
        creates = [c for c in stripe_proxy.creates("/v1/payment_intents")
                   if c.idempotency_key == key]
        assert [c.replayed for c in creates] == [False, True]
        page = await stripe.StripeClient(
            "sk_test_esame", base_addresses={"api": localstripe},
            http_client=stripe.HTTPXClient()).v1.payment_intents.list_async({"limit": 100})
        intents = [pi.id async for pi in page.auto_paging_iter()
                   if pi.metadata.to_dict().get("payment_id") == payment.payment_id]
        assert intents == [row.provider_reference]
        await handle.terminate("test over")
    finally:
        hold.release()
        worker.stop()


async def _created_at_provider(sessions, payment_id: str):  # type: ignore[no-untyped-def]
    row = await payment_row(sessions, payment_id)
    return row if row is not None and row.provider_reference else None
