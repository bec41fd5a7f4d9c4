"""PharmacyOrderWorkflow (`pharmacy-order-<id>`): prescriptions to the pharmacy, one run from
the patient's request to the pickup (API.md "Pharmacies: pro-forma, order, payment, pickup").

The patient asks a pharmacy for a pro-forma on some of their open prescription items; the
pharmacy's staff quote it (lines, substitutions marked, valid until a time); the patient
orders all the available lines or some; staff check the stock and validate (the stock is
reserved until the payment deadline) or reject with a reason; the patient pays; a pickup
code goes by email and SMS; staff collect with it. Every deadline is a timer of this run,
with its outcome: the order expires, the patient (or the pharmacy) is told, the stock is
released, a payment is refunded. Staff and the patient speak to the run through Updates,
answered once the database shows the change.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.errors import BusinessError
    from domain.paid import PaymentOutcome
    from domain.payments import RefundStatus
    from domain.pharmacy import (
        CHECK_PICKUP_CODE,
        ISSUE_PICKUP_CODE,
        NOTIFY_PHARMACY_ORDER,
        OPEN_PHARMACY_ORDER,
        PICKUP_MAX_WRONG_CODES,
        RECORD_ORDER_CLOSED,
        RECORD_ORDER_COLLECTED,
        RECORD_ORDER_PAID,
        RECORD_ORDER_VALIDATION,
        RECORD_PHARMACY_ORDER,
        RECORD_PROFORMA,
        CancelRequest,
        CheckPickupCode,
        CollectAttempt,
        ExpiryReason,
        IssuePickupCode,
        IssueProforma,
        NewCodeRequest,
        NotifyOrder,
        OpenOrder,
        OrderMessage,
        OrderPayment,
        OrderState,
        OrderStatus,
        PayOrder,
        PharmacyOrderInput,
        PlaceOrder,
        RecordClosed,
        RecordCollected,
        RecordOrder,
        RecordPaid,
        RecordProforma,
        RecordValidation,
        Rejection,
        Validation,
    )

from workflows.common import (
    WAIT_FOR_COMMIT,
    answer_checkout_within,
    business_error,
    run_activity,
    set_first_status,
    set_status,
    within,
)
from workflows.paid import PaidProcess

# `_paying` while the child is being started (its id is known once it has).
PAYMENT_STARTING = "starting"


def _show(status: OrderStatus) -> None:
    set_status(f"pharmacy_order_{status.value}")


@workflow.defn
class PharmacyOrderWorkflow(PaidProcess):
    @workflow.init
    def __init__(self, order: PharmacyOrderInput) -> None:
        self._input = order
        self._status = OrderStatus.requested
        self._expiry_reason: ExpiryReason | None = None
        self._cancel: CancelRequest | None = None
        self._proforma: IssueProforma | None = None
        self._valid_until: datetime | None = None
        self._order: PlaceOrder | None = None
        self._decision: Validation | Rejection | None = None
        self._payment_id: str | None = None
        # The payment under way (the kit follows it), and those that failed.
        self._paying: str | None = None
        self._failed: set[str] = set()
        self._refunded = False
        self._collected_by: str | None = None
        self._generation = 0

    @workflow.run
    async def run(self, order: PharmacyOrderInput) -> OrderState:
        timings = order.timings
        set_first_status("pharmacy_order_requested")
        await run_activity(OPEN_PHARMACY_ORDER, OpenOrder(order_id=order.order_id),
                           retry_policy=WAIT_FOR_COMMIT,
                           schedule_to_close_timeout=timings.registration_commit_timeout)

        # 1. The pharmacy quotes (or the patient cancels) within proforma_quote_within.
        quoted_in_time = await within(lambda: self._proforma is not None or
                                      self._cancel is not None,
                                      timings.proforma_quote_within, "pro-forma due")
        if self._cancel is not None:
            return await self._close(OrderStatus.canceled)
        if not quoted_in_time:
            return await self._expire(ExpiryReason.not_quoted)
        assert self._proforma is not None
        await run_activity(RECORD_PROFORMA, RecordProforma(
            order_id=order.order_id, staff_id=self._proforma.staff_id,
            lines=self._proforma.lines, valid_until=self._proforma.valid_until))
        self._valid_until = self._proforma.valid_until
        await self._move(OrderStatus.quoted)
        await self._tell(OrderMessage.proforma_issued)

        # 2. The patient orders while the pro-forma is valid.
        if not await within(lambda: self._order is not None,
                            self._valid_until - workflow.now(), "pro-forma valid until"):
            return await self._expire(ExpiryReason.not_ordered)
        assert self._order is not None
        await run_activity(RECORD_PHARMACY_ORDER, RecordOrder(
            order_id=order.order_id, line_ids=self._order.line_ids, quote=self._order.quote))
        await self._move(OrderStatus.ordered)

        # 3. Staff check the stock within order_validation_within: validate or reject.
        if not await within(lambda: self._decision is not None,
                            timings.order_validation_within, "stock check due"):
            return await self._expire(ExpiryReason.not_validated, tell_pharmacy=True)
        if isinstance(self._decision, Rejection):
            return await self._close(OrderStatus.rejected, reason=self._decision.reason,
                                     message=OrderMessage.order_rejected)
        assert self._decision is not None
        reserved_until = workflow.now() + timings.order_payment_within
        await run_activity(RECORD_ORDER_VALIDATION, RecordValidation(
            order_id=order.order_id, staff_id=self._decision.staff_id,
            stock_reserved_until=reserved_until))
        await self._move(OrderStatus.validated)
        await self._tell(OrderMessage.order_validated)

        # 4. The patient pays before the stock reservation ends (again after a failed
        #    payment); a payment that succeeds once the order has expired is refunded.
        outcome = await self._payment_by(reserved_until)
        if outcome is None or not outcome.paid:
            state = await self._expire(ExpiryReason.not_paid, tell_pharmacy=True)
            if outcome is not None and outcome.timed_out:
                late = await self.refund_late_payment(outcome.payment_id)
                if late.paid and await self._refund_paid_back(outcome.payment_id):
                    await self._tell(OrderMessage.late_payment_refunded)
            return self.state() if self._refunded else state
        self._payment_id = outcome.payment_id
        await run_activity(RECORD_ORDER_PAID, RecordPaid(order_id=order.order_id,
                                                          payment_id=outcome.payment_id))
        await self._move(OrderStatus.paid)
        await self._new_code()  # the order_paid email and the SMS carry it

        # 5. Collected with the code within pickup_within; reminded on the way.
        deadline = workflow.now() + timings.pickup_within
        reminder_at = deadline - timings.pickup_reminder_before
        if reminder_at > workflow.now() and not await within(
                self._was_collected, reminder_at - workflow.now(), "pickup reminder"):
            await self._tell(OrderMessage.pickup_reminder)
        if not await within(self._was_collected, deadline - workflow.now(), "pickup due"):
            # Not collected: the order expires and the payment is refunded in full.
            await self.refund(outcome.payment_id, "pharmacy order not collected")
            await self._refund_paid_back(outcome.payment_id)
            return await self._expire(ExpiryReason.not_collected, tell_pharmacy=True)
        assert self._collected_by is not None
        await run_activity(RECORD_ORDER_COLLECTED, RecordCollected(
            order_id=order.order_id, staff_id=self._collected_by))
        await self._move(OrderStatus.collected)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _payment_by(self, deadline: datetime) -> PaymentOutcome | None:
        """The payment that settles the order: None if none was even tried by `deadline`;
        a failed one lets the patient try again while the stock is reserved."""
        while True:
            if not await within(lambda: self._paying not in (None, PAYMENT_STARTING),
                                deadline - workflow.now(), "payment due"):
                return None
            assert self._paying is not None
            outcome = await self.wait_for_payment(self._paying, until=deadline)
            if outcome.paid or outcome.timed_out:
                return outcome
            self._failed.add(self._paying)
            self._paying = None

    async def _refund_paid_back(self, payment_id: str) -> bool:
        """Once asked for, the refund paid back by the provider (Mobile Money pays later)."""
        status = self.refund_status(payment_id)
        if status is RefundStatus.pending:
            status = await self.refund_settled(payment_id)
        self._refunded = status is RefundStatus.succeeded
        return self._refunded

    # --- endings ---------------------------------------------------------------------

    async def _expire(self, reason: ExpiryReason, *, tell_pharmacy: bool = False
                      ) -> OrderState:
        self._expiry_reason = reason
        return await self._close(OrderStatus.expired, expiry_reason=reason,
                                 message=OrderMessage.expired, tell_pharmacy=tell_pharmacy)

    async def _close(self, status: OrderStatus, *, reason: str | None = None,
                     expiry_reason: ExpiryReason | None = None,
                     message: OrderMessage | None = None,
                     tell_pharmacy: bool = False) -> OrderState:
        """The order ends: its items go back to open, the stock is released (the
        reservation ends with the row's status), the patient and maybe the pharmacy told."""
        await run_activity(RECORD_ORDER_CLOSED, RecordClosed(
            order_id=self._input.order_id, status=status, reason=reason,
            expiry_reason=expiry_reason))
        self._status = status
        _show(status)
        if message is not None:
            await self._tell(message)
        if tell_pharmacy:
            await self._tell(OrderMessage.expired_staff)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _move(self, status: OrderStatus) -> None:
        self._status = status
        _show(status)

    async def _tell(self, message: OrderMessage) -> None:
        await run_activity(NOTIFY_PHARMACY_ORDER, NotifyOrder(
            order_id=self._input.order_id, message=message))

    async def _new_code(self) -> None:
        """A new pickup code (by email and SMS); the previous one stops working."""
        self._generation += 1
        await run_activity(ISSUE_PICKUP_CODE, IssuePickupCode(
            order_id=self._input.order_id, generation=self._generation))

    def _was_collected(self) -> bool:
        return self._collected_by is not None

    def _require(self, status: OrderStatus, what: str) -> None:
        if self._status is not status:
            raise business_error(BusinessError.conflict,
                                 f"This order is {self._status.value}: {what}.")

    async def _answered(self, before: OrderStatus) -> OrderState:
        await workflow.wait_condition(lambda: self._status is not before)
        return self.state()

    # --- the patient ---------------------------------------------------------------------

    @workflow.update
    async def cancel(self, request: CancelRequest) -> OrderState:
        self._cancel = request
        await self._answered(OrderStatus.requested)
        if self._status is not OrderStatus.canceled:
            raise business_error(BusinessError.conflict,
                                 f"This order is {self._status.value} and cannot be canceled.")
        return self.state()

    @cancel.validator
    def _cancel_allowed(self, request: CancelRequest) -> None:
        if self._proforma is not None or self._cancel is not None:
            raise business_error(BusinessError.conflict,
                                 "Only a request not yet quoted can be canceled.")
        self._require(OrderStatus.requested, "only a request not yet quoted can be canceled")

    @workflow.update
    async def order(self, placed: PlaceOrder) -> OrderState:
        self._order = placed
        return await self._answered(OrderStatus.quoted)

    @order.validator
    def _order_allowed(self, placed: PlaceOrder) -> None:
        self._require(OrderStatus.quoted, "only a valid pro-forma can be ordered")
        if self._order is not None:
            raise business_error(BusinessError.conflict, "This pro-forma is already ordered.")
        if self._valid_until is not None and workflow.now() >= self._valid_until:
            raise business_error(BusinessError.conflict, "This pro-forma has expired.")
        if not placed.line_ids:
            raise business_error(BusinessError.invalid, "Order at least one available line.")

    @workflow.update
    async def pay(self, request: PayOrder) -> OrderPayment:
        # Two validated at once: the first handler to run takes the order, in one step.
        if self._paying is not None or self._status is not OrderStatus.validated:
            raise business_error(BusinessError.conflict, "A payment of this order is under way.")
        self._paying = PAYMENT_STARTING
        payment_id = await self.start_payment(request.payer, request.order)
        self._paying = payment_id
        await answer_checkout_within(
            lambda: self.payment_view(payment_id) is not None or payment_id in self._failed,
            request.checkout_wait)
        view = self.payment_view(payment_id)
        if view is None:
            raise business_error(BusinessError.payment_declined,
                                 "the payment provider refused this payment")
        return OrderPayment(payment=view)

    @pay.validator
    def _pay_allowed(self, request: PayOrder) -> None:
        self._require(OrderStatus.validated, "only a validated order is paid")
        if self._paying is not None:
            raise business_error(BusinessError.conflict,
                                 "A payment of this order is under way.")

    @workflow.update
    async def new_pickup_code(self, request: NewCodeRequest) -> OrderState:
        await self._new_code()
        return self.state()

    @new_pickup_code.validator
    def _new_code_allowed(self, request: NewCodeRequest) -> None:
        self._require(OrderStatus.paid, "a pickup code is for a paid order not yet collected")

    # --- the pharmacy's staff --------------------------------------------------------------

    @workflow.update
    async def issue_proforma(self, proforma: IssueProforma) -> OrderState:
        self._proforma = proforma
        return await self._answered(OrderStatus.requested)

    @issue_proforma.validator
    def _proforma_allowed(self, proforma: IssueProforma) -> None:
        if self._proforma is not None:
            raise business_error(BusinessError.conflict,
                                 "The pro-forma is issued and cannot change.")
        self._require(OrderStatus.requested, "the pro-forma cannot be issued")
        if proforma.valid_until <= workflow.now():
            raise business_error(BusinessError.invalid, "valid_until is in the past.")

    @workflow.update
    async def validate(self, validation: Validation) -> OrderState:
        self._decision = validation
        return await self._answered(OrderStatus.ordered)

    @validate.validator
    def _validate_allowed(self, validation: Validation) -> None:
        self._require_undecided()

    @workflow.update
    async def reject(self, rejection: Rejection) -> OrderState:
        self._decision = rejection
        return await self._answered(OrderStatus.ordered)

    @reject.validator
    def _reject_allowed(self, rejection: Rejection) -> None:
        self._require_undecided()
        if not rejection.reason.strip():
            raise business_error(BusinessError.invalid, "A rejection says why.")

    def _require_undecided(self) -> None:
        if self._decision is not None:
            raise business_error(BusinessError.conflict, "This order is already decided.")
        self._require(OrderStatus.ordered, "only an order awaiting validation is decided")

    @workflow.update
    async def collect(self, attempt: CollectAttempt) -> OrderState:
        checked = await run_activity(CHECK_PICKUP_CODE, CheckPickupCode(
            order_id=self._input.order_id, generation=self._generation,
            code_hash=attempt.code_hash))
        if checked.blocked:
            raise business_error(
                BusinessError.too_many_attempts,
                f"{PICKUP_MAX_WRONG_CODES} wrong codes: the patient asks for a new code.")
        if not checked.matches:
            raise business_error(BusinessError.bad_request, "This is not the order's code.")
        if self._collected_by is None:
            self._collected_by = attempt.staff_id
        return await self._answered(OrderStatus.paid)

    @collect.validator
    def _collect_allowed(self, attempt: CollectAttempt) -> None:
        if self._collected_by is not None:
            raise business_error(BusinessError.conflict, "This order is already collected.")
        self._require(OrderStatus.paid, "only a paid order is collected")

    @workflow.query
    def state(self) -> OrderState:
        return OrderState(order_id=self._input.order_id, status=self._status,
                          expiry_reason=self._expiry_reason, payment_id=self._payment_id,
                          code_generation=self._generation, refunded=self._refunded)
