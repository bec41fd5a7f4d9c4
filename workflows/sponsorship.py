"""SponsorshipWorkflow (`sponsorship-<id>`): a relative pays for a patient's consultation.

The API has taken the hold (the beneficiary's appointment, `pending_payment`, holding the
slot) and written the sponsorship. Then, as the business goes:

1. the sponsor pays, in their currency, through the paid-process kit, while the slot is
   held; not paid in time (expired, failed) → the hold is let go, the sponsor told;
2. paid → the appointment is the beneficiary's: `AppointmentWorkflow` (`appointment-<id>`)
   runs it exactly as a booked one (reminders, teleconsultation, cancellation, completion),
   with `sponsored` set: confirmed at once, no payment of its own, no plan check, and its
   refunds refund the sponsor's payment. Both are told (the beneficiary by email and SMS);
3. the appointment tells its end (`appointment_ended`): completed (or a no-show) →
   `completed`; canceled by the beneficiary or the doctor → `canceled`, and the sponsor's
   refund followed until the provider has paid it back (or refused it).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.workflow import ParentClosePolicy

from workflows.common import (
    ESAME_DOCTOR_ID,
    ESAME_PATIENT_ID,
    run_activity,
    set_first_status,
    set_status,
)
from workflows.paid import PaidProcess

with workflow.unsafe.imports_passed_through():
    from domain.appointments import (
        APPOINTMENT_ENDED,
        AppointmentEnded,
        AppointmentStatus,
        SponsoredAppointment,
    )
    from domain.paid import PaymentOrder
    from domain.payments import InvoiceLine, PaymentStatus, PaymentView, RefundStatus
    from domain.sponsorships import (
        INVOICE_LINE,
        RECORD_SPONSORSHIP,
        TELL_SPONSORSHIP,
        RecordSponsorship,
        SponsorshipEvent,
        SponsorshipInput,
        SponsorshipState,
        SponsorshipStatus,
        TellSponsorship,
        status_after_appointment,
    )

# The appointment process's type name: the sponsorship starts it as a child by name.
APPOINTMENT_WORKFLOW = "AppointmentWorkflow"


@workflow.defn
class SponsorshipWorkflow(PaidProcess):
    # The input is known before the run starts: the checkout Update of the API's
    # update-with-start runs first and needs it.
    @workflow.init
    def __init__(self, sponsorship: SponsorshipInput) -> None:
        self._input = sponsorship
        self._status = SponsorshipStatus.pending_payment
        self._payment_id: str | None = None
        self._ended: AppointmentEnded | None = None
        self._appointment_status: AppointmentStatus | None = None

    @workflow.run
    async def run(self, sponsorship: SponsorshipInput) -> SponsorshipState:
        set_first_status("sponsorship_pending_payment")
        self._payment_id = await self.start_payment(sponsorship.payer, self._order())
        outcome = await self.wait_for_payment(self._payment_id,
                                              until=sponsorship.hold_expires_at)
        if outcome.timed_out or not outcome.paid:
            # The hold is let go; a payment that succeeds after all is paid back.
            failed = outcome.status is PaymentStatus.failed and not outcome.timed_out
            await self._record(SponsorshipStatus.payment_failed if failed
                               else SponsorshipStatus.expired)
            await self._tell(SponsorshipEvent.not_paid)
            if outcome.timed_out:
                late = await self.refund_late_payment(self._payment_id)
                if late.paid:
                    await self._record(self._status,
                                       refund_status=await self.refund_settled(
                                           self._payment_id))
            return self.state()

        await self._record(SponsorshipStatus.confirmed,
                           appointment_status=AppointmentStatus.confirmed)
        await self._start_appointment()
        await self._tell(SponsorshipEvent.confirmed)

        await workflow.wait_condition(lambda: self._ended is not None)
        assert self._ended is not None
        status = status_after_appointment(self._ended.status)
        refund = self._ended.refund_status
        if refund is not None and status is SponsorshipStatus.canceled:
            # The appointment asked the sponsor's payment for its refund: the payment tells
            # this run when the provider has paid it back (or refused).
            await self._record(status, refund_status=RefundStatus.pending,
                               appointment_status=self._ended.status)
            refund = await self._refund_outcome(refund)
        await self._record(status, refund_status=refund, appointment_status=self._ended.status)
        if status is SponsorshipStatus.canceled:
            await self._tell(SponsorshipEvent.canceled)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    # --- the steps -------------------------------------------------------------------------

    def _order(self) -> PaymentOrder:
        s = self._input
        line = InvoiceLine(description=INVOICE_LINE, unit_price=s.price, total=s.price)
        return PaymentOrder(
            amount=s.price, description=f"{INVOICE_LINE} ({s.reference})", lines=[line],
            timings=s.timings.payment, purpose="sponsorship",
            summary=f"Payment for sponsorship {s.reference}",
            # The payment is the sponsor's: found from them.
            patient_id=s.sponsor_id, doctor_id=s.doctor_id,
            # Refundable until a while after the appointment: whoever cancels, the sponsor
            # is paid back from this payment.
            refundable_for=max(s.appointment.end - workflow.now(), timedelta(0))
            + s.timings.refundable_after_end)

    async def _start_appointment(self) -> None:
        s = self._input
        assert self._payment_id is not None
        appointment = s.appointment.model_copy(update={"sponsored": SponsoredAppointment(
            sponsorship_id=s.sponsorship_id, sponsor_id=s.sponsor_id,
            payment_id=self._payment_id)})
        await workflow.start_child_workflow(
            APPOINTMENT_WORKFLOW, appointment,
            id=f"appointment-{s.appointment.appointment_id}",
            # The appointment is the beneficiary's: it never ends with its sponsorship.
            parent_close_policy=ParentClosePolicy.ABANDON,
            static_summary=s.appointment_summary,
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(ESAME_PATIENT_ID, s.beneficiary_id),
                SearchAttributePair(ESAME_DOCTOR_ID, s.doctor_id)]),
        )

    async def _refund_outcome(self, asked: RefundStatus) -> RefundStatus:
        assert self._payment_id is not None
        if asked is not RefundStatus.pending:
            return asked
        return await self.refund_settled(self._payment_id)

    async def _record(self, status: SponsorshipStatus, *,
                      refund_status: RefundStatus | None = None,
                      appointment_status: AppointmentStatus | None = None) -> None:
        self._status = status
        if appointment_status is not None:
            self._appointment_status = appointment_status
        await run_activity(RECORD_SPONSORSHIP, RecordSponsorship(
            sponsorship_id=self._input.sponsorship_id, status=status,
            payment_id=self._payment_id, refund_status=refund_status,
            appointment_status=appointment_status))
        set_status(f"sponsorship_{status.value}")

    async def _tell(self, event: SponsorshipEvent) -> None:
        await run_activity(TELL_SPONSORSHIP, TellSponsorship(
            sponsorship_id=self._input.sponsorship_id, event=event))

    # --- messages ---------------------------------------------------------------------------

    @workflow.signal(name=APPOINTMENT_ENDED.name)
    def appointment_ended(self, ended: AppointmentEnded) -> None:
        if self._ended is None:
            self._ended = ended

    @workflow.update(name="checkout")
    async def checkout(self) -> PaymentView:
        """The sponsor's payment once it exists at the provider (its checkout link)."""
        return await self.payment_checkout(self._input.timings.payment.checkout_wait)

    @workflow.query(name="state")
    def state(self) -> SponsorshipState:
        refund = self.refund_status(self._payment_id) if self._payment_id else None
        return SponsorshipState(
            sponsorship_id=self._input.sponsorship_id, status=self._status,
            payment_id=self._payment_id, refund_status=refund,
            appointment_status=self._appointment_status)
