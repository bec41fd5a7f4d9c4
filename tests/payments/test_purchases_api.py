"""Buying SMS packs and storage; SMS consume the balance, then fall back to email."""

from __future__ import annotations

import httpx
import pytest

from activities.messaging import MessagingActivities
from domain.ids import payment_workflow_id
from domain.messages import Channel, SendMessage
from domain.payments import PaymentResult
from providers.email.outbox import OutboxEmailSender
from providers.sms.outbox import OutboxSmsSender
from tests.payments.support import checkout, paying_patient, payment_fields

pytestmark = pytest.mark.db

GB = 1024**3


async def test_buy_sms_and_storage(api, worker, sessions, e2e_settings, temporal_env) -> None:
    user, address = await paying_patient(sessions, e2e_settings, api)
    before = (await api.get("/api/v1/me/entitlements", headers=user.headers)).json()
    assert before == {"plan": "free", "sms_remaining": 0, "storage_quota_bytes": GB,
                      "storage_used_bytes": 0, "teleconsultation": False,
                      "office_appointment": True, "opinion_request": False}

    created = await api.post("/api/v1/me/purchases", headers=user.headers, json={
        "sms_packs": 2, "storage_gb": 3,
        **payment_fields(address, "mobile_money", operator="mtn", phone="+237670000999")})
    assert created.status_code == 201, created.text
    payment = created.json()["payment"]
    # 2 packs x 2500 + 3 GB x 500, in XAF; no MTN credentials: the sandbox takes it.
    assert payment["amount"] == {"amount": 6500, "currency": "XAF"}
    assert payment["method"] == "mobile_money" and payment["provider"] == "sandbox"
    unchanged = (await api.get("/api/v1/me/entitlements", headers=user.headers)).json()
    assert unchanged["sms_remaining"] == 0

    # Pending, and shown so in the Temporal UI from the start.
    described = await temporal_env.client.get_workflow_handle(
        payment_workflow_id(payment["id"])).describe()
    shown = {p.key.name: p.value for p in described.typed_search_attributes}
    assert shown["EsameStatus"] == "payment_pending"
    # The checkout page says what the API says, and offers to pay while it is pending.
    path = httpx.URL(payment["checkout_url"]).path
    page = (await api.get(path)).text
    assert "status <em>pending</em>" in page and "Pay</button>" in page
    await checkout(api, payment, "succeed")
    handle = temporal_env.client.get_workflow_handle(
        f"purchase-{created.json()['purchase_id']}")
    await handle.result()
    seen = (await api.get(f"/api/v1/payments/{payment['id']}", headers=user.headers)).json()
    page = (await api.get(path)).text
    assert seen["status"] == "succeeded" and "status <em>succeeded</em>" in page
    assert "<button" not in page and "<form" not in page
    after = (await api.get("/api/v1/me/entitlements", headers=user.headers)).json()
    assert after["sms_remaining"] == 2 * e2e_settings.payments.sms_pack_size
    assert after["storage_quota_bytes"] == 4 * GB

    invoices = (await api.get("/api/v1/me/invoices", headers=user.headers)).json()["items"]
    assert [i["payment_id"] for i in invoices] == [payment["id"]]
    # The billing address as it was given: copied from the profile, when it was made.
    (billed,) = (await api.get("/api/v1/me/billing-addresses",
                               headers=user.headers)).json()["items"]
    assert billed["from_profile"] is True and billed["created_at"]
    assert invoices[0]["billing_address"] == billed
    assert [(line["quantity"], line["total"]["amount"]) for line in invoices[0]["lines"]] == [
        (2, 5000), (3, 1500)]


async def test_a_failed_purchase_raises_nothing(api, worker, sessions, e2e_settings,
                                                temporal_env) -> None:
    user, address = await paying_patient(sessions, e2e_settings, api)
    created = await api.post("/api/v1/me/purchases", headers=user.headers,
                             json={"sms_packs": 1, **payment_fields(address, "paypal")})
    payment = created.json()["payment"]
    await checkout(api, payment, "fail")
    result = await temporal_env.client.get_workflow_handle(
        payment_workflow_id(payment["id"]), result_type=PaymentResult).result()
    assert result.status == "failed" and result.invoice_id is None
    await temporal_env.client.get_workflow_handle(
        f"purchase-{created.json()['purchase_id']}").result()
    after = (await api.get("/api/v1/me/entitlements", headers=user.headers)).json()
    assert after["sms_remaining"] == 0


async def test_sms_use_the_balance_then_go_by_email(api, worker, sessions, e2e_settings,
                                                    temporal_env) -> None:
    user, address = await paying_patient(sessions, e2e_settings, api)
    created = await api.post("/api/v1/me/purchases", headers=user.headers,
                             json={"sms_packs": 1, **payment_fields(address)})
    await checkout(api, created.json()["payment"], "succeed")
    await temporal_env.client.get_workflow_handle(
        f"purchase-{created.json()['purchase_id']}").result()

    messaging = MessagingActivities(sessions, OutboxEmailSender(), OutboxSmsSender())
    pack = e2e_settings.payments.sms_pack_size
    for n in range(pack + 1):
        sent = await messaging.send_message(SendMessage(
            idempotency_key=f"test-sms-{user.id}-{n}", channel=Channel.sms,
            to="+237670000123", template="renewal_reminder", language="en",
            data={"plan": "Confort", "amount": "5000 XAF", "period_end": "soon"},
            user_id=user.id))
        if n < pack:
            assert sent.channel is Channel.sms and sent.note is None
    assert sent.channel is Channel.email
    # A retry of the same message does not take another SMS nor change its channel.
    again = await messaging.send_message(SendMessage(
        idempotency_key=f"test-sms-{user.id}-{pack}", channel=Channel.sms, to="+237670000123",
        template="renewal_reminder", language="en", data={}, user_id=user.id))
    assert again.already_sent and again.channel is Channel.email

    entitlements = (await api.get("/api/v1/me/entitlements", headers=user.headers)).json()
    assert entitlements["sms_remaining"] == 0
    outbox = (await api.get("/dev/outbox", params={"to": user.email})).json()["items"]
    fallback = next(m for m in outbox if m["template"] == "renewal_reminder")
    assert fallback["channel"] == "email"
    assert "No SMS balance left" in fallback["note"]
    sms = (await api.get("/dev/outbox", params={"to": "+237670000123"})).json()["items"]
    assert len([m for m in sms if m["template"] == "renewal_reminder"]) == pack

