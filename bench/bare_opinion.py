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

from bench.bare_payment import BarePaidParent, BarePaymentWorkflow, bare_step, show, step

DRAFT_EXPIRES = timedelta(days=30)
REFUNDABLE = timedelta(days=30)
UNTIL_REMINDER = timedelta(days=1)
FOLLOW_UP = timedelta(days=7)


@workflow.defn
class BareOpinionWorkflow(BarePaidParent):
    def __init__(self) -> None:
        self._submitted = self._answered = False
        self._status = "draft"

    @workflow.run
    async def run(self, request_id: str) -> str:
        if workflow.patched("status-from-the-first-task"):
            show("opinion_draft")
        await workflow.wait_condition(lambda: self._submitted, timeout=DRAFT_EXPIRES,
                                      timeout_summary="draft expiry")
        await step("freeze_opinion")
        show("opinion_pending_payment")
        await self.start_refundable_payment("opinion request", request_id, REFUNDABLE)
        await workflow.wait_condition(lambda: self._paid)
        await self._record("transmitted")
        await step("notify_opinion")
        await workflow.wait_condition(lambda: self._answered, timeout=UNTIL_REMINDER,
                                      timeout_summary="doctor reminder")
        await step("publish_consultation")
        await self._record("answered")
        await step("notify_opinion")
        await workflow.sleep(FOLLOW_UP, summary="follow-up window")
        await self._record("closed")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return "closed"

    async def _record(self, status: str) -> None:
        await step("record_opinion_status")
        self._status = status
        show(f"opinion_{status}")

    @workflow.update(name="submit")
    async def submit(self, _: str) -> str:
        await step("check_opinion_submission")
        await step("check_plan")
        self._submitted = True
        return await self.checkout_answer()

    @workflow.update(name="answer")
    async def answer(self, _: str) -> str:
        self._answered = True
        await workflow.wait_condition(lambda: self._status == "answered")
        return self._status


BARE_WORKFLOWS = [BareOpinionWorkflow, BarePaymentWorkflow]
BARE_ACTIVITIES = [bare_step]
