"""PaymentWorkflow (`payment-<id>`): one payment, a child of every paid process.

Create the payment at the provider (idempotency key from the payment id), then wait for the
provider's webhook while polling its status with backoff, because some providers (MTN MoMo)
never retry a lost callback. The first final status wins: succeeded, failed, or expired at
the deadline (a saved card charged off-session is final at creation: no wait). A success is
invoiced. A parent may ask for a refund while the run is open:
the provider is asked to pay it back, and a refund still pending there (Mobile Money pays
later) is polled with the same backoff until the provider pays it (refunded) or refuses it
(the payment stays succeeded and the parent's update fails with the provider's reason).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from domain.errors import BusinessError
from domain.paid import PAYMENT_REFUNDED, PaymentRefundSettled
from domain.payments import (
    CANCEL_PAYMENT,
    CHECK_PAYMENT_STATUS,
    CHECK_REFUND_STATUS,
    CREATE_PAYMENT,
    FINAL_STATUSES,
    ISSUE_INVOICE,
    PAYMENT_CREATED,
    PAYMENT_SETTLED,
    PROVIDER_EVENT,
    RECORD_PAYMENT_STATUS,
    RECORD_REFUND_FAILED,
    REFUND_PAYMENT,
    CancelAtProvider,
    CheckAtProvider,
    CheckRefundAtProvider,
    CreateAtProvider,
    IssueInvoice,
    PaymentCreated,
    PaymentInput,
    PaymentResult,
    PaymentSettled,
    PaymentStatus,
    PaymentView,
    ProviderEventSignal,
    ProviderName,
    RecordPaymentStatus,
    RecordRefundFailed,
    RefundAtProvider,
    RefundRequest,
    RefundResult,
    RefundStatus,
    next_poll_interval,
)
from workflows.common import (
    business_error,
    run_activity,
    set_first_status,
    set_status,
    signal_workflow,
)

PROVIDER_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1),
                             maximum_interval=timedelta(seconds=30))

# Runs that took a refund before refunds could be pending at the provider replay the old
# path (refund, then refunded at once); later ones confirm the refund with the provider.
ASYNC_REFUNDS_PATCH = "refund-polls-provider"
# A saved card charged off-session is final when created: nothing to wait for.
FINAL_AT_CREATION_PATCH = "payment-final-at-creation"
# The process that asked for a refund is told its end (`payment_refunded`, the kit).
REFUND_TELLS_PROCESS_PATCH = "refund-tells-process"


@workflow.defn
class PaymentWorkflow:
    def __init__(self) -> None:
        self._input: PaymentInput | None = None
        self._view: PaymentView | None = None
        self._refund_status: RefundStatus | None = None
        self._reported: PaymentStatus | None = None
        self._status = PaymentStatus.pending
        self._refund: RefundRequest | None = None
        self._check_now = False
        self._result: PaymentResult | None = None

    @workflow.run
    async def run(self, payment: PaymentInput) -> PaymentResult:
        self._input = payment
        set_first_status(f"payment_{self._status.value}")
        try:
            created = await run_activity(
                CREATE_PAYMENT,
                CreateAtProvider(payment=payment),
                retry_policy=PROVIDER_RETRY,
            )
        except ActivityError:
            # The provider refused it outright (declined, unknown payer): nothing to wait for.
            await self._record(payment.payment_id, PaymentStatus.failed)
            self._result = PaymentResult(payment_id=payment.payment_id,
                                         status=PaymentStatus.failed)
            return self._result
        self._view = created.view
        if payment.notify_workflow_id:
            await signal_workflow(payment.notify_workflow_id, PAYMENT_CREATED,
                                  PaymentCreated(payment=created.view))

        if created.status in FINAL_STATUSES and workflow.patched(FINAL_AT_CREATION_PATCH):
            outcome = created.status
        else:
            outcome = await self._wait_for_outcome(payment)
        await self._record(payment.payment_id, outcome)
        result = PaymentResult(payment_id=payment.payment_id, status=outcome)
        if outcome is PaymentStatus.succeeded:
            invoice = await run_activity(ISSUE_INVOICE, IssueInvoice(payment_id=payment.payment_id))
            result.invoice_id, result.invoice_number = invoice.invoice_id, invoice.number
        self._result = result
        if payment.notify_workflow_id:
            await signal_workflow(payment.notify_workflow_id, PAYMENT_SETTLED,
                                  PaymentSettled(result=result))

        if outcome is PaymentStatus.succeeded and payment.refundable_for > timedelta(0):
            await self._refund_window(payment)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._result

    async def _wait_for_outcome(self, payment: PaymentInput) -> PaymentStatus:
        """Webhook or poll, whichever says first; expired when the deadline passes."""
        timings = payment.timings
        deadline = workflow.now() + timings.deadline
        interval = timings.poll_initial
        while True:
            remaining = deadline - workflow.now()
            if remaining <= timedelta(0):
                # Close it at the provider first, then one last look: the payer may have
                # paid in the final seconds, and no later payment can go through.
                await run_activity(
                    CANCEL_PAYMENT,
                    CancelAtProvider(payment_id=payment.payment_id, provider=payment.provider),
                    retry_policy=PROVIDER_RETRY,
                )
                last = await self._check(payment)
                # (a provider may report our own cancel as a failure: it is an expiry)
                return PaymentStatus.succeeded if last is PaymentStatus.succeeded else (
                    PaymentStatus.expired)
            try:
                await workflow.wait_condition(
                    lambda: self._reported is not None or self._check_now,
                    timeout=min(interval, remaining))
            except TimeoutError:
                found = await self._check(payment)
                if found in FINAL_STATUSES:
                    return found
                interval = next_poll_interval(interval, timings.poll_max)
                continue
            if self._reported is not None:
                return self._reported
            # A non-final event (e.g. PayPal's "approved"): ask the provider now.
            self._check_now = False
            found = await self._check(payment)
            if found in FINAL_STATUSES:
                return found

    async def _check(self, payment: PaymentInput) -> PaymentStatus:
        found = await run_activity(
            CHECK_PAYMENT_STATUS,
            CheckAtProvider(payment_id=payment.payment_id, provider=payment.provider),
            retry_policy=PROVIDER_RETRY,
        )
        return found.status

    async def _refund_window(self, payment: PaymentInput) -> None:
        try:
            await workflow.wait_condition(lambda: self._refund is not None,
                                          timeout=payment.refundable_for)
        except TimeoutError:
            return

    async def _record(self, payment_id: str, status: PaymentStatus) -> None:
        await run_activity(
            RECORD_PAYMENT_STATUS,
            RecordPaymentStatus(payment_id=payment_id, status=status),
        )
        self._status = status
        set_status(f"payment_{status.value}")

    @workflow.signal(name=PROVIDER_EVENT.name)
    def provider_event(self, event: ProviderEventSignal) -> None:
        # Events arrive in any order and may repeat: only the first final word counts.
        if self._reported is None and event.status in (PaymentStatus.succeeded,
                                                       PaymentStatus.failed):
            self._reported = event.status
        elif event.status is PaymentStatus.pending:
            self._check_now = True

    @workflow.update(name="refund")
    async def refund(self, request: RefundRequest) -> RefundResult:
        assert self._result is not None
        assert self._view is not None
        self._refund = request
        payment_id, provider = self._result.payment_id, self._view.provider
        if not workflow.patched(ASYNC_REFUNDS_PATCH):
            await run_activity(
                REFUND_PAYMENT,
                RefundAtProvider(payment_id=payment_id, provider=provider, reason=request.reason),
                retry_policy=PROVIDER_RETRY,
            )
            return await self._refunded(payment_id)

        self._refund_status = RefundStatus.pending
        try:
            asked = await run_activity(
                REFUND_PAYMENT,
                RefundAtProvider(payment_id=payment_id, provider=provider, reason=request.reason),
                retry_policy=PROVIDER_RETRY,
            )
        except ActivityError as err:
            # Refused outright (MTN answered 4xx, refunds not configured...).
            raise await self._refund_failed(payment_id, _cause(err)) from err
        status, reason = asked.status, asked.reason
        if status is RefundStatus.pending:
            set_status("payment_refund_requested")
            status, reason = await self._confirm_refund(payment_id, provider,
                                                        asked.refund_reference)
        if status is RefundStatus.succeeded:
            return await self._refunded(payment_id)
        if status is RefundStatus.failed:
            raise await self._refund_failed(
                payment_id, f"{provider.value} refused the refund: {reason or 'no reason given'}")
        assert self._input is not None
        waited = _spoken(self._input.timings.refund_deadline)
        raise await self._refund_failed(
            payment_id, f"{provider.value} has not confirmed the refund after {waited}: check "
                        "it with the provider before paying it back by hand")

    async def _confirm_refund(self, payment_id: str, provider: ProviderName,
                              reference: str | None) -> tuple[RefundStatus, str | None]:
        """Poll the provider with backoff until it says paid or refused, or the deadline."""
        assert self._input is not None
        timings = self._input.timings
        deadline = workflow.now() + timings.refund_deadline
        interval = timings.poll_initial
        while (remaining := deadline - workflow.now()) > timedelta(0):
            await workflow.sleep(min(interval, remaining), summary="refund status check")
            found = await run_activity(
                CHECK_REFUND_STATUS,
                CheckRefundAtProvider(payment_id=payment_id, provider=provider,
                                      refund_reference=reference),
                retry_policy=PROVIDER_RETRY,
            )
            if found.status is not RefundStatus.pending:
                return found.status, found.reason
            interval = next_poll_interval(interval, timings.poll_max)
        return RefundStatus.pending, None

    async def _refunded(self, payment_id: str) -> RefundResult:
        assert self._result is not None
        await self._record(payment_id, PaymentStatus.refunded)
        self._result.status = PaymentStatus.refunded
        self._refund_status = RefundStatus.succeeded
        await self._tell_refund(payment_id, None)
        return RefundResult(payment_id=payment_id, status=PaymentStatus.refunded)

    async def _refund_failed(self, payment_id: str, reason: str) -> ApplicationError:
        """Record why (the payment stays succeeded) and answer the parent with it."""
        await run_activity(
            RECORD_REFUND_FAILED,
            RecordRefundFailed(payment_id=payment_id, reason=reason),
        )
        self._refund_status = RefundStatus.failed
        set_status(f"payment_{self._status.value}")
        await self._tell_refund(payment_id, reason)
        return business_error(BusinessError.refund_failed, reason)

    async def _tell_refund(self, payment_id: str, reason: str | None) -> None:
        assert self._input is not None and self._refund_status is not None
        if self._input.notify_workflow_id and workflow.patched(REFUND_TELLS_PROCESS_PATCH):
            await signal_workflow(self._input.notify_workflow_id, PAYMENT_REFUNDED,
                                  PaymentRefundSettled(payment_id=payment_id,
                                                       refund_status=self._refund_status,
                                                       reason=reason))

    @refund.validator
    def _refund_only_a_success(self, request: RefundRequest) -> None:
        if self._result is None or self._status is not PaymentStatus.succeeded:
            raise ApplicationError("only a succeeded payment can be refunded",
                                   type=BusinessError.conflict.value, non_retryable=True)
        if self._refund is not None:
            raise ApplicationError("a refund was already asked for",
                                   type=BusinessError.conflict.value, non_retryable=True)

    @workflow.query(name="payment")
    def payment(self) -> PaymentView | None:
        if self._view is None:
            return None
        return self._view.model_copy(update={"status": self._status,
                                             "refund_status": self._refund_status})


def _spoken(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return f"{seconds} seconds"


def _cause(err: ActivityError) -> str:
    cause = err.cause
    return cause.message if isinstance(cause, ApplicationError) else str(cause or err)
