"""The paid-process kit: the parent's side of a payment, written once.

A process that is paid inherits `PaidProcess` (its `payment_created` / `payment_settled` /
`payment_refunded` signal handlers and its `payments` query come with it) and:

    payment_id = await self.start_payment(payer, order)      # the PaymentWorkflow child
    outcome = await self.wait_for_payment(payment_id, until=hold_expires_at,
                                          extend_until=hold_max)   # or no deadline
    if outcome.timed_out:                                    # the process let it go
        late = await self.refund_late_payment(payment_id)    # "late payment refunded"
    ...
    await self.refund(payment_id, "cancelled by the doctor")  # compensation, any time

and answers its checkout Update with `await self.payment_checkout(timings.checkout_wait)`.
docs/payments.md ("The paid-process kit") has the whole example.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError, ChildWorkflowError
from temporalio.workflow import ChildWorkflowHandle, ParentClosePolicy

from domain.errors import BusinessError
from domain.ids import payment_workflow_id
from domain.paid import (
    ASK_REFUND,
    PAYMENT_REFUNDED,
    AskRefund,
    PaymentOrder,
    PaymentOutcome,
    PaymentPayer,
    PaymentRefundSettled,
)
from domain.payments import (
    PAYMENT_CREATED,
    PAYMENT_SETTLED,
    PaymentCreated,
    PaymentInput,
    PaymentMethod,
    PaymentResult,
    PaymentSettled,
    PaymentStatus,
    PaymentView,
    RefundStatus,
)
from workflows.common import (
    ESAME_DOCTOR_ID,
    ESAME_PATIENT_ID,
    ESAME_PHARMACY_ID,
    answer_checkout_within,
    run_activity,
)
from workflows.payment import PaymentWorkflow

LATE_PAYMENT_REFUNDED = "late payment refunded"


@dataclass
class _Payment:
    """One payment of the process, as the process knows it."""

    payment_id: str
    payer: PaymentPayer
    order: PaymentOrder
    view: PaymentView | None = None
    result: PaymentResult | None = None
    ended: bool = False
    refund_status: RefundStatus | None = None
    refund_reason: str | None = None
    follower: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def final(self) -> PaymentResult | None:
        # A refundable payment stays open after its success: its signal says the outcome.
        # One that is not ends right after it, and the process waits for that end (as
        # purchases and subscriptions always did: their histories replay unchanged).
        if self.ended or self.order.refundable_for > timedelta(0):
            return self.result
        return None


class PaidProcess:
    """Inherit it in a workflow class that pays through a PaymentWorkflow child."""

    # --- starting and waiting ----------------------------------------------------------------

    async def start_payment(self, payer: PaymentPayer, order: PaymentOrder,
                            payment_id: str | None = None) -> str:
        """Start the payment `payment-<id>` (a new id unless given); answers its id."""
        payment_id = payment_id or workflow.uuid4().hex
        p = _Payment(payment_id=payment_id, payer=payer, order=order)
        kit = self._kit
        kit.payments[payment_id] = p
        kit.first = kit.first or payment_id
        attributes = [SearchAttributePair(key, value) for key, value in (
            (ESAME_PATIENT_ID, order.patient_id), (ESAME_DOCTOR_ID, order.doctor_id),
            (ESAME_PHARMACY_ID, order.pharmacy_id)) if value]
        handle = await workflow.start_child_workflow(
            PaymentWorkflow.run,
            PaymentInput(
                payment_id=payment_id, user_id=payer.user_id, amount=order.amount,
                method=payer.method, provider=payer.provider, operator=payer.operator,
                phone=payer.phone, billing_address_id=payer.billing_address_id,
                description=order.description, lines=order.lines, timings=order.timings,
                notify_workflow_id=workflow.info().workflow_id, purpose=order.purpose,
                refundable_for=order.refundable_for, search_patient_id=order.patient_id,
                save_card=payer.save_card, saved_card=payer.saved_card,
            ),
            id=payment_workflow_id(payment_id),
            static_summary=order.summary,
            search_attributes=TypedSearchAttributes(attributes),
            # A paid success stays open for its refund window; the process may end first
            # (an order collected, an appointment completed). Terminating the payment then
            # would show a Terminated run in the Temporal UI for a payment that went well.
            parent_close_policy=ParentClosePolicy.ABANDON,
        )
        p.follower = asyncio.create_task(self._follow(p, handle))
        return payment_id

    async def wait_for_payment(self, payment_id: str, *, until: datetime | None = None,
                               extend_until: datetime | None = None) -> PaymentOutcome:
        """The payment's final status; with `until`, `timed_out` if it has none by then.
        `extend_until`: once, while a Mobile Money payment is still pending at the provider
        (the payer has the prompt on their phone), wait until then instead. A process with
        a deadline gives its order a `refundable_for`, so a late success can be refunded."""
        p = self._payment(payment_id)
        if until is not None and p.order.refundable_for <= timedelta(0):
            raise ValueError("a payment raced against a deadline needs refundable_for > 0")
        if until is None:
            await workflow.wait_condition(lambda: p.final is not None)
        elif not await self._final_by(p, until):
            pending_at_provider = (p.view is not None and p.view.status is PaymentStatus.pending
                                   and p.payer.method is PaymentMethod.mobile_money)
            if (extend_until is None or extend_until <= until or not pending_at_provider
                    or not await self._final_by(p, extend_until)):
                return PaymentOutcome(payment_id=payment_id, status=PaymentStatus.pending,
                                      timed_out=True)
        return self._outcome(p)

    async def late_outcome(self, payment_id: str) -> PaymentOutcome:
        """After a timeout: what the payment came to in the end (it ends at its own
        deadline, so this always comes)."""
        p = self._payment(payment_id)
        await workflow.wait_condition(lambda: p.final is not None)
        return self._outcome(p)

    async def refund_late_payment(self, payment_id: str) -> PaymentOutcome:
        """After a timeout the process does not want the payment: a late success is
        refunded ("late payment refunded"). Answers the late outcome (status succeeded and
        `refund_status(payment_id)` pending or succeeded when it was refunded)."""
        outcome = await self.late_outcome(payment_id)
        if outcome.paid:
            await self.refund(payment_id, LATE_PAYMENT_REFUNDED)
        return outcome

    # --- compensation ------------------------------------------------------------------------

    async def refund(self, payment_id: str, reason: str) -> RefundStatus:
        """Ask for a full refund of a succeeded payment (while its `refundable_for` runs).
        Answers pending (the provider pays back later: `refund_settled` waits for it), or
        failed when refused at once (not succeeded, already asked, window over)."""
        p = self._payment(payment_id)
        asked = await run_activity(ASK_REFUND, AskRefund(payment_id=payment_id, reason=reason))
        if not asked.accepted:
            p.refund_status, p.refund_reason = RefundStatus.failed, asked.reason
        elif p.refund_status is None:
            p.refund_status = RefundStatus.pending
        assert p.refund_status is not None
        return p.refund_status

    async def refund_settled(self, payment_id: str) -> RefundStatus:
        """Wait until the refund asked for is paid back (succeeded) or refused (failed)."""
        p = self._payment(payment_id)
        await workflow.wait_condition(
            lambda: p.refund_status not in (None, RefundStatus.pending))
        assert p.refund_status is not None
        return p.refund_status

    # --- what the process and the API see ----------------------------------------------------

    def payment_view(self, payment_id: str) -> PaymentView | None:
        """The payment object, with its latest status and `refund_status`."""
        p = self._kit.payments.get(payment_id)
        if p is None or p.view is None:
            return None
        status = p.view.status
        if p.refund_status is RefundStatus.succeeded:
            status = PaymentStatus.refunded
        elif p.result is not None:
            status = p.result.status
        return p.view.model_copy(update={"status": status, "refund_status": p.refund_status})

    def refund_status(self, payment_id: str) -> RefundStatus | None:
        return self._payment(payment_id).refund_status

    def refund_reason(self, payment_id: str) -> str | None:
        return self._payment(payment_id).refund_reason

    async def wait_for_payment_view(self, payment_id: str) -> PaymentView | None:
        """The payment once it exists at the provider (to send the payer its link), or None
        when it ended before that (refused by the provider)."""
        p = self._payment(payment_id)
        await workflow.wait_condition(lambda: p.view is not None or p.ended)
        return self.payment_view(payment_id)

    async def payment_checkout(self, limit: timedelta) -> PaymentView:
        """In the process's checkout Update: the first payment once it exists at the
        provider (checkout_url / instructions), or the problem when the provider refused."""
        kit = self._kit

        def first() -> _Payment | None:
            return kit.payments.get(kit.first) if kit.first else None

        await answer_checkout_within(
            lambda: (p := first()) is not None and (p.view is not None or p.ended), limit)
        p = first()
        assert p is not None
        view = self.payment_view(p.payment_id)
        if view is None:
            raise ApplicationError("the payment provider refused this payment",
                                   type=BusinessError.payment_declined.value,
                                   non_retryable=True)
        return view

    def on_payment_created(self, view: PaymentView) -> None:
        """Override to react when a payment exists at the provider (e.g. send its link)."""

    # --- handlers (inherited by the process's workflow class) --------------------------------

    @workflow.signal(name=PAYMENT_CREATED.name)
    def payment_created(self, created: PaymentCreated) -> None:
        p = self._kit.payments.get(created.payment.id)
        if p is not None:
            p.view = created.payment
        self.on_payment_created(created.payment)

    @workflow.signal(name=PAYMENT_SETTLED.name)
    def payment_settled(self, settled: PaymentSettled) -> None:
        p = self._kit.payments.get(settled.result.payment_id)
        if p is not None and p.result is None:
            p.result = settled.result

    @workflow.signal(name=PAYMENT_REFUNDED.name)
    def payment_refunded(self, refunded: PaymentRefundSettled) -> None:
        p = self._kit.payments.get(refunded.payment_id)
        if p is not None:
            p.refund_status, p.refund_reason = refunded.refund_status, refunded.reason

    @workflow.query(name="payments")
    def payments(self) -> list[PaymentView]:
        return [view for pid in self._kit.payments
                if (view := self.payment_view(pid)) is not None]

    # --- inside ------------------------------------------------------------------------------

    @property
    def _kit(self) -> _KitState:
        # Lazily made: the process's own __init__ need not call ours.
        kit: _KitState | None = self.__dict__.get("_paid_kit")
        if kit is None:
            kit = self.__dict__["_paid_kit"] = _KitState()
        return kit

    def _payment(self, payment_id: str) -> _Payment:
        return self._kit.payments[payment_id]

    async def _follow(self, p: _Payment,
                      handle: ChildWorkflowHandle[PaymentWorkflow, PaymentResult]) -> None:
        try:
            result: PaymentResult = await handle
        except ChildWorkflowError:
            result = PaymentResult(payment_id=p.payment_id, status=PaymentStatus.failed)
        if p.result is None or p.result.status is not result.status:
            p.result = result
        p.ended = True

    async def _final_by(self, p: _Payment, moment: datetime) -> bool:
        remaining = moment - workflow.now()
        if remaining <= timedelta(0):
            return p.final is not None
        try:
            await workflow.wait_condition(lambda: p.final is not None, timeout=remaining,
                                          timeout_summary="payment deadline")
        except TimeoutError:
            return False
        return True

    @staticmethod
    def _outcome(p: _Payment) -> PaymentOutcome:
        result = p.final
        assert result is not None
        return PaymentOutcome(payment_id=p.payment_id, status=result.status,
                              invoice_id=result.invoice_id, invoice_number=result.invoice_number)


@dataclass
class _KitState:
    payments: dict[str, _Payment] = field(default_factory=dict)
    first: str | None = None
