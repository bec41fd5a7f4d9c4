"""Renewals charged to the card saved at Stripe, off-session: SubscriptionWorkflow on the
time-skipping server with the real activities, against localstripe behind the idempotency
proxy (which also plays `setup_future_usage`, unknown to localstripe). The first card payment
saves the card; the renewal charges it with nobody there and sends no payment link; a card
that is now declined, or that needs the payer to authenticate, falls back to the link."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
import stripe
from sqlalchemy import select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.settings import Settings
from core.temporal_client import ensure_search_attributes
from db.engine import SessionMaker
from db.models import BillingAddress, Message, Payment, PaymentCustomer, Subscription
from domain.accounts import Role
from domain.billing import Payer, PlanTerms, SubscriptionInput, SubscriptionTimings
from domain.ids import new_id, payment_workflow_id, subscription_workflow_id
from domain.money import Money
from domain.payments import (
    PaymentMethod,
    PaymentStatus,
    PaymentTimings,
    ProviderEventSignal,
    ProviderName,
    SavedCard,
)
from providers.payments.base import ChargeRequest, ProviderError
from providers.payments.stripe import StripeProvider
from tests.payments.stripe_idempotency import StripeIdempotencyProxy
from tests.payments.support import eventually
from tests.support.users import TestUser, make_user
from workers.main import WorkerDeps, build_worker

pytestmark = pytest.mark.db

DAY = timedelta(days=1)
TIMINGS = SubscriptionTimings(
    renewal_reminder_before=3 * DAY, grace_period=7 * DAY,
    payment=PaymentTimings(deadline=timedelta(minutes=30), poll_initial=timedelta(minutes=1),
                           poll_max=timedelta(hours=6)))
PLAN = PlanTerms(plan_id="plan-essentiel", code="essentiel", name="Essentiel",
                 price=Money(amount=300, currency="EUR"), period_days=30, sms_per_period=10)
GOOD, DECLINED_LATER, NEEDS_3DS = "4242424242424242", "4000000000000341", "4000002500003155"


@pytest.fixture
def card_settings(settings: Settings, stripe_proxy: StripeIdempotencyProxy) -> Settings:
    return settings.model_copy(update={"payments": settings.payments.model_copy(update={
        "stripe_api_key": "sk_test_esame", "stripe_webhook_secret": "whsec_esame_test",
        "stripe_api_base": stripe_proxy.url})})


@pytest.fixture
async def card_worker(time_skipping_env: WorkflowEnvironment, sessions: SessionMaker,
                      card_settings: Settings) -> AsyncIterator[Worker]:
    await ensure_search_attributes(time_skipping_env.client, card_settings)
    async with build_worker(time_skipping_env.client,
                            WorkerDeps.from_settings(card_settings, sessions)) as worker:
        yield worker


def _stripe_js(proxy: StripeIdempotencyProxy) -> stripe.StripeClient:
    """What the payer's browser talks to (Stripe.js): Stripe, here the proxy."""
    return stripe.StripeClient("sk_test_esame", base_addresses={"api": proxy.url},
                               http_client=stripe.HTTPXClient())


async def _card(client: stripe.StripeClient, number: str) -> str:
    card = await client.v1.payment_methods.create_async({
        "type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2030,
                                 "cvc": "123"}})
    return str(card.id)


async def _payer(sessions: SessionMaker, settings: Settings) -> tuple[TestUser, Payer]:
    user = await make_user(sessions, settings, Role.patient, currency="EUR", phone=None,
                           address_line="1 rue Njo-Njo")
    async with sessions() as session, session.begin():
        address = BillingAddress(user_id=user.id, line1="1 rue Njo-Njo", city="Douala",
                                 country="CM")
        session.add(address)
    return user, Payer(user_id=user.id, email=user.email, language="en",
                       method=PaymentMethod.card, provider=ProviderName.stripe,
                       billing_address_id=address.id)


async def _pay_on_session(env: WorkflowEnvironment, proxy: StripeIdempotencyProxy,
                          payment: dict | Payment, number: str = GOOD) -> str:
    """The payer confirms the PaymentIntent with a card (Stripe.js), Stripe's webhook
    reaches the workflow. Returns the card's PaymentMethod id."""
    client = _stripe_js(proxy)
    payment_id = payment["id"] if isinstance(payment, dict) else payment.id
    secret = payment["client_secret"] if isinstance(payment, dict) else payment.client_secret
    assert secret
    intent_id = secret.split("_secret_")[0]
    card = await _card(client, number)
    await client.v1.payment_intents.update_async(intent_id, {"payment_method": card})
    await client.v1.payment_intents.confirm_async(intent_id)
    await env.client.get_workflow_handle(payment_workflow_id(payment_id)).signal(
        "provider_event", ProviderEventSignal(provider=ProviderName.stripe,
                                              event_id=f"evt-{payment_id}",
                                              status=PaymentStatus.succeeded))
    return card


async def _subscription(sessions: SessionMaker, subscription_id: str, status: str,
                        period: int) -> Subscription | None:
    async with sessions() as session:
        row = await session.get(Subscription, subscription_id)
        return row if row is not None and row.status == status and row.period == period \
            else None


async def _messages(sessions: SessionMaker, user_id: str, template: str) -> list[Message]:
    async with sessions() as session:
        return list((await session.scalars(select(Message).where(
            Message.user_id == user_id, Message.template == template))).all())


async def _payments(sessions: SessionMaker, user_id: str) -> list[Payment]:
    async with sessions() as session:
        return list((await session.scalars(select(Payment).where(
            Payment.user_id == user_id).order_by(Payment.created_at))).all())


async def _intents_for(proxy: StripeIdempotencyProxy, localstripe: str,
                       payment_id: str) -> list[stripe.PaymentIntent]:
    client = stripe.StripeClient("sk_test_esame", base_addresses={"api": localstripe},
                                 http_client=stripe.HTTPXClient())
    page = await client.v1.payment_intents.list_async({"limit": 100})
    return [pi async for pi in page.auto_paging_iter()
            if pi.metadata.to_dict().get("payment_id") == payment_id]


async def test_first_payment_saves_the_card_and_the_renewal_charges_it_off_session(
    time_skipping_env, card_worker, sessions, card_settings, stripe_proxy, localstripe
) -> None:
    env = time_skipping_env
    user, payer = await _payer(sessions, card_settings)
    sub = SubscriptionInput(subscription_id=new_id(), plan=PLAN, timings=TIMINGS, payer=payer)
    handle: WorkflowHandle = await env.client.start_workflow(
        "SubscriptionWorkflow", sub, id=subscription_workflow_id(sub.subscription_id),
        task_queue=card_settings.temporal.task_queue)
    checkout = await handle.execute_update("checkout", result_type=dict)
    first = checkout["payment"]
    card = await _pay_on_session(env, stripe_proxy, first)
    row = await eventually(lambda: _subscription(sessions, sub.subscription_id, "active", 1))

    # The app created the PaymentIntent for the user's Customer, asking Stripe to keep the
    # card, and kept the card it was paid with for this subscription.
    async with sessions() as session:
        customer = await session.scalar(select(PaymentCustomer.customer_id).where(
            PaymentCustomer.user_id == user.id, PaymentCustomer.provider == "stripe"))
    assert customer and customer.startswith("cus_")
    assert row.saved_payment_method_id == card
    [intent] = await _intents_for(stripe_proxy, localstripe, first["id"])
    assert intent.customer == customer
    [asked] = [c for c in stripe_proxy.creates("/v1/payment_intents")
               if c.idempotency_key == f"esame-payment-{first['id']}-create"]
    assert asked.params["customer"] == customer
    assert asked.params["setup_future_usage"] == "off_session"
    customers = stripe_proxy.creates("/v1/customers")
    assert [c.idempotency_key for c in customers] == [f"esame-user-{user.id}-customer"]

    # The period ends: the card is charged with nobody there, no link is sent.
    await env.sleep(30 * DAY + timedelta(hours=1))
    renewed = await eventually(lambda: _subscription(sessions, sub.subscription_id,
                                                     "active", 2))
    assert row.current_period_end is not None
    assert renewed.current_period_end == row.current_period_end + timedelta(days=30)
    first_row, renewal = await _payments(sessions, user.id)
    assert first_row.id == first["id"]
    assert renewal.status == "succeeded" and renewal.amount == 300
    assert renewal.client_secret is None and renewal.checkout_url is None
    [charged] = await _intents_for(stripe_proxy, localstripe, renewal.id)
    assert charged.id == renewal.provider_reference and charged.status == "succeeded"
    assert charged.customer == customer and charged.payment_method == card
    creates = [c for c in stripe_proxy.creates("/v1/payment_intents")
               if c.idempotency_key == f"esame-payment-{renewal.id}-create"]
    assert len(creates) == 1
    assert not await _messages(sessions, user.id, "renewal_payment_link")
    assert not await _messages(sessions, user.id, "renewal_card_declined")
    [receipt] = await _messages(sessions, user.id, "subscription_renewed")
    assert "saved card" in receipt.body and "3.00 EUR" in receipt.body
    await handle.terminate("test over")  # leave no timers to the next test's clock


async def _second_period(env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings,
                         proxy: StripeIdempotencyProxy, number: str
                         ) -> tuple[TestUser, datetime, WorkflowHandle]:
    """A subscription in its second period whose saved card is `number`, renewing in one
    hour (a card Stripe attached then, and that the bank treats differently now)."""
    user, payer = await _payer(sessions, settings)
    client = _stripe_js(proxy)
    customer = await client.v1.customers.create_async({"metadata": {"user_id": user.id}})
    card = await _card(client, number)
    await client.v1.payment_methods.attach_async(card, {"customer": customer.id})
    async with sessions() as session, session.begin():
        session.add(PaymentCustomer(user_id=user.id, provider="stripe",
                                    customer_id=customer.id))
    now = await env.get_current_time()
    ends = now + timedelta(hours=1)
    sub = SubscriptionInput(
        subscription_id=new_id(), plan=PLAN, timings=TIMINGS, payer=payer, period=2,
        current_period_start=ends - timedelta(days=30), current_period_end=ends,
        saved_card=SavedCard(customer_id=customer.id, payment_method_id=card))
    handle: WorkflowHandle = await env.client.start_workflow(
        "SubscriptionWorkflow", sub, id=subscription_workflow_id(sub.subscription_id),
        task_queue=settings.temporal.task_queue)
    await eventually(lambda: _subscription(sessions, sub.subscription_id, "active", 2))
    return user, ends, handle


async def test_a_declined_saved_card_falls_back_to_the_payment_link(
    time_skipping_env, card_worker, sessions, card_settings, stripe_proxy, localstripe
) -> None:
    env = time_skipping_env
    user, ends, handle = await _second_period(env, sessions, card_settings, stripe_proxy,
                                              DECLINED_LATER)
    subscription_id = handle.id.removeprefix("subscription-")
    await env.sleep(timedelta(hours=2))
    await eventually(lambda: _subscription(sessions, subscription_id, "past_due", 2))
    [link] = await eventually(lambda: _messages(sessions, user.id, "renewal_card_declined"))
    assert "card was refused" in link.body
    assert not await _messages(sessions, user.id, "subscription_renewed")
    declined, pending = await eventually(lambda: _two(_payments(sessions, user.id)))
    assert declined.status == "failed" and "card_declined" in (declined.failure_reason or "")
    assert len(await _intents_for(stripe_proxy, localstripe, declined.id)) == 1
    assert pending.status == "pending" and pending.client_secret

    # The payer pays by the link with another card: renewed, and that card is kept.
    card = await _pay_on_session(env, stripe_proxy, pending)
    row = await eventually(lambda: _subscription(sessions, subscription_id, "active", 3))
    assert row.saved_payment_method_id == card
    # The new period starts where the last one ended, though it was paid late.
    assert row.current_period_start == ends
    await handle.terminate("test over")


async def _two(found):  # type: ignore[no-untyped-def]
    payments = await found
    return payments if len(payments) == 2 else None


async def test_a_saved_card_that_needs_authentication_falls_back_then_expires(
    time_skipping_env, card_worker, sessions, card_settings, stripe_proxy, localstripe
) -> None:
    env = time_skipping_env
    user, ends, handle = await _second_period(env, sessions, card_settings, stripe_proxy,
                                              NEEDS_3DS)
    await env.sleep(timedelta(hours=2))
    await eventually(lambda: _messages(sessions, user.id, "renewal_card_declined"))
    refused, _ = await eventually(lambda: _two(_payments(sessions, user.id)))
    assert "authentication_required" in (refused.failure_reason or "")
    [intent] = await _intents_for(stripe_proxy, localstripe, refused.id)
    assert intent.status == "canceled"  # nobody can complete it any more
    # Nobody pays the link: the subscription expires at the end of the same grace.
    result = await handle.result()
    assert result["status"] == "expired"
    assert [p.status for p in await _payments(sessions, user.id)] == ["failed", "expired"]
    closed = (await handle.describe()).close_time
    assert closed is not None
    assert TIMINGS.grace_period <= closed - ends <= TIMINGS.grace_period + timedelta(minutes=5)


# --- the adapter: one PaymentIntent per renewal payment id ----------------------------------

async def test_a_retried_off_session_charge_is_one_payment_intent(
    card_settings, stripe_proxy, localstripe
) -> None:
    provider = StripeProvider(card_settings.payments, card_settings.public_base_url)
    client = _stripe_js(stripe_proxy)
    customer = await provider.create_customer("u1", "a@esame.cm", f"k-{uuid.uuid4().hex}")
    good, bad = await _card(client, GOOD), await _card(client, DECLINED_LATER)
    for card in (good, bad):
        await client.v1.payment_methods.attach_async(card, {"customer": customer})

    def renewal(payment_id: str, card: str) -> ChargeRequest:
        return ChargeRequest(
            payment_id=payment_id, idempotency_key=f"esame-payment-{payment_id}-create",
            amount=Money(amount=300, currency="EUR"), method=PaymentMethod.card,
            description="Renewal", return_url="http://x/r", notify_url="http://x/n",
            customer_id=customer, off_session_payment_method=card)

    paid_id = uuid.uuid4().hex
    first = await provider.create(renewal(paid_id, good))
    again = await provider.create(renewal(paid_id, good))  # as a retried activity does
    assert first.status is again.status is PaymentStatus.succeeded
    assert again.provider_reference == first.provider_reference
    assert [c.replayed for c in stripe_proxy.creates("/v1/payment_intents")] == [False, True]
    assert [pi.id for pi in await _intents_for(stripe_proxy, localstripe, paid_id)] == [
        first.provider_reference]

    declined_id = uuid.uuid4().hex
    for _ in range(2):  # a declined charge retried is the same refusal, no second charge
        with pytest.raises(ProviderError, match="card_declined"):
            await provider.create(renewal(declined_id, bad))
    assert len(await _intents_for(stripe_proxy, localstripe, declined_id)) == 1
