"""The baseline of the appointments benchmark: a bare Temporal appointment of the same shape
as AppointmentWorkflow on its way to `confirmed` (hold, payment child through the kit,
plan check again, confirmation, the confirmation messages, then the wait for the first
reminder), with activities that do nothing: what Temporal alone costs. Same shape: the
update-with-start checkout, the activities, the refundable payment child with its summary
and search attributes (it stays open for a refund, as the kit's does), the hold's timed
wait, and the `EsameStatus` changes. Run by `bench.bare_worker`."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow

from bench.bare_payment import BarePaidParent, BarePaymentWorkflow, bare_step, show, step

HOLD = timedelta(minutes=15)
REFUNDABLE = timedelta(days=4)
UNTIL_REMINDER = timedelta(days=2)


@workflow.defn
class BareAppointmentWorkflow(BarePaidParent):
    @workflow.run
    async def run(self, appointment_id: str) -> str:
        if workflow.patched("status-from-the-first-task"):
            show("appointment_pending_payment")
        await self.start_refundable_payment("appointment", appointment_id, REFUNDABLE)
        await workflow.wait_condition(lambda: self._paid, timeout=HOLD,
                                      timeout_summary="payment deadline")
        await step("check_plan")
        await step("record_appointment")
        show("appointment_confirmed")
        await step("appointment_messages")
        await step("send_message")   # the patient
        await step("send_message")   # the doctor
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: False, timeout=UNTIL_REMINDER,
                                          timeout_summary="reminder")
        return "confirmed"

    @workflow.update(name="checkout")
    async def checkout(self) -> str:
        return await self.checkout_answer()


BARE_WORKFLOWS = [BareAppointmentWorkflow, BarePaymentWorkflow]
BARE_ACTIVITIES = [bare_step]
