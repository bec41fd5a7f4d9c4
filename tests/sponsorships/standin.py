"""An appointment process standing for `AppointmentWorkflow` in the sponsorship's timing
tests (same type name, same input): it ends when the test says so, asks the sponsor's
payment for its refund when the end is refunded, and tells the sponsorship, as the
agreed interface says (domain/appointments.py: `sponsored`, `appointment_ended`)."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import workflow

from workflows.common import run_activity, signal_workflow

with workflow.unsafe.imports_passed_through():
    from domain.appointments import (
        APPOINTMENT_ENDED,
        AppointmentEnded,
        AppointmentInput,
        AppointmentStatus,
    )
    from domain.paid import ASK_REFUND, AskRefund
    from domain.payments import RefundStatus
    from domain.sponsorships import sponsorship_workflow_id


class StandInEnd(BaseModel):
    status: AppointmentStatus
    refunded: bool = False


@workflow.defn(name="AppointmentWorkflow")
class StandInAppointmentWorkflow:
    def __init__(self) -> None:
        self._end: StandInEnd | None = None

    @workflow.run
    async def run(self, appointment: AppointmentInput) -> AppointmentEnded:
        sponsored = appointment.sponsored
        assert sponsored is not None, "started by its sponsorship with `sponsored`"
        await workflow.wait_condition(lambda: self._end is not None)
        assert self._end is not None
        refund: RefundStatus | None = None
        if self._end.refunded:
            asked = await run_activity(ASK_REFUND, AskRefund(
                payment_id=sponsored.payment_id, reason="appointment canceled"))
            refund = RefundStatus.pending if asked.accepted else RefundStatus.failed
        ended = AppointmentEnded(appointment_id=appointment.appointment_id,
                                 status=self._end.status, refund_status=refund)
        await signal_workflow(sponsorship_workflow_id(sponsored.sponsorship_id),
                              APPOINTMENT_ENDED, ended)
        return ended

    @workflow.signal(name="end")
    def end(self, end: StandInEnd) -> None:
        self._end = end
