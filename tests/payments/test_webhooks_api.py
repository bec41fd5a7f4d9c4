"""Webhooks: signature checked, each event processed once, in any order."""

from __future__ import annotations

import pytest

from db.models import ProviderEvent
from domain.ids import payment_workflow_id
from domain.payments import PaymentResult
from tests.payments.support import count, paying_patient, payment_fields, signed_webhook

pytestmark = pytest.mark.db


async def _pending_purchase(api, sessions, settings) -> tuple[dict, dict]:
    user, address = await paying_patient(sessions, settings, api)
    created = await api.post("/api/v1/me/purchases", headers=user.headers,
                             json={"sms_packs": 1, **payment_fields(address)})
    assert created.status_code == 201, created.text
    return created.json()["payment"], user.headers


async def test_bad_signature_is_400(api, worker, sessions, e2e_settings) -> None:
    payment, _ = await _pending_purchase(api, sessions, e2e_settings)
    body, headers = signed_webhook(e2e_settings, payment["id"], "succeeded", "evt_forged")
    forged = dict(headers, **{"sandbox-signature": headers["sandbox-signature"][:-4] + "0000"})
    response = await api.post("/api/v1/webhooks/sandbox", content=body, headers=forged)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    unsigned = await api.post("/api/v1/webhooks/sandbox", content=body,
                              headers={"content-type": "application/json"})
    assert unsigned.status_code == 400
    tampered = body.replace(b"succeeded", b"failed")
    assert (await api.post("/api/v1/webhooks/sandbox", content=tampered,
                           headers=headers)).status_code == 400
    # An unconfigured provider has no webhook.
    assert (await api.post("/api/v1/webhooks/stripe", content=body,
                           headers=headers)).status_code == 404
    assert await count(sessions, ProviderEvent) == 0


async def test_same_webhook_twice_and_out_of_order(api, worker, sessions, e2e_settings,
                                                   temporal_env) -> None:
    payment, headers_user = await _pending_purchase(api, sessions, e2e_settings)
    success, success_headers = signed_webhook(e2e_settings, payment["id"], "succeeded",
                                              "evt_2")
    stale_failure, failure_headers = signed_webhook(e2e_settings, payment["id"], "failed",
                                                    "evt_1")

    first = await api.post("/api/v1/webhooks/sandbox", content=success,
                           headers=success_headers)
    assert first.status_code == 200 and first.json()["status"] == "processed"
    again = await api.post("/api/v1/webhooks/sandbox", content=success,
                           headers=success_headers)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    # An older event arriving late does not undo the success.
    late = await api.post("/api/v1/webhooks/sandbox", content=stale_failure,
                          headers=failure_headers)
    assert late.status_code == 200

    result = await temporal_env.client.get_workflow_handle(
        payment_workflow_id(payment["id"]), result_type=PaymentResult).result()
    assert result.status == "succeeded" and result.invoice_number
    seen = await api.get(f"/api/v1/payments/{payment['id']}", headers=headers_user)
    assert seen.json()["status"] == "succeeded"
    replay = await api.post("/api/v1/webhooks/sandbox", content=stale_failure,
                            headers=failure_headers)
    assert replay.json()["status"] == "duplicate"
    assert await count(sessions, ProviderEvent, ProviderEvent.payment_id == payment["id"]) == 2
    invoices = (await api.get("/api/v1/me/invoices", headers=headers_user)).json()["items"]
    assert len(invoices) == 1
