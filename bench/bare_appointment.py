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
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from bench.bare_payment import PATIENT_ID, TIMEOUT, BarePaymentWorkflow, bare_step

STATUS = SearchAttributeKey.for_keyword("EsameStatus")
DOCTOR_ID = SearchAttributeKey.for_keyword("EsameDoctorId")
HOLD = timedelta(minutes=15)
REFUNDABLE = timedelta(days=4)
UNTIL_REMINDER = timedelta(days=2)


def _show(status: str) -> None:
    workflow.upsert_search_attributes([STATUS.value_set(f"appointment_{status}")])


async def _step(name: str) -> None:
    await workflow.execute_activity(bare_step, name, start_to_close_timeout=TIMEOUT)


@workflow.defn
class BareAppointmentWorkflow:
    @workflow.init
    def __init__(self, appointment_id: str) -> None:
        self._payment: str | None = None
        self._paid = False

    @workflow.run
    async def run(self, appointment_id: str) -> str:
        if workflow.patched("status-from-the-first-task"):
            _show("pending_payment")
        await workflow.start_child_workflow(
            BarePaymentWorkflow.run, args=[workflow.info().workflow_id,
                                           int(REFUNDABLE.total_seconds())],
            id=f"bare-payment-{appointment_id}",
            static_summary=f"Payment for appointment {appointment_id}",
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(PATIENT_ID, appointment_id),
                SearchAttributePair(DOCTOR_ID, appointment_id)]))
        await workflow.wait_condition(lambda: self._paid, timeout=HOLD,
                                      timeout_summary="payment deadline")
        await _step("check_plan")
        await _step("record_appointment")
        _show("confirmed")
        await _step("appointment_messages")
        await _step("send_message")   # the patient
        await _step("send_message")   # the doctor
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: False, timeout=UNTIL_REMINDER,
                                          timeout_summary="reminder")
        return "confirmed"

    @workflow.update(name="checkout")
    async def checkout(self) -> str:
        await workflow.wait_condition(lambda: self._payment is not None,
                                      timeout=timedelta(seconds=20))
        assert self._payment is not None
        return self._payment

    @workflow.signal(name="payment_created")
    def payment_created(self, payment_workflow_id: str) -> None:
        self._payment = payment_workflow_id

    @workflow.signal(name="payment_settled")
    def payment_settled(self, _: str) -> None:
        self._paid = True


BARE_WORKFLOWS = [BareAppointmentWorkflow, BarePaymentWorkflow]
BARE_ACTIVITIES = [bare_step]
