"""The baseline of the opinions benchmark: a bare Temporal opinion request of the same shape
as OpinionRequestWorkflow on its way to `answered` (the draft's timed wait, the submit
Update with its checks and the checkout, the frozen request, the refundable payment child
through the kit, transmission, the answer deadline's timed wait, the answer Update, the
published consultation and the follow-up window), with activities that do nothing: what
Temporal alone costs. Same activities, Updates, timed waits, child summary and search
attributes, and `EsameStatus` changes. Run by `bench.bare_worker`."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from bench.bare_appointment import DOCTOR_ID
from bench.bare_payment import PATIENT_ID, TIMEOUT, BarePaymentWorkflow, bare_step

STATUS = SearchAttributeKey.for_keyword("EsameStatus")
DRAFT_EXPIRES = timedelta(days=30)
REFUNDABLE = timedelta(days=30)
UNTIL_REMINDER = timedelta(days=1)
FOLLOW_UP = timedelta(days=7)


def _show(status: str) -> None:
    workflow.upsert_search_attributes([STATUS.value_set(f"opinion_{status}")])


async def _step(name: str) -> None:
    await workflow.execute_activity(bare_step, name, start_to_close_timeout=TIMEOUT)


@workflow.defn
class BareOpinionWorkflow:
    def __init__(self) -> None:
        self._submitted = self._answered = False
        self._payment: str | None = None
        self._paid = False
        self._status = "draft"

    @workflow.run
    async def run(self, request_id: str) -> str:
        if workflow.patched("status-from-the-first-task"):
            _show("draft")
        await workflow.wait_condition(lambda: self._submitted, timeout=DRAFT_EXPIRES,
                                      timeout_summary="draft expiry")
        await _step("freeze_opinion")
        _show("pending_payment")
        await workflow.start_child_workflow(
            BarePaymentWorkflow.run, args=[workflow.info().workflow_id,
                                           int(REFUNDABLE.total_seconds())],
            id=f"bare-payment-{request_id}",
            static_summary=f"Payment for opinion request {request_id}",
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(PATIENT_ID, request_id),
                SearchAttributePair(DOCTOR_ID, request_id)]))
        await workflow.wait_condition(lambda: self._paid)
        await self._record("transmitted")
        await _step("notify_opinion")
        await workflow.wait_condition(lambda: self._answered, timeout=UNTIL_REMINDER,
                                      timeout_summary="doctor reminder")
        await _step("publish_consultation")
        await self._record("answered")
        await _step("notify_opinion")
        await workflow.sleep(FOLLOW_UP, summary="follow-up window")
        await self._record("closed")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return "closed"

    async def _record(self, status: str) -> None:
        await _step("record_opinion_status")
        self._status = status
        _show(status)

    @workflow.update(name="submit")
    async def submit(self, _: str) -> str:
        await _step("check_opinion_submission")
        await _step("check_plan")
        self._submitted = True
        await workflow.wait_condition(lambda: self._payment is not None,
                                      timeout=timedelta(seconds=20))
        assert self._payment is not None
        return self._payment

    @workflow.update(name="answer")
    async def answer(self, _: str) -> str:
        self._answered = True
        await workflow.wait_condition(lambda: self._status == "answered")
        return self._status

    @workflow.signal(name="payment_created")
    def payment_created(self, payment_workflow_id: str) -> None:
        self._payment = payment_workflow_id

    @workflow.signal(name="payment_settled")
    def payment_settled(self, _: str) -> None:
        self._paid = True


BARE_WORKFLOWS = [BareOpinionWorkflow, BarePaymentWorkflow]
BARE_ACTIVITIES = [bare_step]
