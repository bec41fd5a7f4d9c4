"""PayPal Orders v2 against a local peer: approve link, capture on approval (announced by a
verified webhook), refund; a webhook PayPal does not verify is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pytest_httpserver import HTTPServer

from core.settings import Settings
from domain.money import Money
from domain.payments import PaymentMethod, PaymentStatus, RefundStatus
from providers.payments.base import ChargeRequest, RefundOrder
from providers.payments.paypal import PayPalProvider
from tests.payments.paypal_peer import CLIENT_ID, CLIENT_SECRET, WEBHOOK_ID, PayPalPeer
from tests.payments.support import paying_patient, payment_fields
from workers.main import WorkerDeps, build_worker

pytestmark = pytest.mark.db


@pytest.fixture
def paypal(httpserver: HTTPServer) -> Iterator[PayPalPeer]:
    peer = PayPalPeer(httpserver)
    peer.install()
    yield peer


@pytest.fixture
def paypal_settings(e2e_settings: Settings, paypal: PayPalPeer) -> Settings:
    return e2e_settings.model_copy(update={"payments": e2e_settings.payments.model_copy(update={
        "paypal_client_id": CLIENT_ID, "paypal_client_secret": CLIENT_SECRET,
        "paypal_webhook_id": WEBHOOK_ID, "paypal_base_url": paypal.url})})


@pytest.fixture
async def paypal_api(paypal_settings, sessions, temporal_env) -> AsyncIterator[httpx.AsyncClient]:
    from api.app import create_app

    worker = build_worker(temporal_env.client, WorkerDeps.from_settings(paypal_settings,
                                                                        sessions))
    app = create_app(paypal_settings, sessions=sessions, temporal=temporal_env.client)
    async with worker, httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://testserver") as client:
        yield client


async def test_order_approved_then_captured(paypal_api, paypal, paypal_settings, sessions,
                                            temporal_env) -> None:
    user, address = await paying_patient(sessions, paypal_settings, paypal_api,
                                         currency="EUR")
    created = await paypal_api.post("/api/v1/me/purchases", headers=user.headers, json={
        "storage_gb": 2, **payment_fields(address, "paypal")})
    assert created.status_code == 201, created.text
    payment = created.json()["payment"]
    assert payment["provider"] == "paypal"
    order_id = payment["checkout_url"].rsplit("token=", 1)[1]
    order = paypal.orders[order_id]
    assert order["purchase_units"][0]["amount"] == {"currency_code": "EUR", "value": "2.00"}
    assert order["purchase_units"][0]["custom_id"] == payment["id"]

    paypal.payer_approves(order_id)
    body, headers = paypal.event(order_id, "CHECKOUT.ORDER.APPROVED")
    forged = dict(headers, **{"paypal-transmission-sig": "forged"})
    assert (await paypal_api.post("/api/v1/webhooks/paypal", content=body,
                                  headers=forged)).status_code == 400
    answer = await paypal_api.post("/api/v1/webhooks/paypal", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["status"] == "processed"

    await temporal_env.client.get_workflow_handle(
        f"purchase-{created.json()['purchase_id']}").result()
    assert paypal.orders[order_id]["status"] == "COMPLETED" and paypal.captures == 1
    seen = (await paypal_api.get(f"/api/v1/payments/{payment['id']}",
                                 headers=user.headers)).json()
    assert seen["status"] == "succeeded"


async def test_paypal_adapter_is_idempotent_and_refunds(paypal, paypal_settings) -> None:
    provider = PayPalProvider(paypal_settings.payments, "http://testserver")
    request = ChargeRequest(
        payment_id="a" * 32, idempotency_key=f"esame-payment-{'a' * 32}-create",
        amount=Money(amount=15000, currency="XAF"), method=PaymentMethod.paypal,
        description="Test", return_url="http://x/r", notify_url="http://x/n")
    first = await provider.create(request)
    again = await provider.create(request)
    assert first.provider_reference == again.provider_reference and len(paypal.orders) == 1
    assert paypal.orders[first.provider_reference]["purchase_units"][0]["amount"][
        "value"] == "15000"
    assert (await provider.status("a" * 32, first.provider_reference)).status is (
        PaymentStatus.pending)
    paypal.payer_approves(first.provider_reference)
    for _ in range(2):  # a repeated check captures once
        assert (await provider.status("a" * 32, first.provider_reference)).status is (
            PaymentStatus.succeeded)
    assert paypal.captures == 1
    order = RefundOrder(payment_id="a" * 32, provider_reference=first.provider_reference,
                        amount=Money(amount=15000, currency="XAF"),
                        idempotency_key=f"esame-payment-{'a' * 32}-refund")
    refunded = await provider.refund(order)
    replayed = await provider.refund(order)  # a retried refund: PayPal-Request-Id replays it
    assert refunded.status is RefundStatus.succeeded and refunded.reference == replayed.reference
    assert len(paypal.refunds) == 1
    assert (await provider.refund_status("a" * 32, refunded.reference)).status is (
        RefundStatus.succeeded)
