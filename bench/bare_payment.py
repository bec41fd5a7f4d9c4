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


def _show(status: str) -> None:
    workflow.upsert_search_attributes([STATUS.value_set(status)])


@activity.defn(name="bare_step")
async def bare_step(step: str) -> str:
    return step


@workflow.defn
class BarePaymentWorkflow:
    def __init__(self) -> None:
        self._paid = False
        self._refund_asked = False

    @workflow.run
    async def run(self, parent_id: str, refundable_seconds: int = 0) -> str:
        if workflow.patched("status-from-the-first-task"):
            _show("payment_pending")
        await workflow.execute_activity(bare_step, "create", start_to_close_timeout=TIMEOUT)
        await workflow.get_external_workflow_handle(parent_id).signal("payment_created",
                                                                      workflow.info().workflow_id)
        await workflow.wait_condition(lambda: self._paid, timeout=timedelta(minutes=30))
        await workflow.execute_activity(bare_step, "record", start_to_close_timeout=TIMEOUT)
        _show("payment_succeeded")
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


@workflow.defn
class BarePurchaseWorkflow:
    def __init__(self) -> None:
        self._payment: str | None = None

    @workflow.run
    async def run(self, purchase_id: str) -> str:
        await workflow.execute_activity(bare_step, "record", start_to_close_timeout=TIMEOUT)
        _show("purchase_pending_payment")
        await workflow.execute_child_workflow(
            BarePaymentWorkflow.run, workflow.info().workflow_id, id=f"bare-payment-{purchase_id}",
            static_summary=f"Payment for purchase {purchase_id}",
            search_attributes=TypedSearchAttributes([SearchAttributePair(PATIENT_ID, purchase_id)]))
        await workflow.execute_activity(bare_step, "credit", start_to_close_timeout=TIMEOUT)
        _show("purchase_paid")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return "paid"

    @workflow.signal(name="payment_created")
    def payment_created(self, payment_workflow_id: str) -> None:
        self._payment = payment_workflow_id

    @workflow.signal(name="payment_settled")
    def payment_settled(self, _: str) -> None:
        pass

    @workflow.update(name="checkout")
    async def checkout(self) -> str:
        await workflow.wait_condition(lambda: self._payment is not None,
                                      timeout=timedelta(seconds=20))
        assert self._payment is not None
        return self._payment


BARE_WORKFLOWS = [BarePurchaseWorkflow, BarePaymentWorkflow]
BARE_ACTIVITIES = [bare_step]
