"""PaymentWorkflow and SubscriptionWorkflow on the time-skipping server, with the real
activities, database and sandbox provider: deadlines, reminders, renewals, grace, cancel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.settings import Settings
from core.temporal_client import ensure_search_attributes
from db.engine import SessionMaker
from db.models import BillingAddress, Invoice, Message, Payment, Subscription
from db.queries.entitlements import load_entitlements
from db.queries.sandbox import DbSandboxLedger
from domain.accounts import Role
from domain.billing import Payer, PlanTerms, SubscriptionInput, SubscriptionTimings
from domain.ids import new_id, payment_workflow_id, subscription_workflow_id
from domain.money import Money
from domain.payments import (
    InvoiceLine,
    PaymentInput,
    PaymentMethod,
    PaymentStatus,
    PaymentTimings,
    ProviderEventSignal,
    ProviderName,
    RefundRequest,
    RefundResult,
)
from tests.payments.support import count, eventually
from tests.support.users import TestUser, make_user
from workers.main import WorkerDeps, build_worker
from workflows.payment import PaymentWorkflow
from workflows.subscription import SubscriptionWorkflow

pytestmark = pytest.mark.db

DAY = timedelta(days=1)
TIMINGS = PaymentTimings(deadline=timedelta(minutes=30), poll_initial=timedelta(seconds=10),
                         poll_max=timedelta(minutes=5))
# Over a 7-day grace the poll backs off to hours, as a production setting would allow.
SUBSCRIPTION_TIMINGS = SubscriptionTimings(
    renewal_reminder_before=3 * DAY, grace_period=7 * DAY,
    payment=PaymentTimings(deadline=timedelta(minutes=30), poll_initial=timedelta(minutes=1),
                           poll_max=timedelta(hours=6)))
ESSENTIEL = PlanTerms(plan_id="plan-essentiel", code="essentiel", name="Essentiel",
                      price=Money(amount=2000, currency="XAF"), period_days=30,
                      sms_per_period=10)
CONFORT = PlanTerms(plan_id="plan-confort", code="confort", name="Confort",
                    price=Money(amount=5000, currency="XAF"), period_days=30,
                    sms_per_period=30)


@pytest.fixture
async def ts_worker(time_skipping_env: WorkflowEnvironment, sessions: SessionMaker,
                    settings: Settings) -> AsyncIterator[Worker]:
    # The time-skipping server starts with no custom search attributes; the workflows set
    # EsameStatus and EsamePatientId as they do in production.
    await ensure_search_attributes(time_skipping_env.client, settings)
    worker = build_worker(time_skipping_env.client, WorkerDeps.from_settings(settings, sessions))
    async with worker:
        yield worker


async def _patient(sessions: SessionMaker, settings: Settings) -> tuple[TestUser, str]:
    user = await make_user(sessions, settings, Role.patient, address_line="1 rue Njo-Njo",
                           phone=None)
    async with sessions() as session, session.begin():
        address = BillingAddress(user_id=user.id, line1="1 rue Njo-Njo", city="Douala",
                                 country="CM")
        session.add(address)
    return user, address.id


def _payment_input(user: TestUser, address: str, **extra: object) -> PaymentInput:
    price = Money(amount=1500, currency="XAF")
    return PaymentInput(
        payment_id=new_id(), user_id=user.id, amount=price, method=PaymentMethod.card,
        provider=ProviderName.sandbox, billing_address_id=address, description="Test",
        lines=[InvoiceLine(description="Test", unit_price=price, total=price)],
        timings=TIMINGS, **extra)  # type: ignore[arg-type]


async def _pay(client: Client, sessions: SessionMaker, payment_id: str) -> None:
    """The payer approves at the sandbox, whose webhook reaches the workflow."""
    await DbSandboxLedger(sessions).settle(payment_id, "succeeded")
    await client.get_workflow_handle(payment_workflow_id(payment_id)).signal(
        "provider_event", ProviderEventSignal(provider=ProviderName.sandbox,
                                              event_id=f"evt-{payment_id}",
                                              status=PaymentStatus.succeeded))


# --- PaymentWorkflow --------------------------------------------------------------------------

async def test_unpaid_payment_expires_at_its_deadline(time_skipping_env, ts_worker, sessions,
                                                      settings) -> None:
    user, address = await _patient(sessions, settings)
    payment = _payment_input(user, address)
    handle = await time_skipping_env.client.start_workflow(
        PaymentWorkflow.run, payment, id=payment_workflow_id(payment.payment_id),
        task_queue=settings.temporal.task_queue)
    result = await handle.result()
    assert result.status is PaymentStatus.expired and result.invoice_id is None
    async with sessions() as session:
        row = await session.get(Payment, payment.payment_id)
        assert row is not None and row.status == "expired" and row.settled_at is not None
    # It polled the provider with backoff: 10s, 20s, 40s ... capped at 5 min, over 30 min.
    polls = [e async for e in handle.fetch_history_events()
             if e.activity_task_scheduled_event_attributes.activity_type.name
             == "check_payment_status"]
    assert 6 <= len(polls) <= 14


async def test_a_payment_found_by_polling_is_invoiced_once(time_skipping_env, ts_worker,
                                                           sessions, settings) -> None:
    user, address = await _patient(sessions, settings)
    payment = _payment_input(user, address)
    handle = await time_skipping_env.client.start_workflow(
        PaymentWorkflow.run, payment, id=payment_workflow_id(payment.payment_id),
        task_queue=settings.temporal.task_queue)
    await eventually(lambda: _row_has_checkout(sessions, payment.payment_id))
    # No webhook at all (as when MTN's callback is lost): the poll finds the success.
    await DbSandboxLedger(sessions).settle(payment.payment_id, "succeeded")
    result = await handle.result()
    assert result.status is PaymentStatus.succeeded and result.invoice_number
    assert await count(sessions, Invoice, Invoice.payment_id == payment.payment_id) == 1


async def _row_has_checkout(sessions: SessionMaker, payment_id: str) -> bool:
    async with sessions() as session:
        row = await session.get(Payment, payment_id)
        return row is not None and row.checkout_url is not None


async def test_a_parent_can_refund(time_skipping_env, ts_worker, sessions, settings) -> None:
    user, address = await _patient(sessions, settings)
    payment = _payment_input(user, address, refundable_for=2 * DAY)
    handle: WorkflowHandle = await time_skipping_env.client.start_workflow(
        PaymentWorkflow.run, payment, id=payment_workflow_id(payment.payment_id),
        task_queue=settings.temporal.task_queue)
    await eventually(lambda: _row_has_checkout(sessions, payment.payment_id))
    await _pay(time_skipping_env.client, sessions, payment.payment_id)
    await eventually(lambda: _invoiced(sessions, payment.payment_id))
    refunded = await handle.execute_update("refund", RefundRequest(reason="doctor late"),
                                           result_type=RefundResult)
    assert refunded.status is PaymentStatus.refunded
    result = await handle.result()
    assert result.status is PaymentStatus.refunded
    async with sessions() as session:
        row = await session.get(Payment, payment.payment_id)
        invoice = await session.scalar(select(Invoice).where(
            Invoice.payment_id == payment.payment_id))
        assert row is not None and row.status == "refunded"
        assert row.refund_status == "succeeded"
        assert row.refund_reference == f"sbx_refund_{payment.payment_id}"
        assert invoice is not None and invoice.status == "refunded"
    charge = await DbSandboxLedger(sessions).get(payment.payment_id)
    assert charge is not None and charge.status == "refunded"


async def _invoiced(sessions: SessionMaker, payment_id: str) -> bool:
    return await count(sessions, Invoice, Invoice.payment_id == payment_id) == 1


# --- SubscriptionWorkflow ---------------------------------------------------------------------

async def _subscribe(env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings,
                     plan: PlanTerms = ESSENTIEL) -> tuple[TestUser, WorkflowHandle, str]:
    user, address = await _patient(sessions, settings)
    subscription_id = new_id()
    handle = await env.client.start_workflow(
        SubscriptionWorkflow.run,
        SubscriptionInput(
            subscription_id=subscription_id, plan=plan, timings=SUBSCRIPTION_TIMINGS,
            payer=Payer(user_id=user.id, email=user.email, language="en",
                        method=PaymentMethod.card, provider=ProviderName.sandbox,
                        billing_address_id=address)),
        id=subscription_workflow_id(subscription_id), task_queue=settings.temporal.task_queue)
    checkout = await handle.execute_update("checkout", result_type=dict)
    await _pay(env.client, sessions, checkout["payment"]["id"])
    await eventually(lambda: _status(sessions, subscription_id, "active"))
    return user, handle, subscription_id


async def _status(sessions: SessionMaker, subscription_id: str, wanted: str,
                  period: int | None = None) -> Subscription | None:
    async with sessions() as session:
        row = await session.get(Subscription, subscription_id)
        if row is None or row.status != wanted or (period and row.period != period):
            return None
        return row


async def _messages(sessions: SessionMaker, to: str, template: str) -> list[Message]:
    async with sessions() as session:
        return list((await session.scalars(select(Message).where(
            Message.to == to, Message.template == template)
            .order_by(Message.created_at, Message.id))).all())


async def _pending_payment(sessions: SessionMaker, user_id: str) -> Payment | None:
    async with sessions() as session:
        return await session.scalar(select(Payment).where(
            Payment.user_id == user_id, Payment.status == "pending",
            Payment.checkout_url.is_not(None)))


async def test_renewals_over_several_periods(time_skipping_env, ts_worker, sessions,
                                             settings) -> None:
    env = time_skipping_env
    user, handle, subscription_id = await _subscribe(env, sessions, settings)
    first = await _status(sessions, subscription_id, "active")
    assert first is not None and first.current_period_end is not None
    start_end = first.current_period_end

    for period in (1, 2, 3):
        await env.sleep(27 * DAY + timedelta(hours=1))
        reminders = await eventually(
            partial(_at_least, sessions, user.email, "renewal_reminder", period))
        assert "renews on" in reminders[-1].body
        await env.sleep(3 * DAY)
        renewal = await eventually(lambda: _pending_payment(sessions, user.id))
        assert renewal.amount == 2000
        links = await eventually(
            partial(_at_least, sessions, user.email, "renewal_payment_link", period))
        # The link leads to the payment's page of the web app, which leads on to checkout.
        page = settings.web_links.pay(renewal.id)
        assert links[-1].data["payment_url"] == page and page in links[-1].body
        assert await _status(sessions, subscription_id, "past_due") is not None
        await _pay(env.client, sessions, renewal.id)
        row = await eventually(partial(_status, sessions, subscription_id, "active",
                                       period + 1))
        assert row.current_period_end == start_end + timedelta(days=30 * period)

    async with sessions() as session:
        numbers = list((await session.scalars(select(Invoice.number).where(
            Invoice.user_id == user.id).order_by(Invoice.number))).all())
    assert len(numbers) == 4
    sequence = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert sequence == list(range(sequence[0], sequence[0] + 4))
    state = await handle.query("state", result_type=dict)
    assert state["period"] == 4 and state["status"] == "active"
    await handle.terminate("test over")  # leave no timers to the next test's clock


async def _at_least(sessions: SessionMaker, to: str, template: str,
                    n: int) -> list[Message] | None:
    messages = await _messages(sessions, to, template)
    return messages if len(messages) >= n else None


async def test_unpaid_renewal_past_due_then_expired(time_skipping_env, ts_worker, sessions,
                                                    settings) -> None:
    env = time_skipping_env
    user, handle, subscription_id = await _subscribe(env, sessions, settings, CONFORT)
    await env.sleep(30 * DAY + timedelta(hours=1))
    await eventually(lambda: _status(sessions, subscription_id, "past_due"))
    async with sessions() as session:
        during_grace = await load_entitlements(session, user.id)
    assert during_grace.plan == "confort" and during_grace.teleconsultation

    result = await handle.result()
    assert result.status == "expired"
    async with sessions() as session:
        after = await load_entitlements(session, user.id)
        payments = list((await session.scalars(select(Payment.status).where(
            Payment.user_id == user.id).order_by(Payment.created_at))).all())
    assert after.plan == "free" and not after.teleconsultation and after.sms_remaining == 0
    assert payments == ["succeeded", "expired"]
    assert await _messages(sessions, user.email, "subscription_expired")


async def test_cancel_stops_renewal_at_period_end(time_skipping_env, ts_worker, sessions,
                                                  settings) -> None:
    env = time_skipping_env
    user, handle, subscription_id = await _subscribe(env, sessions, settings)
    canceled = await handle.execute_update("cancel", result_type=dict)
    assert canceled["status"] == "canceled" and canceled["auto_renew"] is False
    row = await _status(sessions, subscription_id, "canceled")
    assert row is not None and row.auto_renew is False
    async with sessions() as session:
        still = await load_entitlements(session, user.id)
    assert still.plan == "essentiel"

    result = await handle.result()
    assert result.status == "expired"
    assert await count(sessions, Payment, Payment.user_id == user.id) == 1
    assert not await _messages(sessions, user.email, "renewal_reminder")
    assert await _messages(sessions, user.email, "subscription_ended")


async def test_plan_change_takes_effect_next_period(time_skipping_env, ts_worker, sessions,
                                                    settings) -> None:
    env = time_skipping_env
    user, handle, subscription_id = await _subscribe(env, sessions, settings, ESSENTIEL)
    await handle.execute_update("change_plan", CONFORT, result_type=dict)
    async with sessions() as session:
        now = await load_entitlements(session, user.id)
    assert now.plan == "essentiel"
    await env.sleep(30 * DAY + timedelta(hours=1))
    renewal = await eventually(lambda: _pending_payment(sessions, user.id))
    assert renewal.amount == CONFORT.price.amount
    await _pay(env.client, sessions, renewal.id)
    row = await eventually(lambda: _status(sessions, subscription_id, "active", 2))
    assert row.plan_id == "plan-confort" and row.next_plan_id is None
    async with sessions() as session:
        upgraded = await load_entitlements(session, user.id)
    assert upgraded.plan == "confort" and upgraded.sms_remaining == 30
    await handle.terminate("test over")

