"""Mobile Money with MTN MoMo (Collections) against a local peer speaking its API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from core.settings import Settings
from db.models import Payment, ProviderEvent
from domain.money import Money
from domain.payments import PaymentMethod, PaymentStatus
from providers.payments.base import ChargeRequest
from providers.payments.mtn_momo import MtnMomoProvider, reference_id
from tests.payments.mtn_peer import API_KEY, API_USER, SUBSCRIPTION_KEY, MtnPeer
from tests.payments.support import count, paying_patient, payment_fields
from workers.main import WorkerDeps, build_worker

pytestmark = pytest.mark.db


@pytest.fixture
def mtn(httpserver: HTTPServer) -> Iterator[MtnPeer]:
    peer = MtnPeer(httpserver)
    peer.install()
    yield peer


@pytest.fixture
def mtn_settings(e2e_settings: Settings, mtn: MtnPeer) -> Settings:
    return e2e_settings.model_copy(update={
        "durations": e2e_settings.durations.model_copy(update={
            "payment_poll_initial": timedelta(milliseconds=300),
            "payment_poll_max": timedelta(seconds=1)}),
        "payments": e2e_settings.payments.model_copy(update={
            "mtn_subscription_key": SUBSCRIPTION_KEY, "mtn_api_user": API_USER,
            "mtn_api_key": API_KEY, "mtn_base_url": mtn.url}),
    })


@pytest.fixture
async def mtn_api(mtn_settings, sessions, temporal_env) -> AsyncIterator[httpx.AsyncClient]:
    from api.app import create_app

    worker = build_worker(temporal_env.client, WorkerDeps.from_settings(mtn_settings, sessions))
    app = create_app(mtn_settings, sessions=sessions, temporal=temporal_env.client)
    async with worker, httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://testserver") as client:
        yield client


async def _buy(api: httpx.AsyncClient, sessions, settings) -> tuple[dict, dict, str]:
    user, address = await paying_patient(sessions, settings, api)
    created = await api.post("/api/v1/me/purchases", headers=user.headers, json={
        "sms_packs": 1, **payment_fields(address, "mobile_money", operator="mtn",
                                         phone="+237670001122")})
    assert created.status_code == 201, created.text
    return created.json(), user.headers, created.json()["payment"]["id"]


async def test_request_to_pay_settled_by_the_callback(mtn_api, mtn, mtn_settings, sessions,
                                                      temporal_env) -> None:
    created, headers, payment_id = await _buy(mtn_api, sessions, mtn_settings)
    payment = created["payment"]
    assert payment["provider"] == "mtn_momo" and "+237670001122" in payment["instructions"]
    reference = reference_id(payment_id)
    sent = mtn.requests[reference]
    assert sent["externalId"] == payment_id and sent["amount"] == "2500"
    assert sent["currency"] == "XAF" and sent["payer"]["partyId"] == "237670001122"

    callback = httpx.URL(mtn.callbacks[reference])
    body = mtn.payer_answers(reference, "SUCCESSFUL")
    # MTN calls back with PUT (or POST), once: there is no retry.
    answer = await mtn_api.put(callback.raw_path.decode(), json=body)
    assert answer.status_code == 200 and answer.json()["status"] == "processed"
    # A forged callback (no valid signature in its URL) is refused.
    forged = await mtn_api.post(f"/api/v1/webhooks/mtn_momo?ref={reference}&sig=00",
                                json=body)
    assert forged.status_code == 400

    await temporal_env.client.get_workflow_handle(f"purchase-{created['purchase_id']}").result()
    assert (await mtn_api.get(f"/api/v1/payments/{payment_id}",
                              headers=headers)).json()["status"] == "succeeded"
    assert await count(sessions, ProviderEvent, ProviderEvent.provider == "mtn_momo") == 1
    assert mtn.posts == 1


async def test_a_lost_callback_is_made_up_by_polling(mtn_api, mtn, mtn_settings, sessions,
                                                     temporal_env) -> None:
    created, headers, payment_id = await _buy(mtn_api, sessions, mtn_settings)
    mtn.payer_answers(reference_id(payment_id), "FAILED")  # and MTN never calls back
    await temporal_env.client.get_workflow_handle(f"purchase-{created['purchase_id']}").result()
    assert (await mtn_api.get(f"/api/v1/payments/{payment_id}",
                              headers=headers)).json()["status"] == "failed"
    entitlements = (await mtn_api.get("/api/v1/me/entitlements", headers=headers)).json()
    assert entitlements["sms_remaining"] == 0


async def test_a_retried_create_is_the_same_request(mtn, mtn_settings) -> None:
    provider = MtnMomoProvider(mtn_settings.payments, mtn_settings.public_base_url)
    payment_id = "5f0c1b8e2d3a4c6e8f9a0b1c2d3e4f50"
    request = ChargeRequest(
        payment_id=payment_id, idempotency_key=f"esame-payment-{payment_id}-create",
        amount=Money(amount=2500, currency="XAF"), method=PaymentMethod.mobile_money,
        operator="mtn", phone="+237670001122", description="Test",
        return_url="http://x/r", notify_url="http://x/api/v1/webhooks/mtn_momo")
    first = await provider.create(request)
    again = await provider.create(request)
    assert first.provider_reference == again.provider_reference == reference_id(payment_id)
    assert len(mtn.requests) == 1 and mtn.posts == 2
    assert (await provider.status(payment_id, first.provider_reference)).status is (
        PaymentStatus.pending)


async def test_a_payer_mtn_does_not_know_is_declined_at_once(mtn_api, mtn, mtn_settings,
                                                              sessions, temporal_env) -> None:
    user, address = await paying_patient(sessions, mtn_settings, mtn_api)
    refused = await mtn_api.post("/api/v1/me/purchases", headers=user.headers, json={
        "sms_packs": 1, **payment_fields(address, "mobile_money", operator="mtn",
                                         phone="+237670000400")})
    assert refused.status_code == 402, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    async with sessions() as session:
        statuses = list((await session.scalars(
            select(Payment.status).where(Payment.user_id == user.id))).all())
    assert statuses == ["failed"]
