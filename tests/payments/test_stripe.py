"""Card payments through Stripe, against localstripe (a local Stripe API peer) behind a proxy
that adds Stripe's idempotent requests (localstripe ignores Idempotency-Key): the
PaymentIntent is created by the workflow, confirmed by the payer, and the signed webhook
localstripe sends settles it; a retried create or refund is the same object at Stripe."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import stripe

from activities.payments import PaymentActivities
from api.payments import payment_timings
from core.settings import Settings
from db.models import BillingAddress, ProviderEvent
from domain.accounts import Role
from domain.money import Money
from domain.payments import (
    CreateAtProvider,
    InvoiceLine,
    PaymentInput,
    PaymentMethod,
    PaymentStatus,
    ProviderName,
    RecordPaymentStatus,
    RefundAtProvider,
    RefundStatus,
)
from providers.payments import build_payment_providers
from providers.payments.base import ChargeRequest, ProviderError, RefundOrder
from providers.payments.stripe import StripeProvider
from tests.payments.stripe_idempotency import StripeIdempotencyProxy
from tests.payments.support import (
    count,
    eventually,
    free_port,
    paying_patient,
    payment_fields,
    polls,
    served_api,
    without_polling,
)
from tests.support.users import TestUser, make_user
from workers.main import WorkerDeps, build_worker

pytestmark = pytest.mark.db

WEBHOOK_SECRET = "whsec_esame_test"


@pytest.fixture
def stripe_settings(e2e_settings: Settings, stripe_proxy: StripeIdempotencyProxy) -> Settings:
    # No poll comes within a test: a payment settled here was settled by Stripe's webhook.
    port = free_port()
    return without_polling(e2e_settings).model_copy(update={
        "public_base_url": f"http://127.0.0.1:{port}",
        "payments": e2e_settings.payments.model_copy(update={
            "stripe_api_key": "sk_test_esame", "stripe_webhook_secret": WEBHOOK_SECRET,
            "stripe_api_base": stripe_proxy.url}),
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
    assert await polls(temporal_env.client, payment["id"]) == 0
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


# --- idempotency (Stripe's rules, played by the proxy in front of localstripe) ---------------

def _charge(payment_id: str, amount: int = 2500) -> ChargeRequest:
    return ChargeRequest(
        payment_id=payment_id, idempotency_key=f"esame-payment-{payment_id}-create",
        amount=Money(amount=amount, currency="XAF"), method="card", description="Test",
        return_url="http://x/return", notify_url="http://x/notify")


async def _intents_at_stripe(localstripe: str, payment_id: str) -> list[str]:
    """The PaymentIntents localstripe holds for a payment (asked directly, not through the
    proxy)."""
    page = await _stripe(localstripe).v1.payment_intents.list_async({"limit": 100})
    return [pi.id async for pi in page.auto_paging_iter()
            if pi.metadata.to_dict().get("payment_id") == payment_id]


async def test_the_proxy_plays_stripes_idempotency(stripe_proxy, localstripe) -> None:
    key, auth = f"k-{uuid.uuid4().hex}", ("sk_test_esame", "")
    async with httpx.AsyncClient(base_url=stripe_proxy.url, auth=auth) as http:
        first = await http.post("/v1/customers", data={"email": "a@esame.cm"},
                                headers={"Idempotency-Key": key})
        again = await http.post("/v1/customers", data={"email": "a@esame.cm"},
                                headers={"Idempotency-Key": key})
        assert first.status_code == again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        other = await http.post("/v1/customers", data={"email": "b@esame.cm"},
                                headers={"Idempotency-Key": key})
        assert other.status_code == 400
        assert other.json()["error"]["type"] == "idempotency_error"
        # Keys belong to the API key that sent them.
        elsewhere = await http.post("/v1/customers", data={"email": "a@esame.cm"},
                                    headers={"Idempotency-Key": key},
                                    auth=("sk_test_other", ""))
        assert elsewhere.json()["id"] != first.json()["id"]
        # No key: each request runs.
        plain = [(await http.post("/v1/customers", data={"email": "c@esame.cm"})).json()["id"]
                 for _ in range(2)]
        assert plain[0] != plain[1]


async def test_a_retried_create_is_one_payment_intent(stripe_settings, stripe_proxy,
                                                      localstripe) -> None:
    provider = StripeProvider(stripe_settings.payments, stripe_settings.public_base_url)
    payment_id = uuid.uuid4().hex
    request = _charge(payment_id)
    first = await provider.create(request)
    again = await provider.create(request)  # as a retried activity does
    assert again.provider_reference == first.provider_reference
    assert again.client_secret == first.client_secret
    # The stripe SDK sent our key, both times; Stripe answered the second from the first.
    creates = stripe_proxy.creates("/v1/payment_intents")
    assert [c.idempotency_key for c in creates] == [request.idempotency_key] * 2
    assert [c.replayed for c in creates] == [False, True]
    assert await _intents_at_stripe(localstripe, payment_id) == [first.provider_reference]

    # The same key with other parameters is refused for good, and creates nothing.
    with pytest.raises(ProviderError, match="same parameters"):
        await provider.create(_charge(payment_id, amount=3000))
    assert await _intents_at_stripe(localstripe, payment_id) == [first.provider_reference]


async def test_a_refund_carries_its_own_key(stripe_settings, stripe_proxy, localstripe,
                                            sessions) -> None:
    """The keys are the app's: the payment activities derive them from the payment id, one
    for the PaymentIntent, another for its refund, the same again on a retry."""
    user, address = await _payer_with_address(sessions, stripe_settings)
    payments = PaymentActivities(sessions, build_payment_providers(
        stripe_settings.payments, stripe_settings.public_base_url),
        stripe_settings.public_base_url, "ES", stripe_settings.web_links)
    price = Money(amount=2500, currency="XAF")
    payment = PaymentInput(
        payment_id=uuid.uuid4().hex, user_id=user.id, amount=price, method=PaymentMethod.card,
        provider=ProviderName.stripe, billing_address_id=address, description="Test",
        lines=[InvoiceLine(description="Test", unit_price=price, total=price)],
        timings=payment_timings(stripe_settings))
    created = await payments.create_payment(CreateAtProvider(payment=payment))
    client = _stripe(localstripe)
    card = await client.v1.payment_methods.create_async({
        "type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                 "exp_year": 2030, "cvc": "123"}})
    intent = created.provider_reference
    assert intent is not None
    await client.v1.payment_intents.update_async(intent, {"payment_method": card.id})
    await client.v1.payment_intents.confirm_async(intent)
    await payments.record_payment_status(RecordPaymentStatus(
        payment_id=payment.payment_id, status=PaymentStatus.succeeded))

    ask = RefundAtProvider(payment_id=payment.payment_id, provider=ProviderName.stripe,
                           reason="doctor late")
    first = await payments.refund_payment(ask)
    again = await payments.refund_payment(ask)  # as a retried activity does
    assert first.refund_reference == again.refund_reference
    assert first.status is RefundStatus.succeeded
    [create_key] = {c.idempotency_key for c in stripe_proxy.creates("/v1/payment_intents")}
    refunds = stripe_proxy.creates("/v1/refunds")
    key = f"esame-payment-{payment.payment_id}"
    assert create_key == f"{key}-create"
    assert [r.idempotency_key for r in refunds] == [f"{key}-refund"] * 2
    assert [r.replayed for r in refunds] == [False, True]
    at_stripe = await client.v1.refunds.list_async({"payment_intent": intent})
    assert [r.id for r in at_stripe.data] == [first.refund_reference]


async def _payer_with_address(sessions, settings) -> tuple[TestUser, str]:  # type: ignore[no-untyped-def]
    user = await make_user(sessions, settings, Role.patient, currency="XAF")
    async with sessions() as session, session.begin():
        address = BillingAddress(user_id=user.id, line1="1 rue", city="Douala", country="CM")
        session.add(address)
    return user, address.id
