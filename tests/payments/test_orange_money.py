"""Orange Money web payment against a local peer: redirect URL, notification checked by its
notif_token, status by transactionstatus."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from pytest_httpserver import HTTPServer

from core.settings import Settings
from tests.payments.orange_peer import CLIENT_ID, CLIENT_SECRET, MERCHANT_KEY, OrangePeer
from tests.payments.support import paying_patient, payment_fields
from workers.main import WorkerDeps, build_worker

pytestmark = pytest.mark.db


@pytest.fixture
def orange(httpserver: HTTPServer) -> Iterator[OrangePeer]:
    peer = OrangePeer(httpserver)
    peer.install()
    yield peer


@pytest.fixture
def orange_settings(e2e_settings: Settings, orange: OrangePeer) -> Settings:
    return e2e_settings.model_copy(update={
        "durations": e2e_settings.durations.model_copy(update={
            "payment_poll_initial": timedelta(milliseconds=300),
            "payment_poll_max": timedelta(seconds=1)}),
        "payments": e2e_settings.payments.model_copy(update={
            "orange_client_id": CLIENT_ID, "orange_client_secret": CLIENT_SECRET,
            "orange_merchant_key": MERCHANT_KEY, "orange_base_url": orange.url}),
    })


@pytest.fixture
async def orange_api(orange_settings, sessions, temporal_env) -> AsyncIterator[httpx.AsyncClient]:
    from api.app import create_app

    worker = build_worker(temporal_env.client, WorkerDeps.from_settings(orange_settings,
                                                                        sessions))
    app = create_app(orange_settings, sessions=sessions, temporal=temporal_env.client)
    async with worker, httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://testserver") as client:
        yield client


async def _buy(api, sessions, settings) -> tuple[dict, dict]:
    user, address = await paying_patient(sessions, settings, api)
    created = await api.post("/api/v1/me/purchases", headers=user.headers, json={
        "sms_packs": 1, **payment_fields(address, "mobile_money", operator="orange",
                                         phone="+237690001122")})
    assert created.status_code == 201, created.text
    return created.json(), user.headers


async def test_web_payment_notified_and_checked(orange_api, orange, orange_settings, sessions,
                                                temporal_env) -> None:
    created, headers = await _buy(orange_api, sessions, orange_settings)
    payment = created["payment"]
    assert payment["provider"] == "orange_money"
    assert payment["checkout_url"].startswith("https://mpayment.orange-money.com/")
    sent = orange.payments[payment["id"]]
    assert sent["amount"] == 2500 and sent["currency"] == "XAF"

    notif_url, notification = orange.payer_pays(payment["id"])
    path = httpx.URL(notif_url).raw_path.decode()
    wrong = await orange_api.post(path, json={**notification, "notif_token": "nope"})
    assert wrong.status_code == 400
    answer = await orange_api.post(path, json=notification)
    assert answer.status_code == 200 and answer.json()["status"] == "processed"
    again = await orange_api.post(path, json=notification)
    assert again.json()["status"] == "duplicate"

    await temporal_env.client.get_workflow_handle(f"purchase-{created['purchase_id']}").result()
    seen = (await orange_api.get(f"/api/v1/payments/{payment['id']}", headers=headers)).json()
    assert seen["status"] == "succeeded"


async def test_without_notification_the_status_is_polled(orange_api, orange, orange_settings,
                                                         sessions, temporal_env) -> None:
    created, headers = await _buy(orange_api, sessions, orange_settings)
    orange.payer_pays(created["payment"]["id"], "FAILED")
    await temporal_env.client.get_workflow_handle(f"purchase-{created['purchase_id']}").result()
    seen = (await orange_api.get(f"/api/v1/payments/{created['payment']['id']}",
                                 headers=headers)).json()
    assert seen["status"] == "failed"
