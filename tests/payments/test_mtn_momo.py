"""Mobile Money with MTN MoMo against a local peer speaking its API: request-to-pay
(Collections), and refunds paid back by a disbursement (Disbursements), pending until MTN
pays them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from core.settings import Settings
from db.models import Invoice, Payment, ProviderEvent
from domain.errors import BusinessError
from domain.money import Money
from domain.payments import (
    Operator,
    PaymentMethod,
    PaymentStatus,
    RefundStatus,
)
from providers.payments.base import ChargeRequest, ProviderError, RefundOrder
from providers.payments.mtn_momo import MtnMomoProvider, reference_id, refund_reference_id
from tests.payments.mtn_peer import MtnPeer
from tests.payments.support import (
    api_with_worker,
    ask_refund,
    count,
    eventually,
    paying_patient,
    payment_fields,
    polls,
    start_refundable_mobile_money,
    with_mtn,
    without_polling,
)

pytestmark = pytest.mark.db


@pytest.fixture
def mtn_settings(e2e_settings: Settings, mtn: MtnPeer) -> Settings:
    return with_mtn(e2e_settings, mtn).model_copy(update={
        "durations": e2e_settings.durations.model_copy(update={
            "payment_poll_initial": timedelta(milliseconds=300),
            "payment_poll_max": timedelta(seconds=1)}),
    })


@pytest.fixture
async def mtn_api(mtn_settings, sessions, temporal_env) -> AsyncIterator[httpx.AsyncClient]:
    async with api_with_worker(mtn_settings, sessions, temporal_env) as client:
        yield client


async def _buy(api: httpx.AsyncClient, sessions, settings) -> tuple[dict, dict, str]:
    user, address = await paying_patient(sessions, settings, api)
    created = await api.post("/api/v1/me/purchases", headers=user.headers, json={
        "sms_packs": 1, **payment_fields(address, "mobile_money", operator="mtn",
                                         phone="+237670001122")})
    assert created.status_code == 201, created.text
    return created.json(), user.headers, created.json()["payment"]["id"]


async def test_request_to_pay_settled_by_the_callback(mtn, mtn_settings, sessions,
                                                      temporal_env) -> None:
    settings = without_polling(mtn_settings)  # only the callback can settle it here
    async with api_with_worker(settings, sessions, temporal_env) as mtn_api:
        await _settled_by_the_callback(mtn_api, mtn, settings, sessions, temporal_env)


async def _settled_by_the_callback(mtn_api, mtn, mtn_settings, sessions,  # type: ignore[no-untyped-def]
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
    assert await polls(temporal_env.client, payment_id) == 0


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


# --- refunds (Disbursements) ---------------------------------------------------------------

async def _paid_refundable(api: httpx.AsyncClient, mtn: MtnPeer, settings: Settings,
                           sessions, client: Client) -> tuple[WorkflowHandle, str, dict]:
    """A payment that a parent may refund for a day, paid on the payer's phone."""
    handle, payment_id, headers = await start_refundable_mobile_money(
        api, sessions, settings, client, Operator.mtn, "+237670001122")
    reference = reference_id(payment_id)
    await eventually(lambda: _asked(mtn, reference))
    mtn.payer_answers(reference, "SUCCESSFUL")  # no callback: the poll finds it
    await eventually(lambda: count(sessions, Invoice, Invoice.payment_id == payment_id))
    return handle, payment_id, headers


async def _asked(mtn: MtnPeer, reference: str) -> bool:
    return reference in mtn.requests


async def test_a_refund_is_a_disbursement_polled_until_mtn_pays_it(
    mtn_api, mtn, mtn_settings, sessions, temporal_env
) -> None:
    handle, payment_id, headers = await _paid_refundable(mtn_api, mtn, mtn_settings, sessions,
                                                         temporal_env.client)
    mtn.refund_checks_before_final = 2  # PENDING twice, then SUCCESSFUL
    mtn.lose_next_refund_answer = True  # MTN takes it, its answer is lost: the retry is 409
    refunded = await ask_refund(handle)
    assert refunded.status is PaymentStatus.refunded
    assert (await handle.result()).status is PaymentStatus.refunded

    # One refund at MTN, asked twice with the same reference, naming the payment it pays back.
    reference = refund_reference_id(f"esame-payment-{payment_id}-refund")
    assert list(mtn.refunds) == [reference] and mtn.refund_posts == 2
    sent = mtn.refunds[reference]
    assert sent["referenceIdToRefund"] == reference_id(payment_id)
    assert sent["amount"] == "2500" and sent["currency"] == "XAF"
    assert sent["externalId"] == payment_id and sent["payee"]["partyId"] == "237670001122"
    assert sent["status"] == "SUCCESSFUL" and sent["checks"] == 3
    async with sessions() as session:
        row = await session.get(Payment, payment_id)
        invoice = await session.scalar(select(Invoice).where(Invoice.payment_id == payment_id))
    assert row is not None and row.status == "refunded" and row.refund_status == "succeeded"
    assert row.refund_reference == reference
    assert invoice is not None and invoice.status == "refunded"
    seen = (await mtn_api.get(f"/api/v1/payments/{payment_id}", headers=headers)).json()
    assert seen["status"] == "refunded" and seen["refund_status"] == "succeeded"


async def test_a_refund_mtn_fails_leaves_the_payment_succeeded(
    mtn_api, mtn, mtn_settings, sessions, temporal_env
) -> None:
    handle, payment_id, headers = await _paid_refundable(mtn_api, mtn, mtn_settings, sessions,
                                                         temporal_env.client)
    mtn.refund_result, mtn.refund_reason = "FAILED", "NOT_ENOUGH_FUNDS"
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await ask_refund(handle)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == BusinessError.refund_failed.value
    assert cause.message == "mtn_momo refused the refund: NOT_ENOUGH_FUNDS"
    assert (await handle.result()).status is PaymentStatus.succeeded

    assert len(mtn.refunds) == 1
    async with sessions() as session:
        row = await session.get(Payment, payment_id)
        invoice = await session.scalar(select(Invoice).where(Invoice.payment_id == payment_id))
    assert row is not None and row.status == "succeeded" and row.refund_status == "failed"
    assert row.refund_failure_reason == cause.message
    assert invoice is not None and invoice.status == "paid"
    seen = (await mtn_api.get(f"/api/v1/payments/{payment_id}", headers=headers)).json()
    assert seen["status"] == "succeeded" and seen["refund_status"] == "failed"


def _refund_order(payment_id: str) -> RefundOrder:
    return RefundOrder(payment_id=payment_id, provider_reference=reference_id(payment_id),
                       amount=Money(amount=2500, currency="XAF"),
                       idempotency_key=f"esame-payment-{payment_id}-refund")


async def test_a_retried_refund_is_one_refund_at_mtn(mtn, mtn_settings) -> None:
    provider = MtnMomoProvider(mtn_settings.payments, mtn_settings.public_base_url)
    payment_id = "7a1c2b3d4e5f40718293a4b5c6d7e8f9"
    await provider.create(ChargeRequest(
        payment_id=payment_id, idempotency_key=f"esame-payment-{payment_id}-create",
        amount=Money(amount=2500, currency="XAF"), method=PaymentMethod.mobile_money,
        operator="mtn", phone="+237670001122", description="Test",
        return_url="http://x/r", notify_url="http://x/api/v1/webhooks/mtn_momo"))
    mtn.payer_answers(reference_id(payment_id), "SUCCESSFUL")

    first = await provider.refund(_refund_order(payment_id))
    again = await provider.refund(_refund_order(payment_id))  # 409: the first one arrived
    assert first.status is RefundStatus.pending
    assert first.reference == again.reference == refund_reference_id(
        f"esame-payment-{payment_id}-refund")
    assert len(mtn.refunds) == 1 and mtn.refund_posts == 2
    assert first.reference is not None
    assert (await provider.refund_status(payment_id, first.reference)).status is (
        RefundStatus.succeeded)
    # A refund of a payment MTN does not know is refused outright.
    with pytest.raises(ProviderError, match="RESOURCE_NOT_FOUND"):
        await provider.refund(_refund_order("0" * 32))


async def test_without_disbursement_credentials_a_refund_is_refused(mtn, mtn_settings) -> None:
    settings = mtn_settings.payments.model_copy(update={
        "mtn_disbursement_subscription_key": None})
    provider = MtnMomoProvider(settings, mtn_settings.public_base_url)
    with pytest.raises(ProviderError, match="MTN_DISBURSEMENT"):
        await provider.refund(_refund_order("1" * 32))
    assert mtn.refund_posts == 0
