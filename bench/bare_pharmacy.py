"""The baseline of the pharmacy benchmark: a bare Temporal order of the same shape as
PharmacyOrderWorkflow (with its payment child, `bench.bare_payment.BarePaymentWorkflow`),
with activities that do nothing: what Temporal alone costs. Same shape: the same
activities, Updates, timed waits, the child with its summary and search attributes, and
the `EsameStatus` changes. Run by `bench.bare_worker`."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from bench.bare_payment import (
    PATIENT_ID,
    TIMEOUT,
    BarePaidParent,
    BarePaymentWorkflow,
    bare_step,
)

STATUS = SearchAttributeKey.for_keyword("EsameStatus")
PHARMACY_ID = SearchAttributeKey.for_keyword("EsamePharmacyId")
DAY = timedelta(days=1)


def _show(status: str) -> None:
    workflow.upsert_search_attributes([STATUS.value_set(f"pharmacy_order_{status}")])


async def _step(name: str) -> None:
    await workflow.execute_activity(bare_step, name, start_to_close_timeout=TIMEOUT)


@workflow.defn
class BarePharmacyOrderWorkflow(BarePaidParent):
    def __init__(self) -> None:
        self._status = "requested"
        self._quoted = self._ordered = self._validated = self._collected = False

    @workflow.run
    async def run(self, order_id: str) -> str:
        if workflow.patched("status-from-the-first-task"):
            _show("requested")
        await _step("open")
        await workflow.wait_condition(lambda: self._quoted, timeout=DAY)
        await _step("record_proforma")
        await self._move("quoted")
        await _step("notify")
        await workflow.wait_condition(lambda: self._ordered, timeout=DAY)
        await _step("record_order")
        await self._move("ordered")
        await workflow.wait_condition(lambda: self._validated, timeout=DAY)
        await _step("record_validation")
        await self._move("validated")
        await _step("notify")
        await workflow.wait_condition(lambda: self._payment is not None, timeout=DAY)
        await workflow.wait_condition(lambda: self._paid, timeout=DAY)
        await _step("record_paid")
        await self._move("paid")
        await _step("issue_code")
        await workflow.wait_condition(lambda: self._collected, timeout=DAY)
        await _step("record_collected")
        await self._move("collected")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return "collected"

    async def _move(self, status: str) -> None:
        self._status = status
        _show(status)

    async def _answered(self, before: str) -> str:
        await workflow.wait_condition(lambda: self._status != before)
        return self._status

    @workflow.update(name="issue_proforma")
    async def issue_proforma(self, _: str) -> str:
        self._quoted = True
        return await self._answered("requested")

    @workflow.update(name="order")
    async def order(self, _: str) -> str:
        self._ordered = True
        return await self._answered("quoted")

    @workflow.update(name="validate")
    async def validate(self, _: str) -> str:
        self._validated = True
        return await self._answered("ordered")

    @workflow.update(name="pay")
    async def pay(self, order_id: str) -> str:
        await workflow.start_child_workflow(
            BarePaymentWorkflow.run, workflow.info().workflow_id,
            id=f"bare-payment-{order_id}", static_summary=f"Payment for order {order_id}",
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(PATIENT_ID, order_id),
                SearchAttributePair(PHARMACY_ID, order_id)]))
        return await self.checkout_answer()

    @workflow.update(name="collect")
    async def collect(self, _: str) -> str:
        await _step("check_code")
        self._collected = True
        return await self._answered("paid")


BARE_WORKFLOWS = [BarePharmacyOrderWorkflow, BarePaymentWorkflow]
BARE_ACTIVITIES = [bare_step]
