"""The baseline of the payments benchmark: a bare Temporal purchase + payment of the same
shape as PurchaseWorkflow/PaymentWorkflow, with activities that do nothing: what Temporal
alone costs. Same shape means the same Temporal commands: activities, signals, the update
and its timed wait, the child with its summary and search attributes, the four
`EsameStatus` changes (the payment's first behind a patch). Run by `bench.bare_worker`."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

TIMEOUT = timedelta(seconds=30)
STATUS = SearchAttributeKey.for_keyword("EsameStatus")
PATIENT_ID = SearchAttributeKey.for_keyword("EsamePatientId")
DOCTOR_ID = SearchAttributeKey.for_keyword("EsameDoctorId")


def show(status: str) -> None:
    """The status a bare workflow shows as `EsameStatus` (`<process>_<status>`)."""
    workflow.upsert_search_attributes([STATUS.value_set(status)])


@activity.defn(name="bare_step")
async def bare_step(name: str) -> str:
    return name


async def step(name: str) -> None:
    """One of the real process's activities, doing nothing."""
    await workflow.execute_activity(bare_step, name, start_to_close_timeout=TIMEOUT)


@workflow.defn
class BarePaymentWorkflow:
    def __init__(self) -> None:
        self._paid = False
        self._refund_asked = False

    @workflow.run
    async def run(self, parent_id: str, refundable_seconds: int = 0) -> str:
        if workflow.patched("status-from-the-first-task"):
            show("payment_pending")
        await workflow.execute_activity(bare_step, "create", start_to_close_timeout=TIMEOUT)
        await workflow.get_external_workflow_handle(parent_id).signal("payment_created",
                                                                      workflow.info().workflow_id)
        await workflow.wait_condition(lambda: self._paid, timeout=timedelta(minutes=30))
        await workflow.execute_activity(bare_step, "record", start_to_close_timeout=TIMEOUT)
        show("payment_succeeded")
        await workflow.execute_activity(bare_step, "invoice", start_to_close_timeout=TIMEOUT)
        await workflow.get_external_workflow_handle(parent_id).signal("payment_settled",
                                                                      "succeeded")
        if refundable_seconds > 0:
            # A refundable payment (an appointment's, an opinion's) stays open for a refund.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._refund_asked,
                                              timeout=timedelta(seconds=refundable_seconds))
        return "succeeded"

    @workflow.signal(name="provider_event")
    def provider_event(self, _: str) -> None:
        self._paid = True

    @workflow.signal(name="refund")
    def refund(self, _: str) -> None:
        self._refund_asked = True


class BarePaidParent:
    """The parent's side of a bare payment (as the kit's `PaidProcess` gives a real process):
    the payment child's two signals, and the checkout's wait for the payment."""

    _payment: str | None = None
    _paid = False

    @workflow.signal(name="payment_created")
    def payment_created(self, payment_workflow_id: str) -> None:
        self._payment = payment_workflow_id

    @workflow.signal(name="payment_settled")
    def payment_settled(self, _: str) -> None:
        self._paid = True

    async def start_refundable_payment(self, what: str, business_id: str,
                                       refundable: timedelta) -> None:
        """The payment child of a patient's process with a doctor, open for a refund."""
        await workflow.start_child_workflow(
            BarePaymentWorkflow.run,
            args=[workflow.info().workflow_id, int(refundable.total_seconds())],
            id=f"bare-payment-{business_id}", static_summary=f"Payment for {what} {business_id}",
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(PATIENT_ID, business_id),
                SearchAttributePair(DOCTOR_ID, business_id)]))

    async def checkout_answer(self) -> str:
        await workflow.wait_condition(lambda: self._payment is not None,
                                      timeout=timedelta(seconds=20))
        assert self._payment is not None
        return self._payment


@workflow.defn
class BarePurchaseWorkflow(BarePaidParent):
    @workflow.run
    async def run(self, purchase_id: str) -> str:
        await workflow.execute_activity(bare_step, "record", start_to_close_timeout=TIMEOUT)
        show("purchase_pending_payment")
        await workflow.execute_child_workflow(
            BarePaymentWorkflow.run, workflow.info().workflow_id, id=f"bare-payment-{purchase_id}",
            static_summary=f"Payment for purchase {purchase_id}",
            search_attributes=TypedSearchAttributes([SearchAttributePair(PATIENT_ID, purchase_id)]))
        await workflow.execute_activity(bare_step, "credit", start_to_close_timeout=TIMEOUT)
        show("purchase_paid")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return "paid"

    @workflow.update(name="checkout")
    async def checkout(self) -> str:
        return await self.checkout_answer()


BARE_WORKFLOWS = [BarePurchaseWorkflow, BarePaymentWorkflow]
BARE_ACTIVITIES = [bare_step]
