"""PurchaseWorkflow (`purchase-<id>`): SMS packs and storage, paid once, credited once."""

from __future__ import annotations

from temporalio import workflow

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
from domain.paid import PaymentOrder
from domain.payments import PaymentResult
from workflows.common import run_activity, set_status
from workflows.paid import PaidProcess


@workflow.defn
class PurchaseWorkflow(PaidProcess):
    # The input is known before the run starts: the checkout Update of an update-with-start
    # runs first and needs its timings.
    @workflow.init
    def __init__(self, purchase: PurchaseInput) -> None:
        self._input: PurchaseInput | None = purchase
        self._status = PurchaseStatus.pending_payment
        self._payment_id: str | None = None
        self._result: PaymentResult | None = None

    @workflow.run
    async def run(self, purchase: PurchaseInput) -> PurchaseState:
        self._input = purchase
        payment_id = workflow.uuid4().hex
        self._payment_id = payment_id
        await self._record(payment_id)
        payer = purchase.payment
        await self.start_payment(payer, PaymentOrder(
            amount=purchase.total, description="E-same purchase", lines=purchase.lines,
            timings=purchase.timings, purpose="purchase",
            summary=f"Payment for purchase {purchase.purchase_id}", patient_id=payer.user_id,
        ), payment_id=payment_id)
        outcome = await self.wait_for_payment(payment_id)
        self._result = PaymentResult(payment_id=payment_id, status=outcome.status,
                                     invoice_id=outcome.invoice_id,
                                     invoice_number=outcome.invoice_number)

        if outcome.paid:
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

    @workflow.update(name="checkout")
    async def checkout(self) -> PurchaseCreated:
        payment = await self.payment_checkout(self._current.timings.checkout_wait)
        return PurchaseCreated(purchase_id=self._current.purchase_id, payment=payment)

    @workflow.query(name="state")
    def state(self) -> PurchaseState:
        view = self.payment_view(self._payment_id) if self._payment_id else None
        return PurchaseState(purchase_id=self._current.purchase_id, status=self._status,
                             payment=view, result=self._result)

    @property
    def _current(self) -> PurchaseInput:
        assert self._input is not None
        return self._input
