"""The paid-process kit (workflows/paid.py) on the time-skipping server: a probe process pays
through it while a scripted PaymentWorkflow stands in for the provider (success, failure,
refusal at creation, the process's deadline and its Mobile Money extension, a late success
refunded, a refund asked for later)."""

from __future__ import annotations

import contextlib
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.paid import PaidActivities
from core.settings import Settings, TemporalSettings
from core.temporal_client import data_converter, ensure_search_attributes
from domain.money import Money
from domain.paid import PAYMENT_REFUNDED, PaymentOrder, PaymentPayer, PaymentRefundSettled
from domain.payments import (
    PAYMENT_CREATED,
    PAYMENT_SETTLED,
    InvoiceLine,
    PaymentCreated,
    PaymentInput,
    PaymentMethod,
    PaymentResult,
    PaymentSettled,
    PaymentStatus,
    PaymentTimings,
    PaymentView,
    ProviderName,
    RefundRequest,
    RefundResult,
    RefundStatus,
)
from workflows.common import signal_workflow
from workflows.paid import LATE_PAYMENT_REFUNDED, PaidProcess

MINUTE = timedelta(minutes=1)
BIN = Path(sys.executable).parent


@workflow.defn(name="PaymentWorkflow")
class ScriptedPayment:
    """Stands for PaymentWorkflow; its description is the script: `refuse`, `fail:<min>`,
    `succeed:<min>` (after that many minutes), `never` (expires at its deadline)."""

    def __init__(self) -> None:
        self._refund: RefundRequest | None = None

    @workflow.run
    async def run(self, p: PaymentInput) -> PaymentResult:
        verb, _, minutes = p.description.partition(":")
        if verb == "refuse":
            return PaymentResult(payment_id=p.payment_id, status=PaymentStatus.failed)
        assert p.notify_workflow_id is not None
        view = PaymentView(id=p.payment_id, status=PaymentStatus.pending, method=p.method,
                           provider=p.provider, amount=p.amount,
                           checkout_url=f"https://pay.example/{p.payment_id}")
        await signal_workflow(p.notify_workflow_id, PAYMENT_CREATED, PaymentCreated(payment=view))
        after = MINUTE * int(minutes or 0)
        if verb == "never" or after >= p.timings.deadline:
            await workflow.sleep(p.timings.deadline)
            status = PaymentStatus.expired
        else:
            await workflow.sleep(after)
            status = PaymentStatus.succeeded if verb == "succeed" else PaymentStatus.failed
        result = PaymentResult(payment_id=p.payment_id, status=status)
        await signal_workflow(p.notify_workflow_id, PAYMENT_SETTLED, PaymentSettled(result=result))
        if status is PaymentStatus.succeeded and p.refundable_for > timedelta(0):
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._refund is not None,
                                              timeout=p.refundable_for)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return PaymentResult(payment_id=p.payment_id,
                             status=PaymentStatus.refunded if self._refund else status)

    @workflow.update(name="refund")
    async def refund(self, request: RefundRequest) -> RefundResult:
        self._refund = request
        info = workflow.info()
        parent = info.parent
        assert parent is not None
        await workflow.sleep(MINUTE)  # the provider pays back later
        await signal_workflow(parent.workflow_id, PAYMENT_REFUNDED, PaymentRefundSettled(
            payment_id=info.workflow_id.removeprefix("payment-"),
            refund_status=RefundStatus.succeeded, reason=request.reason))
        return RefundResult(payment_id=info.workflow_id, status=PaymentStatus.refunded)


class Probe(BaseModel):
    script: str
    method: PaymentMethod = PaymentMethod.card
    deadline_minutes: int | None = None
    extend_minutes: int | None = None
    refundable_for: timedelta = timedelta(days=3)
    payment_deadline: timedelta = timedelta(hours=1)
    refund_after: timedelta | None = None
    # Wait for the payment's view first (as a renewal does, to send its link).
    view_first: bool = False


class ProbeResult(BaseModel):
    status: PaymentStatus
    timed_out: bool
    late_status: PaymentStatus | None = None
    refund_status: RefundStatus | None = None
    refund_reason: str | None = None
    payments: list[PaymentView]
    link: str | None = None


@workflow.defn
class KitProbeWorkflow(PaidProcess):
    @workflow.init
    def __init__(self, probe: Probe) -> None:
        self._probe = probe

    @workflow.run
    async def run(self, probe: Probe) -> ProbeResult:
        price = Money(amount=5000, currency="XAF")
        started = workflow.now()
        payment_id = await self.start_payment(
            PaymentPayer(user_id="sponsor", method=probe.method, provider=ProviderName.sandbox,
                         billing_address_id="addr"),
            PaymentOrder(amount=price, description=probe.script,
                         lines=[InvoiceLine(description="probe", unit_price=price, total=price)],
                         timings=PaymentTimings(deadline=probe.payment_deadline,
                                                poll_initial=MINUTE, poll_max=MINUTE),
                         purpose="probe", summary="Payment for probe", patient_id="beneficiary",
                         doctor_id="doctor", refundable_for=probe.refundable_for))
        link = None
        if probe.view_first:
            view = await self.wait_for_payment_view(payment_id)
            link = view.checkout_url if view is not None else None
        until = started + MINUTE * probe.deadline_minutes if probe.deadline_minutes else None
        extend = started + MINUTE * probe.extend_minutes if probe.extend_minutes else None
        outcome = await self.wait_for_payment(payment_id, until=until, extend_until=extend)
        late = None
        if outcome.timed_out:
            late = (await self.refund_late_payment(payment_id)).status
        elif outcome.paid and probe.refund_after is not None:
            await workflow.sleep(probe.refund_after)
            await self.refund(payment_id, "the beneficiary cancelled")
        if self.refund_status(payment_id) is RefundStatus.pending:
            await self.refund_settled(payment_id)
        return ProbeResult(status=outcome.status, timed_out=outcome.timed_out, late_status=late,
                           refund_status=self.refund_status(payment_id),
                           refund_reason=self.refund_reason(payment_id), payments=self.payments(),
                           link=link)

    @workflow.update(name="checkout")
    async def checkout(self) -> PaymentView:
        return await self.payment_checkout(timedelta(seconds=20))


@pytest.fixture
async def env(settings: Settings) -> AsyncIterator[WorkflowEnvironment]:
    # A server of its own: the runs this file leaves behind (refund windows of days) must
    # not hold the shared server's clock.
    own = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(TemporalSettings()),
        test_server_existing_path=str(BIN / "temporal-test-server"))
    try:
        await ensure_search_attributes(own.client, settings)
        async with Worker(own.client, task_queue=settings.temporal.task_queue,
                          workflows=[KitProbeWorkflow, ScriptedPayment],
                          activities=PaidActivities().all(),
                          workflow_runner=UnsandboxedWorkflowRunner()):
            yield own
    finally:
        await own.shutdown()


async def _run(env: WorkflowEnvironment, settings: Settings, probe: Probe) -> ProbeResult:
    result: ProbeResult = await env.client.execute_workflow(
        KitProbeWorkflow.run, probe, id=f"probe-{uuid.uuid4().hex}",
        task_queue=settings.temporal.task_queue)
    return result


async def test_a_success_is_paid(env: WorkflowEnvironment, settings: Settings) -> None:
    result = await _run(env, settings, Probe(script="succeed:5", refundable_for=timedelta(0)))
    assert (result.status, result.timed_out, result.refund_status) == (
        PaymentStatus.succeeded, False, None)
    assert [p.status for p in result.payments] == [PaymentStatus.succeeded]


async def test_a_failure_is_failed(env: WorkflowEnvironment, settings: Settings) -> None:
    result = await _run(env, settings, Probe(script="fail:2", deadline_minutes=15))
    assert (result.status, result.timed_out) == (PaymentStatus.failed, False)


async def test_the_checkout_answers_the_payment_or_the_refusal(
        env: WorkflowEnvironment, settings: Settings) -> None:
    from temporalio.client import WithStartWorkflowOperation
    from temporalio.common import WorkflowIDConflictPolicy

    def start(script: str) -> WithStartWorkflowOperation[KitProbeWorkflow, ProbeResult]:
        return WithStartWorkflowOperation(
            KitProbeWorkflow.run, Probe(script=script), id=f"probe-{uuid.uuid4().hex}",
            task_queue=settings.temporal.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL)

    view = await env.client.execute_update_with_start_workflow(
        "checkout", start_workflow_operation=start("succeed:1"), result_type=PaymentView)
    assert view.status is PaymentStatus.pending and view.checkout_url
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await env.client.execute_update_with_start_workflow(
            "checkout", start_workflow_operation=start("refuse"), result_type=PaymentView)
    assert getattr(refused.value.cause, "type", None) == "PaymentDeclined"


async def test_the_payment_view_comes_or_its_refusal(
        env: WorkflowEnvironment, settings: Settings) -> None:
    """`wait_for_payment_view`: the payment once it exists at the provider (its link), or
    None when the provider refused it before."""
    created = await _run(env, settings, Probe(script="succeed:1", view_first=True,
                                              refundable_for=timedelta(0)))
    assert created.link == f"https://pay.example/{created.payments[0].id}"
    assert created.status is PaymentStatus.succeeded
    refused = await _run(env, settings, Probe(script="refuse", view_first=True,
                                              refundable_for=timedelta(0)))
    assert (refused.link, refused.status) == (None, PaymentStatus.failed)


async def test_the_deadline_lets_an_unpaid_payment_go(
        env: WorkflowEnvironment, settings: Settings) -> None:
    result = await _run(env, settings, Probe(script="never", deadline_minutes=15))
    assert (result.status, result.timed_out, result.late_status) == (
        PaymentStatus.pending, True, PaymentStatus.expired)
    assert result.refund_status is None


async def test_a_late_success_is_refunded(env: WorkflowEnvironment, settings: Settings) -> None:
    result = await _run(env, settings, Probe(script="succeed:20", deadline_minutes=15))
    assert (result.timed_out, result.late_status) == (True, PaymentStatus.succeeded)
    assert (result.refund_status, result.refund_reason) == (
        RefundStatus.succeeded, LATE_PAYMENT_REFUNDED)
    assert [p.status for p in result.payments] == [PaymentStatus.refunded]


async def test_mobile_money_still_pending_extends_the_deadline_once(
        env: WorkflowEnvironment, settings: Settings) -> None:
    extended = await _run(env, settings, Probe(
        script="succeed:20", method=PaymentMethod.mobile_money, deadline_minutes=15,
        extend_minutes=30))
    assert (extended.status, extended.timed_out) == (PaymentStatus.succeeded, False)


async def test_mobile_money_paid_after_the_extension_is_refunded(
        env: WorkflowEnvironment, settings: Settings) -> None:
    too_late = await _run(env, settings, Probe(
        script="succeed:40", method=PaymentMethod.mobile_money, deadline_minutes=15,
        extend_minutes=30))
    assert (too_late.timed_out, too_late.refund_status) == (True, RefundStatus.succeeded)


async def test_a_card_is_not_extended(env: WorkflowEnvironment, settings: Settings) -> None:
    card = await _run(env, settings, Probe(script="succeed:20", deadline_minutes=15,
                                           extend_minutes=30))
    assert card.timed_out


async def test_a_refund_days_later_compensates(env: WorkflowEnvironment,
                                               settings: Settings) -> None:
    result = await _run(env, settings, Probe(script="succeed:1", refund_after=timedelta(days=2)))
    assert (result.status, result.refund_status, result.refund_reason) == (
        PaymentStatus.succeeded, RefundStatus.succeeded, "the beneficiary cancelled")
    assert result.payments[0].status is PaymentStatus.refunded
    assert result.payments[0].refund_status is RefundStatus.succeeded


async def test_a_refund_after_the_window_is_refused(env: WorkflowEnvironment,
                                                    settings: Settings) -> None:
    result = await _run(env, settings, Probe(script="succeed:1", refundable_for=timedelta(days=1),
                                             refund_after=timedelta(days=2)))
    assert result.refund_status is RefundStatus.failed
    assert result.refund_reason and "no longer be refunded" in result.refund_reason
