"""PaymentWorkflow's refund on the time-skipping server: a refund still pending at the
provider is polled with backoff until it is paid back (refunded) or left to staff when the
provider never says (activities mocked by name, to count the checks and their times); a
refund the provider refuses, after a while or outright, leaves the payment succeeded and the
parent's update fails with the reason (the real activities and database, against the MTN
MoMo peer)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select
from temporalio import activity
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.settings import Settings
from core.temporal_client import ensure_search_attributes
from db.engine import SessionMaker
from db.models import BillingAddress, Invoice, Payment
from domain.accounts import Role
from domain.errors import BusinessError
from domain.money import Money
from domain.payments import (
    CheckAtProvider,
    CheckRefundAtProvider,
    CreateAtProvider,
    CreatedAtProvider,
    InvoiceIssued,
    InvoiceLine,
    IssueInvoice,
    Operator,
    PaymentInput,
    PaymentMethod,
    PaymentRecorded,
    PaymentResult,
    PaymentStatus,
    PaymentTimings,
    PaymentView,
    ProviderName,
    ProviderStatus,
    RecordPaymentStatus,
    RecordRefundFailed,
    RefundAtProvider,
    RefundAtProviderStatus,
    RefundedAtProvider,
    RefundFailedRecorded,
    RefundRequest,
    RefundResult,
    RefundStatus,
)
from providers.payments.mtn_momo import reference_id
from tests.payments.mtn_peer import MtnPeer
from tests.payments.support import eventually, with_mtn
from tests.support.users import make_user
from workers.main import WORKFLOW_RUNNER, WorkerDeps, build_worker
from workflows.payment import PaymentWorkflow

DAY = timedelta(days=1)
TIMINGS = PaymentTimings(deadline=timedelta(minutes=30), poll_initial=timedelta(seconds=10),
                         poll_max=timedelta(minutes=5), refund_deadline=DAY)


@dataclass
class FakeProvider:
    """What the mocked activities answer: the payment succeeds at once; the refund is
    asked (`refund_answer`), then each status check takes the next of `refund_checks`."""

    refund_answer: Callable[[], RefundedAtProvider]
    refund_checks: list[RefundAtProviderStatus] = field(default_factory=list)
    recorded: list[PaymentStatus] = field(default_factory=list)
    refund_failures: list[str] = field(default_factory=list)
    checks: int = 0

    def activities(self) -> list[Callable[..., object]]:
        @activity.defn(name="create_payment")
        async def create_payment(command: CreateAtProvider) -> CreatedAtProvider:
            p = command.payment
            return CreatedAtProvider(
                view=PaymentView(id=p.payment_id, status=PaymentStatus.pending,
                                 method=p.method, provider=p.provider, amount=p.amount),
                provider_reference="ref-1")

        @activity.defn(name="check_payment_status")
        async def check_payment_status(command: CheckAtProvider) -> ProviderStatus:
            return ProviderStatus(status=PaymentStatus.succeeded)

        @activity.defn(name="record_payment_status")
        async def record_payment_status(command: RecordPaymentStatus) -> PaymentRecorded:
            self.recorded.append(command.status)
            return PaymentRecorded(payment_id=command.payment_id, status=command.status)

        @activity.defn(name="issue_invoice")
        async def issue_invoice(command: IssueInvoice) -> InvoiceIssued:
            return InvoiceIssued(invoice_id="inv-1", number="ES-2026-000001")

        @activity.defn(name="refund_payment")
        async def refund_payment(command: RefundAtProvider) -> RefundedAtProvider:
            return self.refund_answer()

        @activity.defn(name="check_refund_status")
        async def check_refund_status(command: CheckRefundAtProvider
                                      ) -> RefundAtProviderStatus:
            assert command.refund_reference == "refund-ref"
            self.checks += 1
            if self.refund_checks:
                return self.refund_checks.pop(0)
            return RefundAtProviderStatus(status=RefundStatus.pending)

        @activity.defn(name="record_refund_failed")
        async def record_refund_failed(command: RecordRefundFailed) -> RefundFailedRecorded:
            self.refund_failures.append(command.reason)
            return RefundFailedRecorded(payment_id=command.payment_id)

        return [create_payment, check_payment_status, record_payment_status, issue_invoice,
                refund_payment, check_refund_status, record_refund_failed]


def _pending() -> RefundedAtProvider:
    return RefundedAtProvider(payment_id="p", refund_reference="refund-ref",
                              status=RefundStatus.pending)


@dataclass
class Refunded:
    handle: WorkflowHandle
    result: PaymentResult
    answer: RefundResult | BaseException  # the update's result, or how it failed
    view: PaymentView | None  # the `payment` query at the end


async def _refund(env: WorkflowEnvironment, settings: Settings, provider: FakeProvider
                  ) -> Refunded:
    """Pay (found by the first poll), ask for the refund, and run the workflow to its end."""
    await ensure_search_attributes(env.client, settings)
    task_queue = f"refund-{uuid.uuid4().hex[:8]}"
    price = Money(amount=1500, currency="XAF")
    payment = PaymentInput(
        payment_id=uuid.uuid4().hex, user_id="u1", amount=price,
        method=PaymentMethod.mobile_money, provider=ProviderName.mtn_momo, phone="+237670001122",
        billing_address_id="a1", description="Test", timings=TIMINGS, refundable_for=2 * DAY,
        lines=[InvoiceLine(description="Test", unit_price=price, total=price)])
    async with Worker(env.client, task_queue=task_queue, workflows=[PaymentWorkflow],
                      activities=provider.activities(), workflow_runner=WORKFLOW_RUNNER):
        handle = await env.client.start_workflow(
            PaymentWorkflow.run, payment, id=f"payment-{payment.payment_id}",
            task_queue=task_queue)
        while not await _refund_window_open(handle):  # paid (first poll) and invoiced
            await env.sleep(timedelta(seconds=5))
        update = await handle.start_update("refund", RefundRequest(), result_type=RefundResult,
                                           wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        result = await handle.result()  # (the server skips time while we wait)
        try:
            answer: RefundResult | BaseException = await update.result()
        except WorkflowUpdateFailedError as err:
            answer = err
        view = await handle.query(PaymentWorkflow.payment)
    return Refunded(handle, result, answer, view)


async def _refund_window_open(handle: WorkflowHandle) -> bool:
    async for event in handle.fetch_history_events():
        timer = event.timer_started_event_attributes
        if timer.start_to_fire_timeout.ToTimedelta() == 2 * DAY:
            return True
    return False


async def _check_times(handle: WorkflowHandle) -> list[float]:
    """Seconds between the refund being asked and each status check."""
    times, asked = [], None
    async for event in handle.fetch_history_events():
        name = event.activity_task_scheduled_event_attributes.activity_type.name
        if name == "refund_payment":
            asked = event.event_time.ToDatetime()
        elif name == "check_refund_status" and asked is not None:
            times.append((event.event_time.ToDatetime() - asked).total_seconds())
    return times


def _refund_error(answer: object) -> ApplicationError:
    assert isinstance(answer, WorkflowUpdateFailedError), answer
    cause = answer.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == BusinessError.refund_failed.value
    return cause


async def test_a_pending_refund_is_polled_until_paid_back(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    provider = FakeProvider(_pending, refund_checks=[
        RefundAtProviderStatus(status=RefundStatus.pending),
        RefundAtProviderStatus(status=RefundStatus.pending),
        RefundAtProviderStatus(status=RefundStatus.succeeded)])
    done = await _refund(time_skipping_env, settings, provider)
    assert done.answer == RefundResult(payment_id=done.result.payment_id,
                                       status=PaymentStatus.refunded)
    assert done.result.status is PaymentStatus.refunded
    assert provider.recorded == [PaymentStatus.succeeded, PaymentStatus.refunded]
    assert provider.refund_failures == [] and provider.checks == 3
    # Backoff as for payments: 10 s, then 20 s more, then 40 s more.
    assert [round(t) for t in await _check_times(done.handle)] == [10, 30, 70]
    assert done.view is not None and done.view.status is PaymentStatus.refunded
    assert done.view.refund_status is RefundStatus.succeeded


async def test_a_refund_never_confirmed_is_left_to_staff_at_its_deadline(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    provider = FakeProvider(_pending)  # PENDING for ever
    done = await _refund(time_skipping_env, settings, provider)
    error = _refund_error(done.answer)
    assert "has not confirmed the refund after 1 day" in error.message
    assert done.result.status is PaymentStatus.succeeded
    assert provider.refund_failures == [error.message]
    # Polled with backoff up to 5 minutes, until the refund deadline (1 day).
    times = await _check_times(done.handle)
    assert times[-1] == pytest.approx(DAY.total_seconds(), abs=1)
    assert 280 < len(times) < 300

# --- refused by the provider: the real activities, against the MTN MoMo peer --------------

@pytest.fixture
async def mtn_worker(time_skipping_env: WorkflowEnvironment, sessions: SessionMaker,
                     settings: Settings, mtn: MtnPeer) -> AsyncIterator[Settings]:
    """The real worker (every activity, the database, the MTN adapter) on the
    time-skipping server; its settings."""
    mtn_settings = with_mtn(settings, mtn)
    await ensure_search_attributes(time_skipping_env.client, mtn_settings)
    async with build_worker(time_skipping_env.client,
                            WorkerDeps.from_settings(mtn_settings, sessions)):
        yield mtn_settings


async def _refund_at_mtn(env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings,
                         mtn: MtnPeer) -> Refunded:
    """A payment paid on the payer's phone (found by the poll), then its refund asked for,
    the workflow run to its end."""
    user = await make_user(sessions, settings, Role.patient)
    async with sessions() as session, session.begin():
        address = BillingAddress(user_id=user.id, line1="1 rue", city="Douala", country="CM")
        session.add(address)
    price = Money(amount=1500, currency="XAF")
    payment = PaymentInput(
        payment_id=uuid.uuid4().hex, user_id=user.id, amount=price,
        method=PaymentMethod.mobile_money, provider=ProviderName.mtn_momo,
        operator=Operator.mtn, phone="+237670001122", billing_address_id=address.id,
        description="Test", timings=TIMINGS, refundable_for=2 * DAY,
        lines=[InvoiceLine(description="Test", unit_price=price, total=price)])
    handle = await env.client.start_workflow(
        PaymentWorkflow.run, payment, id=f"payment-{payment.payment_id}",
        task_queue=settings.temporal.task_queue)
    reference = reference_id(payment.payment_id)
    await eventually(lambda: _asked(mtn, reference))
    mtn.payer_answers(reference, "SUCCESSFUL")
    while not await _refund_window_open(handle):  # paid (the poll) and invoiced
        await env.sleep(timedelta(seconds=5))
    update = await handle.start_update("refund", RefundRequest(), result_type=RefundResult,
                                       wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    result = await handle.result()
    try:
        answer: RefundResult | BaseException = await update.result()
    except WorkflowUpdateFailedError as err:
        answer = err
    return Refunded(handle, result, answer, await handle.query(PaymentWorkflow.payment))


async def _asked(mtn: MtnPeer, reference: str) -> bool:
    return reference in mtn.requests


async def _stored(sessions: SessionMaker, payment_id: str) -> tuple[Payment, Invoice]:
    async with sessions() as session:
        row = await session.get(Payment, payment_id)
        invoice = await session.scalar(select(Invoice).where(Invoice.payment_id == payment_id))
    assert row is not None and invoice is not None
    return row, invoice


@pytest.mark.db
async def test_a_refund_the_provider_refuses_leaves_the_payment_succeeded(
    time_skipping_env: WorkflowEnvironment, sessions: SessionMaker, mtn_worker: Settings,
    mtn: MtnPeer,
) -> None:
    mtn.refund_result, mtn.refund_reason = "FAILED", "NOT_ENOUGH_FUNDS"  # after one PENDING
    done = await _refund_at_mtn(time_skipping_env, sessions, mtn_worker, mtn)
    error = _refund_error(done.answer)
    assert error.message == "mtn_momo refused the refund: NOT_ENOUGH_FUNDS"
    assert done.result.status is PaymentStatus.succeeded
    [refund] = mtn.refunds.values()
    assert refund["checks"] == 2  # PENDING, then FAILED
    row, invoice = await _stored(sessions, done.result.payment_id)
    assert (row.status, row.refund_status) == ("succeeded", "failed")
    assert row.refund_failure_reason == error.message
    assert invoice.status == "paid"
    assert done.view is not None and done.view.status is PaymentStatus.succeeded
    assert done.view.refund_status is RefundStatus.failed


@pytest.mark.db
async def test_a_refund_refused_outright_is_not_polled(
    time_skipping_env: WorkflowEnvironment, sessions: SessionMaker, mtn_worker: Settings,
    mtn: MtnPeer,
) -> None:
    mtn.refund_refusal = (404, "RESOURCE_NOT_FOUND")  # MTN answers the refund with a 4xx
    done = await _refund_at_mtn(time_skipping_env, sessions, mtn_worker, mtn)
    error = _refund_error(done.answer)
    assert error.message.startswith("MTN MoMo refused the refund:")
    assert "RESOURCE_NOT_FOUND" in error.message
    assert done.result.status is PaymentStatus.succeeded
    assert mtn.refund_posts == 1 and mtn.refunds == {}
    assert await _check_times(done.handle) == []  # never polled
    row, invoice = await _stored(sessions, done.result.payment_id)
    assert (row.status, row.refund_status) == ("succeeded", "failed")
    assert row.refund_failure_reason == error.message
    assert invoice.status == "paid"
