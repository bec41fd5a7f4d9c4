"""Orange Money against a local peer: the web payment (redirect URL, notification checked by
its notif_token, status by transactionstatus), and refunds paid back by a cash-in (init, pay
with the pay token, status), whose pay token is kept before paying so that a retry never
pays twice."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from core.settings import Settings
from db.models import Invoice, Payment
from domain.errors import BusinessError
from domain.money import Money
from domain.payments import (
    Operator,
    PaymentMethod,
    PaymentStatus,
    RefundStatus,
)
from providers.payments.base import ChargeRequest, ProviderError, RefundOrder
from providers.payments.orange_money import OrangeMoneyProvider, national_msisdn
from tests.payments.orange_peer import (
    CASHIN_CLIENT_ID,
    CASHIN_CLIENT_SECRET,
    CASHIN_PASSWORD,
    CASHIN_USERNAME,
    CHANNEL_MSISDN,
    CHANNEL_PIN,
    CLIENT_ID,
    CLIENT_SECRET,
    MERCHANT_KEY,
    OrangePeer,
)
from tests.payments.support import (
    api_with_worker,
    ask_refund,
    count,
    eventually,
    paying_patient,
    payment_fields,
    polls,
    start_refundable_mobile_money,
    without_polling,
)

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
            "orange_merchant_key": MERCHANT_KEY, "orange_base_url": orange.url,
            "orange_cashin_base_url": orange.url, "orange_cashin_client_id": CASHIN_CLIENT_ID,
            "orange_cashin_client_secret": CASHIN_CLIENT_SECRET,
            "orange_cashin_username": CASHIN_USERNAME,
            "orange_cashin_password": CASHIN_PASSWORD,
            "orange_cashin_channel_msisdn": CHANNEL_MSISDN, "orange_cashin_pin": CHANNEL_PIN}),
    })


@pytest.fixture
async def orange_api(orange_settings, sessions, temporal_env) -> AsyncIterator[httpx.AsyncClient]:
    async with api_with_worker(orange_settings, sessions, temporal_env) as client:
        yield client


async def _buy(api, sessions, settings) -> tuple[dict, dict]:
    user, address = await paying_patient(sessions, settings, api)
    created = await api.post("/api/v1/me/purchases", headers=user.headers, json={
        "sms_packs": 1, **payment_fields(address, "mobile_money", operator="orange",
                                         phone="+237690001122")})
    assert created.status_code == 201, created.text
    return created.json(), user.headers


async def test_web_payment_notified_and_checked(orange, orange_settings, sessions,
                                                temporal_env) -> None:
    settings = without_polling(orange_settings)  # only the notification can settle it here
    async with api_with_worker(settings, sessions, temporal_env) as orange_api:
        await _notified_and_checked(orange_api, orange, settings, sessions, temporal_env)


async def _notified_and_checked(orange_api, orange, orange_settings,  # type: ignore[no-untyped-def]
                                sessions, temporal_env) -> None:
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
    assert await polls(temporal_env.client, payment["id"]) == 0


async def test_without_notification_the_status_is_polled(orange_api, orange, orange_settings,
                                                         sessions, temporal_env) -> None:
    created, headers = await _buy(orange_api, sessions, orange_settings)
    orange.payer_pays(created["payment"]["id"], "FAILED")
    await temporal_env.client.get_workflow_handle(f"purchase-{created['purchase_id']}").result()
    seen = (await orange_api.get(f"/api/v1/payments/{created['payment']['id']}",
                                 headers=headers)).json()
    assert seen["status"] == "failed"


# --- refunds (cash-in) -----------------------------------------------------------------------

async def _paid_refundable(api: httpx.AsyncClient, orange: OrangePeer, settings: Settings,
                           sessions, client: Client) -> tuple[WorkflowHandle, str, dict]:
    """A web payment that a parent may refund for a day, paid on Orange's page."""
    handle, payment_id, headers = await start_refundable_mobile_money(
        api, sessions, settings, client, Operator.orange, "+237690001122")
    await eventually(lambda: _created(orange, payment_id))
    orange.payer_pays(payment_id)  # no notification: the poll finds it
    await eventually(lambda: count(sessions, Invoice, Invoice.payment_id == payment_id))
    return handle, payment_id, headers


async def _created(orange: OrangePeer, payment_id: str) -> bool:
    return payment_id in orange.payments


async def test_a_refund_is_a_cash_in_to_the_payer(orange_api, orange, orange_settings,
                                                  sessions, temporal_env) -> None:
    handle, payment_id, headers = await _paid_refundable(orange_api, orange, orange_settings,
                                                         sessions, temporal_env.client)
    orange.lose_next_pay_answer = True  # Orange pays, its answer is lost: the retry looks up
    refunded = await ask_refund(handle)
    assert refunded.status is PaymentStatus.refunded
    assert (await handle.result()).status is PaymentStatus.refunded

    # One cash-in, from our channel user to the payer's number, paid once with one token.
    [cashin] = orange.paid_cashins()
    assert len(orange.cashins) == 1 and orange.cashin_pays == 1
    assert cashin["subscriberMsisdn"] == "690001122" and cashin["amount"] == 2500
    assert cashin["channelUserMsisdn"] == CHANNEL_MSISDN
    assert cashin["status"] == "SUCCESSFULL"
    async with sessions() as session:
        row = await session.get(Payment, payment_id)
        invoice = await session.scalar(select(Invoice).where(Invoice.payment_id == payment_id))
    assert row is not None and row.status == "refunded" and row.refund_status == "succeeded"
    assert row.refund_reference == cashin["payToken"]
    assert invoice is not None and invoice.status == "refunded"
    seen = (await orange_api.get(f"/api/v1/payments/{payment_id}", headers=headers)).json()
    assert seen["status"] == "refunded" and seen["refund_status"] == "succeeded"

    # Orange's cash-in notification reaches our webhook, signed by us: a hint, ignored.
    path = httpx.URL(cashin["notifUrl"]).raw_path.decode()
    hint = await orange_api.post(path, json={"status": "SUCCESSFULL"})
    assert hint.status_code == 200 and hint.json()["status"] == "ignored"
    forged = await orange_api.post(f"/api/v1/webhooks/orange_money?refund={payment_id}&sig=0",
                                   json={"status": "SUCCESSFULL"})
    assert forged.status_code == 400


async def test_a_cash_in_orange_fails_leaves_the_payment_succeeded(
    orange_api, orange, orange_settings, sessions, temporal_env
) -> None:
    handle, payment_id, headers = await _paid_refundable(orange_api, orange, orange_settings,
                                                         sessions, temporal_env.client)
    orange.cashin_result, orange.cashin_message = "FAILED", "Solde du compte insuffisant"
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await ask_refund(handle)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == BusinessError.refund_failed.value
    assert cause.message == "orange_money refused the refund: Solde du compte insuffisant"
    assert (await handle.result()).status is PaymentStatus.succeeded
    async with sessions() as session:
        row = await session.get(Payment, payment_id)
    assert row is not None and row.status == "succeeded" and row.refund_status == "failed"
    assert row.refund_failure_reason == cause.message
    seen = (await orange_api.get(f"/api/v1/payments/{payment_id}", headers=headers)).json()
    assert seen["status"] == "succeeded" and seen["refund_status"] == "failed"


async def _paid_web_payment(orange: OrangePeer, provider: OrangeMoneyProvider,
                            payment_id: str) -> RefundOrder:
    created = await provider.create(ChargeRequest(
        payment_id=payment_id, idempotency_key=f"esame-payment-{payment_id}-create",
        amount=Money(amount=2500, currency="XAF"), method=PaymentMethod.mobile_money,
        operator="orange", phone="+237690001122", description="Test",
        return_url="http://x/r", notify_url="http://x/api/v1/webhooks/orange_money"))
    orange.payer_pays(payment_id)
    return RefundOrder(payment_id=payment_id, provider_reference=created.provider_reference,
                       amount=Money(amount=2500, currency="XAF"),
                       idempotency_key=f"esame-payment-{payment_id}-refund",
                       phone="+237690001122", notify_url="http://x/api/v1/webhooks/orange_money")


class Crash(Exception):
    pass


async def test_a_refund_retried_after_a_crash_pays_once(orange, orange_settings) -> None:
    provider = OrangeMoneyProvider(orange_settings.payments, orange_settings.public_base_url)
    order = await _paid_web_payment(orange, provider, "4c3b2a1908f7e6d5c4b3a29180706050")
    kept: list[str] = []

    async def remember_then_crash(pay_token: str) -> None:
        kept.append(pay_token)  # written to the database...
        raise Crash  # ...then the worker dies before paying

    with pytest.raises(Crash):
        await provider.refund(order, remember_then_crash)
    assert orange.cashin_pays == 0 and len(orange.cashins) == 1

    async def remember(pay_token: str) -> None:
        raise AssertionError("a retry reuses the kept pay token")

    retried = order.model_copy(update={"earlier_reference": kept[0]})
    first = await provider.refund(retried, remember)  # pays with the kept token
    again = await provider.refund(retried, remember)  # paid already: looked up, not paid
    assert first.reference == again.reference == kept[0]
    assert first.status is again.status is RefundStatus.pending
    assert orange.cashin_pays == 1 and len(orange.cashins) == 1
    assert (await provider.refund_status(order.payment_id, kept[0])).status is (
        RefundStatus.succeeded)


async def test_without_cash_in_credentials_a_refund_is_refused(orange, orange_settings) -> None:
    settings = orange_settings.payments.model_copy(update={"orange_cashin_pin": None})
    provider = OrangeMoneyProvider(settings, orange_settings.public_base_url)
    order = await _paid_web_payment(orange, provider, "5d4c3b2a1908f7e6d5c4b3a291807060")
    with pytest.raises(ProviderError, match="ORANGE_CASHIN"):
        await provider.refund(order)
    assert orange.cashins == {}


def test_orange_numbers_are_national() -> None:
    assert national_msisdn("+237690001122") == "690001122"
    assert national_msisdn("237 69 00 01 122") == "690001122"
    assert national_msisdn("690001122") == "690001122"
