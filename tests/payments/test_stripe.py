"""Card payments through Stripe, against localstripe (a local Stripe API peer): the
PaymentIntent is created by the workflow, confirmed by the payer, and the signed webhook
localstripe sends settles it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import stripe

from core.settings import Settings
from db.models import ProviderEvent
from domain.money import Money
from domain.payments import PaymentStatus, RefundStatus
from providers.payments.base import ChargeRequest, RefundOrder
from providers.payments.stripe import StripeProvider
from tests.payments.support import (
    count,
    eventually,
    free_port,
    paying_patient,
    payment_fields,
    served_api,
)
from workers.main import WorkerDeps, build_worker

pytestmark = pytest.mark.db

WEBHOOK_SECRET = "whsec_esame_test"


@pytest.fixture(scope="module")
def localstripe() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "localstripe", "--port", str(port),
                                "--from-scratch"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/v1/customers", auth=("sk_test_x", ""), timeout=1)
                break
            except httpx.TransportError:
                import time

                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def stripe_settings(e2e_settings: Settings, localstripe: str) -> Settings:
    port = free_port()
    return e2e_settings.model_copy(update={
        "public_base_url": f"http://127.0.0.1:{port}",
        "payments": e2e_settings.payments.model_copy(update={
            "stripe_api_key": "sk_test_esame", "stripe_webhook_secret": WEBHOOK_SECRET,
            "stripe_api_base": localstripe}),
    })


@pytest.fixture
async def stripe_api(stripe_settings, sessions, temporal_env) -> AsyncIterator[httpx.AsyncClient]:
    port = httpx.URL(stripe_settings.public_base_url).port
    assert port is not None
    worker = build_worker(temporal_env.client, WorkerDeps.from_settings(stripe_settings,
                                                                        sessions))
    async with worker, served_api(stripe_settings, sessions, temporal_env.client,
                                  port) as client:
        yield client


def _stripe(localstripe: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_esame", base_addresses={"api": localstripe},
                               http_client=stripe.HTTPXClient())


async def test_card_payment_settled_by_a_signed_stripe_webhook(
    stripe_api, stripe_settings, localstripe, sessions, temporal_env
) -> None:
    async with httpx.AsyncClient() as http:
        hook = await http.post(f"{localstripe}/_config/webhooks/esame", data={
            "url": f"{stripe_settings.public_base_url}/api/v1/webhooks/stripe",
            "secret": WEBHOOK_SECRET})
        assert hook.status_code == 200, hook.text
    user, address = await paying_patient(sessions, stripe_settings, stripe_api,
                                         currency="EUR")
    created = await stripe_api.post("/api/v1/me/purchases", headers=user.headers,
                                    json={"sms_packs": 1, **payment_fields(address, "card")})
    assert created.status_code == 201, created.text
    payment = created.json()["payment"]
    assert payment["provider"] == "stripe" and payment["client_secret"].startswith("pi_")
    assert payment["amount"] == {"amount": 400, "currency": "EUR"}

    # What Stripe.js does in the payer's browser: a card, then confirm the PaymentIntent.
    client = _stripe(localstripe)
    intent_id = payment["client_secret"].split("_secret_")[0]
    intent = await client.v1.payment_intents.retrieve_async(intent_id)
    assert intent.amount == 400 and intent.currency == "eur"
    assert intent.metadata["payment_id"] == payment["id"]
    card = await client.v1.payment_methods.create_async({
        "type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                 "exp_year": 2030, "cvc": "123"}})
    await client.v1.payment_intents.update_async(intent_id, {"payment_method": card.id})
    await client.v1.payment_intents.confirm_async(intent_id)

    await temporal_env.client.get_workflow_handle(
        f"purchase-{created.json()['purchase_id']}").result()
    seen = (await stripe_api.get(f"/api/v1/payments/{payment['id']}",
                                 headers=user.headers)).json()
    assert seen["status"] == "succeeded"

    async def webhook_recorded() -> bool:
        return await count(sessions, ProviderEvent, ProviderEvent.provider == "stripe",
                           ProviderEvent.payment_id == payment["id"]) == 1

    await eventually(webhook_recorded)
    entitlements = (await stripe_api.get("/api/v1/me/entitlements",
                                         headers=user.headers)).json()
    assert entitlements["sms_remaining"] == stripe_settings.payments.sms_pack_size


async def test_stripe_webhook_with_a_bad_signature_is_400(stripe_api, stripe_settings) -> None:
    body = b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {}}}'
    forged = stripe.WebhookSignature._compute_signature("1700000000." + body.decode(),
                                                        "whsec_wrong")
    response = await stripe_api.post("/api/v1/webhooks/stripe", content=body, headers={
        "stripe-signature": f"t=1700000000,v1={forged}", "content-type": "application/json"})
    assert response.status_code == 400


async def test_stripe_adapter_status_and_refund(stripe_settings, localstripe) -> None:
    provider = StripeProvider(stripe_settings.payments, stripe_settings.public_base_url)
    created = await provider.create(ChargeRequest(
        payment_id="p1", idempotency_key="esame-payment-p1-create",
        amount=Money(amount=2500, currency="XAF"), method="card", description="Test",
        return_url="http://x/return", notify_url="http://x/notify"))
    assert (await provider.status("p1", created.provider_reference)).status is (
        PaymentStatus.pending)
    client = _stripe(localstripe)
    card = await client.v1.payment_methods.create_async({
        "type": "card", "card": {"number": "4000000000000341", "exp_month": 12,
                                 "exp_year": 2030, "cvc": "123"}})
    await client.v1.payment_intents.update_async(created.provider_reference,
                                                 {"payment_method": card.id})
    with pytest.raises(stripe.StripeError):
        await client.v1.payment_intents.confirm_async(created.provider_reference)
    declined = await provider.status("p1", created.provider_reference)
    assert declined.status is PaymentStatus.failed

    paid = await provider.create(ChargeRequest(
        payment_id="p2", idempotency_key="esame-payment-p2-create",
        amount=Money(amount=2500, currency="XAF"), method="card", description="Test",
        return_url="http://x/return", notify_url="http://x/notify"))
    good = await client.v1.payment_methods.create_async({
        "type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                 "exp_year": 2030, "cvc": "123"}})
    await client.v1.payment_intents.update_async(paid.provider_reference,
                                                 {"payment_method": good.id})
    await client.v1.payment_intents.confirm_async(paid.provider_reference)
    assert (await provider.status("p2", paid.provider_reference)).status is (
        PaymentStatus.succeeded)
    refunded = await provider.refund(RefundOrder(
        payment_id="p2", provider_reference=paid.provider_reference,
        amount=Money(amount=2500, currency="XAF"), idempotency_key="esame-payment-p2-refund"))
    assert refunded.reference and refunded.reference.startswith("re_")
    assert refunded.status is RefundStatus.succeeded
    assert (await provider.refund_status("p2", refunded.reference)).status is (
        RefundStatus.succeeded)
    unpaid = await provider.create(ChargeRequest(
        payment_id="p3", idempotency_key="esame-payment-p3-create",
        amount=Money(amount=2500, currency="XAF"), method="card", description="Test",
        return_url="http://x/return", notify_url="http://x/notify"))
    await provider.cancel("p3", unpaid.provider_reference)  # our deadline passed
    intent = await client.v1.payment_intents.retrieve_async(unpaid.provider_reference)
    assert intent.status == "canceled"
    await provider.cancel("p2", paid.provider_reference)  # a paid one is left alone
    assert (await provider.status("p2", paid.provider_reference)).status is (
        PaymentStatus.succeeded)
