"""End to end through the API with the sandbox provider: subscribe, pay or fail, invoices."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from db.queries.sandbox import DbSandboxLedger
from domain.ids import payment_workflow_id
from domain.payments import PaymentResult
from tests.payments.support import checkout, eventually, paying_patient, payment_fields

pytestmark = pytest.mark.db


async def _settled(temporal_env: WorkflowEnvironment, payment_id: str) -> str:
    handle = temporal_env.client.get_workflow_handle(payment_workflow_id(payment_id),
                                                     result_type=PaymentResult)
    result = await handle.result()
    return result.status.value


async def test_subscribe_and_pay(api: httpx.AsyncClient, worker, sessions, e2e_settings,
                                 temporal_env) -> None:
    user, address = await paying_patient(sessions, e2e_settings, api)
    plans = (await api.get("/api/v1/plans", headers=user.headers)).json()["items"]
    confort = next(p for p in plans if p["code"] == "confort")
    assert confort["price"] == {"amount": 5000, "currency": "XAF"}

    created = await api.post("/api/v1/me/subscriptions", headers=user.headers,
                             json={"plan_id": confort["id"], **payment_fields(address)})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "pending_payment"
    payment = body["payment"]
    assert payment["status"] == "pending" and payment["provider"] == "sandbox"
    assert payment["method"] == "card" and payment["amount"] == confort["price"]
    assert payment["checkout_url"].endswith(f"/sandbox/checkout/{payment['id']}")
    pending = (await api.get("/api/v1/me/subscription", headers=user.headers)).json()
    assert pending["status"] == "pending_payment"

    await checkout(api, payment, "succeed")
    assert await _settled(temporal_env, payment["id"]) == "succeeded"

    async def active() -> dict | None:
        found = (await api.get("/api/v1/me/subscription", headers=user.headers)).json()
        return found if found["status"] == "active" else None

    subscription = await eventually(active)
    assert subscription["auto_renew"] is True
    assert subscription["plan"]["code"] == "confort"
    end = datetime.fromisoformat(subscription["current_period_end"])
    assert (end - datetime.now(UTC)).days in (29, 30)

    async def activation_sms() -> list | None:
        items = (await api.get("/dev/outbox", params={"to": "+237670000123"})).json()["items"]
        return [m for m in items if m["template"] == "subscription_activated"] or None

    await eventually(activation_sms)
    entitlements = (await api.get("/api/v1/me/entitlements", headers=user.headers)).json()
    assert entitlements["plan"] == "confort" and entitlements["teleconsultation"] is True
    # The plan's 30 SMS of the period, less the activation SMS just sent.
    assert entitlements["sms_remaining"] == 29
    assert entitlements["storage_quota_bytes"] == 20 * 1024**3

    paid = (await api.get(f"/api/v1/payments/{payment['id']}", headers=user.headers)).json()
    assert paid["status"] == "succeeded"
    invoices = (await api.get("/api/v1/me/invoices", headers=user.headers)).json()
    assert len(invoices["items"]) == 1 and invoices["next_cursor"] is None
    invoice = invoices["items"][0]
    assert invoice["payment_id"] == payment["id"] and invoice["status"] == "paid"
    assert invoice["total"] == {"amount": 5000, "currency": "XAF"}
    assert invoice["number"].startswith(f"ES-{datetime.now(UTC).year}-")
    assert invoice["lines"][0]["total"] == invoice["total"]

    again = await api.post("/api/v1/me/subscriptions", headers=user.headers,
                           json={"plan_id": confort["id"], **payment_fields(address)})
    assert again.status_code == 409


async def test_subscribe_and_fail(api, worker, sessions, e2e_settings, temporal_env) -> None:
    user, address = await paying_patient(sessions, e2e_settings, api, currency="EUR")
    created = await api.post("/api/v1/me/subscriptions", headers=user.headers,
                             json={"plan_id": "plan-essentiel", **payment_fields(address)})
    assert created.status_code == 201, created.text
    payment = created.json()["payment"]
    assert payment["amount"] == {"amount": 300, "currency": "EUR"}

    await checkout(api, payment, "fail")
    assert await _settled(temporal_env, payment["id"]) == "failed"
    subscription_id = created.json()["subscription_id"]
    await temporal_env.client.get_workflow_handle(f"subscription-{subscription_id}").result()

    subscription = (await api.get("/api/v1/me/subscription", headers=user.headers)).json()
    assert subscription["status"] == "expired"
    entitlements = (await api.get("/api/v1/me/entitlements", headers=user.headers)).json()
    assert entitlements["plan"] == "free" and entitlements["teleconsultation"] is False
    assert (await api.get("/api/v1/me/invoices", headers=user.headers)).json()["items"] == []
    failed = (await api.get(f"/api/v1/payments/{payment['id']}", headers=user.headers)).json()
    assert failed["status"] == "failed"


async def test_cancel_and_plan_change_through_the_api(api, worker, sessions, e2e_settings,
                                                      temporal_env) -> None:
    user, address = await paying_patient(sessions, e2e_settings, api, phone=None)
    created = await api.post("/api/v1/me/subscriptions", headers=user.headers,
                             json={"plan_id": "plan-essentiel", **payment_fields(address)})
    payment = created.json()["payment"]
    await checkout(api, payment, "succeed")
    assert await _settled(temporal_env, payment["id"]) == "succeeded"

    async def active() -> dict | None:
        found = (await api.get("/api/v1/me/subscription", headers=user.headers)).json()
        return found if found["status"] == "active" else None

    await eventually(active)
    changed = await api.post("/api/v1/me/subscription/plan", headers=user.headers,
                             json={"plan_id": "plan-famille"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["plan"]["code"] == "essentiel"
    assert changed.json()["next_plan"]["code"] == "famille"

    canceled = await api.post("/api/v1/me/subscription/cancel", headers=user.headers)
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "canceled" and canceled.json()["auto_renew"] is False
    again = await api.post("/api/v1/me/subscription/cancel", headers=user.headers)
    assert again.status_code == 409
    late_change = await api.post("/api/v1/me/subscription/plan", headers=user.headers,
                                 json={"plan_id": "plan-confort"})
    assert late_change.status_code == 409
    # Canceled is not over: the plan applies until the end of the period paid for.
    entitlements = (await api.get("/api/v1/me/entitlements", headers=user.headers)).json()
    assert entitlements["plan"] == "essentiel"
    await temporal_env.client.get_workflow_handle(
        f"subscription-{created.json()['subscription_id']}").terminate("test over")


async def test_a_checkout_never_answered_expires(sessions, e2e_settings, temporal_env) -> None:
    """The sandbox's third outcome: the payer never comes back; the deadline expires it."""
    from datetime import timedelta

    from api.app import create_app
    from workers.main import WorkerDeps, build_worker

    settings = e2e_settings.model_copy(update={"durations": e2e_settings.durations.model_copy(
        update={"payment_deadline": timedelta(seconds=2),
                "payment_poll_initial": timedelta(milliseconds=500)})})
    app = create_app(settings, sessions=sessions, temporal=temporal_env.client)
    worker = build_worker(temporal_env.client, WorkerDeps.from_settings(settings, sessions))
    async with worker, httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://testserver") as api:
        user, address = await paying_patient(sessions, settings, api)
        created = await api.post("/api/v1/me/subscriptions", headers=user.headers,
                                 json={"plan_id": "plan-confort", **payment_fields(address)})
        payment = created.json()["payment"]
        assert await _settled(temporal_env, payment["id"]) == "expired"
        await temporal_env.client.get_workflow_handle(
            f"subscription-{created.json()['subscription_id']}").result()
        subscription = (await api.get("/api/v1/me/subscription", headers=user.headers)).json()
        assert subscription["status"] == "expired"
        # Expiring closed it at the provider: paying now takes no money.
        late = await api.post(f"/sandbox/checkout/{payment['id']}", data={"outcome": "succeed"})
        assert late.status_code == 200 and "expired" in late.text
        charge = await DbSandboxLedger(sessions).get(payment["id"])
        assert charge is not None and charge.status == "canceled"
        seen = (await api.get(f"/api/v1/payments/{payment['id']}", headers=user.headers)).json()
        assert seen["status"] == "expired"
