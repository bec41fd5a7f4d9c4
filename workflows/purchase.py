"""PurchaseWorkflow (`purchase-<id>`): SMS packs and storage, paid once, credited once."""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
)
from temporalio.exceptions import ApplicationError, ChildWorkflowError

from domain.billing import (
    CREDIT_PURCHASE,
    RECORD_PURCHASE,
    CreditPurchase,
    PurchaseCreated,
    PurchaseInput,
    PurchaseState,
    PurchaseStatus,
    RecordPurchase,
)
from domain.entitlements import GB
from domain.errors import BusinessError
from domain.ids import payment_workflow_id
from domain.payments import (
    PaymentCreated,
    PaymentInput,
    PaymentResult,
    PaymentSettled,
    PaymentStatus,
    PaymentView,
)
from workflows.common import (
    ESAME_PATIENT_ID,
    answer_checkout_within,
    run_activity,
    set_status,
)
from workflows.payment import PaymentWorkflow


@workflow.defn
class PurchaseWorkflow:
    # The input is known before the run starts: the checkout Update of an update-with-start
    # runs first and needs its timings.
    @workflow.init
    def __init__(self, purchase: PurchaseInput) -> None:
        self._input: PurchaseInput | None = purchase
        self._status = PurchaseStatus.pending_payment
        self._payment: PaymentView | None = None
        self._creation_failed = False
        self._result: PaymentResult | None = None

    @workflow.run
    async def run(self, purchase: PurchaseInput) -> PurchaseState:
        self._input = purchase
        payment_id = workflow.uuid4().hex
        await self._record(payment_id)
        payer = purchase.payment
        try:
            self._result = await workflow.execute_child_workflow(
                PaymentWorkflow.run,
                PaymentInput(
                    payment_id=payment_id, user_id=payer.user_id, amount=purchase.total,
                    method=payer.method, provider=payer.provider, operator=payer.operator,
                    phone=payer.phone, billing_address_id=payer.billing_address_id,
                    description="E-same purchase", lines=purchase.lines,
                    timings=purchase.timings, notify_workflow_id=workflow.info().workflow_id,
                    purpose="purchase", search_patient_id=payer.user_id,
                ),
                id=payment_workflow_id(payment_id),
                static_summary=f"Payment for purchase {purchase.purchase_id}",
                search_attributes=TypedSearchAttributes(
                    [SearchAttributePair(ESAME_PATIENT_ID, payer.user_id)]),
            )
        except ChildWorkflowError:
            self._result = PaymentResult(payment_id=payment_id, status=PaymentStatus.failed)
        if self._payment is None:
            # Refused by the provider before it existed there: the API answers at once.
            self._creation_failed = True

        if self._result.status is PaymentStatus.succeeded:
            await run_activity(
                CREDIT_PURCHASE,
                CreditPurchase(purchase_id=purchase.purchase_id, user_id=payer.user_id,
                               sms=purchase.sms_packs * purchase.sms_per_pack,
                               storage_bytes=purchase.storage_gb * GB),
            )
            # credit_purchase marks the purchase paid in the same write.
            self._status = PurchaseStatus.paid
            set_status("purchase_paid")
        else:
            self._status = PurchaseStatus.failed
            await self._record(payment_id)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _record(self, payment_id: str) -> None:
        purchase = self._current
        await run_activity(
            RECORD_PURCHASE,
            RecordPurchase(purchase_id=purchase.purchase_id, user_id=purchase.payment.user_id,
                           status=self._status, sms_packs=purchase.sms_packs,
                           storage_gb=purchase.storage_gb, total=purchase.total,
                           payment_id=payment_id),
        )
        set_status(f"purchase_{self._status.value}")

    @workflow.signal(name="payment_created")
    def payment_created(self, created: PaymentCreated) -> None:
        self._payment = created.payment

    @workflow.signal(name="payment_settled")
    def payment_settled(self, settled: PaymentSettled) -> None:
        if self._payment is not None:
            self._payment = self._payment.model_copy(update={"status": settled.result.status})

    @workflow.update(name="checkout")
    async def checkout(self) -> PurchaseCreated:
        await answer_checkout_within(
            lambda: self._payment is not None or self._creation_failed,
            self._current.timings.checkout_wait)
        if self._payment is None:
            raise ApplicationError("the payment provider refused this payment",
                                   type=BusinessError.payment_declined.value,
                                   non_retryable=True)
        return PurchaseCreated(purchase_id=self._current.purchase_id, payment=self._payment)

    @workflow.query(name="state")
    def state(self) -> PurchaseState:
        return PurchaseState(purchase_id=self._current.purchase_id, status=self._status,
                             payment=self._payment, result=self._result)

    @property
    def _current(self) -> PurchaseInput:
        assert self._input is not None
        return self._input
