"""AppointmentWorkflow (`appointment-<id>`): a held slot, paid, confirmed, reminded, held
(or canceled, moved, missed), and its consultation written.

The API took the hold (the database decided the slot was free) and committed the row
before it started this run. From then on every status changes here, through
`record_appointment`:

    pending_payment ──paid by hold_expires_at──> confirmed ──> completed | no_show
          │                                          └──> canceled (patient, doctor, absence)
          ├──not paid in time──> expired  (a late success: the slot again if free, else refunded)
          └──payment failed────> payment_failed

A sponsored appointment (`input.sponsored`) was paid by the sponsor's process: it is
confirmed at once, not gated by the plan, and its refunds refund the sponsor's payment.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

from domain.appointments import (
    APPOINTMENT_ENDED,
    APPOINTMENT_MESSAGES,
    DOCTOR_JOINED,
    MOVE_APPOINTMENT,
    RECORD_APPOINTMENT,
    AppointmentEnded,
    AppointmentEvent,
    AppointmentInput,
    AppointmentMessages,
    AppointmentRecorded,
    AppointmentState,
    AppointmentStatus,
    AppointmentType,
    CancelAppointment,
    CanceledBy,
    CompleteAppointment,
    DoctorJoined,
    MarkNoShow,
    MoveAppointment,
    RecordAppointment,
    RescheduleAppointment,
    patient_refunded,
    room_window,
)
from domain.care import CareService
from domain.errors import BusinessError
from domain.messages import SEND_MESSAGE
from domain.paid import ASK_REFUND, AskRefund, PaymentOrder
from domain.payments import InvoiceLine, PaymentView, RefundStatus
from workflows.care import check_plan, publish_consultation
from workflows.common import (
    WAIT_FOR_COMMIT,
    business_error,
    run_activity,
    set_first_status,
    set_status,
    signal_workflow,
)
from workflows.paid import PaidProcess

S = AppointmentStatus
# An appointment already over answers a cancellation as it is (a retried request).
_CLOSED = frozenset({S.canceled, S.expired, S.payment_failed})
_OVER = frozenset({S.completed, S.no_show, *_CLOSED})
_STATUS = {status: f"appointment_{status.value}" for status in AppointmentStatus}


@workflow.defn
class AppointmentWorkflow(PaidProcess):
    # The checkout Update of an update-with-start runs before `run`: it needs the input.
    @workflow.init
    def __init__(self, appointment: AppointmentInput) -> None:
        self._in = appointment
        self._status = S.pending_payment
        self._start, self._end = appointment.start, appointment.end
        self._refundable_until = appointment.start - appointment.timings.cancellation_notice
        self._payment_id = (appointment.sponsored.payment_id if appointment.sponsored
                            else None)
        self._refund_status: RefundStatus | None = None
        # Someone paid for it (the patient's payment succeeded, or the sponsor's).
        self._paid_ok = appointment.sponsored is not None
        self._consultation_id: str | None = None
        self._doctor_joined = False
        # The work of each Update and timer, one at a time.
        self._lock = asyncio.Lock()
        self._moves = 0
        self._reminded: set[str] = set()

    @workflow.run
    async def run(self, appointment: AppointmentInput) -> AppointmentState:
        set_first_status(_STATUS[S.pending_payment])
        if appointment.sponsored is not None or await self._paid():
            await self._confirmed()
            await self._until_it_is_over()
        # The Update that ended it may still be refunding and telling people.
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._payment_id and self._refund_status is RefundStatus.pending \
                and appointment.sponsored is None:
            # Mobile Money pays back later: keep the refund's end on the appointment.
            self._refund_status = await self.refund_settled(self._payment_id)
            await self._record(self._status)
        if appointment.sponsored is not None:
            await signal_workflow(
                f"sponsorship-{appointment.sponsored.sponsorship_id}", APPOINTMENT_ENDED,
                AppointmentEnded(appointment_id=appointment.appointment_id,
                                 status=self._status, refund_status=self._refund_status))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    # --- the hold and its payment --------------------------------------------------------

    async def _paid(self) -> bool:
        a = self._in
        assert a.payer is not None and a.price is not None
        payment_id = await self.start_payment(a.payer, self._order())
        self._payment_id = payment_id
        hold_max = a.hold_expires_at - a.timings.hold + a.timings.hold_max
        waiting = asyncio.ensure_future(self.wait_for_payment(
            payment_id, until=a.hold_expires_at, extend_until=hold_max))
        await workflow.wait_condition(lambda: waiting.done() or self._status in _OVER)
        if not waiting.done():
            # Canceled while held (the doctor closed the period): whatever comes is refunded.
            waiting.cancel()
            await self._refund_if_paid_late(payment_id)
            return False
        outcome = waiting.result()
        if outcome.timed_out:
            async with self._lock:
                await self._record(S.expired)
                await self._tell(AppointmentEvent.expired, "expired")
            outcome = await self.late_outcome(payment_id)
            if not outcome.paid or self._status is not S.expired:
                return False
            # Paid after the hold was let go: the slot again if the database still has it.
            self._paid_ok = True
            async with self._lock:
                retaken = (await self._record(S.confirmed)).recorded
                if not retaken:
                    self._refund_status = await self.refund(payment_id,
                                                            "late payment, slot taken")
                    await self._record(S.expired)
                    await self._tell(AppointmentEvent.late_payment_refunded, "late-refund",
                                     sms=True)
            return retaken and await self._plan_still_includes_it()
        if not outcome.paid:
            async with self._lock:
                await self._record(S.payment_failed)
            return False
        self._paid_ok = True
        return await self._plan_still_includes_it()

    async def _refund_if_paid_late(self, payment_id: str) -> None:
        outcome = await self.late_outcome(payment_id)
        if outcome.paid:
            self._paid_ok = True
            self._refund_status = await self.refund(payment_id, "appointment canceled")
            await self._record(self._status)

    async def _plan_still_includes_it(self) -> bool:
        """Checked again at confirmation: a plan that lapsed during the payment refunds."""
        checked = await check_plan(self._in.patient_id, CareService(self._in.type.value))
        if checked.allowed:
            return True
        async with self._lock:
            await self._cancel_now(CanceledBy.plan, refund=True)
        return False

    def _order(self) -> PaymentOrder:
        a = self._in
        assert a.price is not None and a.payment_timings is not None
        description = f"E-same appointment {a.reference}"
        # Refundable until the appointment cannot be canceled any more: its end, a
        # reschedule as far as an agenda goes, and the room's grace.
        refundable_for = (a.end - workflow.now()) + a.timings.refundable_margin
        return PaymentOrder(
            amount=a.price, description=description,
            lines=[InvoiceLine(description="Consultation médicale", unit_price=a.price,
                               total=a.price)],
            timings=a.payment_timings, purpose="appointment",
            summary=f"Payment for appointment {a.reference}",
            patient_id=a.patient_id, doctor_id=a.doctor_id, refundable_for=refundable_for)

    # --- confirmed: reminders, and whatever ends it ---------------------------------------

    async def _confirmed(self) -> None:
        async with self._lock:
            if self._status is not S.confirmed:
                await self._record(S.confirmed)
            await self._tell(AppointmentEvent.confirmed, "confirmed", tell_doctor=True)

    async def _until_it_is_over(self) -> None:
        while self._status not in _OVER:
            moves = self._moves

            def changed(moves: int = moves) -> bool:
                return self._status in _OVER or self._moves != moves

            due = self._next_timer()
            if due is None:
                await workflow.wait_condition(changed)
                continue
            at, what = due
            try:
                await workflow.wait_condition(
                    changed, timeout=max(at - workflow.now(), timedelta(seconds=1)),
                    timeout_summary=what)
                continue  # over, or moved: the timers are computed again
            except TimeoutError:
                pass
            async with self._lock:
                if self._status in _OVER or self._moves != moves:
                    continue
                if what == "room closes":
                    if not self._doctor_joined:
                        await self._cancel_now(CanceledBy.doctor_absent, refund=True)
                    else:
                        self._room_closed = True
                    continue
                self._reminded.add(what)
                reminder = next(r for r in self._in.timings.reminders
                                if self._reminder_key(r.before) == what)
                await self._tell(AppointmentEvent.reminder, what, email=reminder.email,
                                 sms=reminder.sms)

    def _reminder_key(self, before: timedelta) -> str:
        return f"reminder-{int(before.total_seconds())}s-{self._moves}"

    def _next_timer(self) -> tuple[datetime, str] | None:
        """The next reminder not sent (none whose time went by), or the room's closing."""
        now = workflow.now()
        timers = [(self._start - r.before, self._reminder_key(r.before))
                  for r in self._in.timings.reminders
                  if self._start - r.before > now
                  and self._reminder_key(r.before) not in self._reminded]
        if self._in.type is AppointmentType.teleconsultation and not self._room_closed:
            timers.append((self._closes_at, "room closes"))
        return min(timers) if timers else None

    @property
    def _closes_at(self) -> datetime:
        return room_window(self._start, self._end, self._in.timings)[1]

    _room_closed = False

    # --- what people ask of it ---------------------------------------------------------------

    @workflow.update(name="checkout")
    async def checkout(self) -> PaymentView:
        assert self._in.payment_timings is not None
        return await self.payment_checkout(self._in.payment_timings.checkout_wait)

    @workflow.update(name="cancel")
    async def cancel(self, command: CancelAppointment) -> AppointmentState:
        async with self._lock:
            if self._status in _CLOSED:
                return self.state()
            if self._status in _OVER:
                raise business_error(BusinessError.conflict,
                                     f"This appointment is {self._status.value}.")
            if command.by is CanceledBy.patient:
                refund = patient_refunded(self._refundable_until, workflow.now())
            else:
                refund = True
            await self._cancel_now(command.by, refund=refund)
        return self.state()

    @workflow.update(name="reschedule")
    async def reschedule(self, command: RescheduleAppointment) -> AppointmentState:
        async with self._lock:
            if self._status is not S.confirmed:
                raise business_error(BusinessError.conflict,
                                     f"Only a confirmed appointment can be moved; this one is "
                                     f"{self._status.value}.")
            if workflow.now() > self._refundable_until:
                raise business_error(
                    BusinessError.conflict,
                    "Too late to move this appointment: it can be moved up to "
                    f"{self._refundable_until.isoformat()}.")
            if command.start == self._start:
                return self.state()
            moved = await run_activity(MOVE_APPOINTMENT, MoveAppointment(
                appointment_id=self._in.appointment_id, start=command.start, end=command.end))
            if not moved.moved:
                raise business_error(BusinessError.conflict,
                                     "That slot is held or booked by someone else.")
            notice = self._start - self._refundable_until
            self._start, self._end = command.start, command.end
            self._refundable_until = command.start - notice
            self._moves += 1
            await self._tell(AppointmentEvent.rescheduled, f"moved-{self._moves}",
                             tell_doctor=True)
        return self.state()

    @workflow.update(name="complete")
    async def complete(self, command: CompleteAppointment) -> AppointmentState:
        async with self._lock:
            if self._status is S.completed and self._consultation_id == command.consultation_id:
                return self.state()
            if self._status is not S.confirmed:
                raise business_error(BusinessError.conflict,
                                     f"This appointment is {self._status.value}.")
            published = await publish_consultation(command.consultation_id,
                                                   self._in.appointment_id)
            self._consultation_id = published.consultation_id
            await self._record(S.completed)
            await self._tell(AppointmentEvent.completed, "completed")
        return self.state()

    @workflow.update(name="no_show")
    async def no_show(self, command: MarkNoShow) -> AppointmentState:
        async with self._lock:
            if self._status is S.no_show:
                return self.state()
            if self._status is not S.confirmed:
                raise business_error(BusinessError.conflict,
                                     f"This appointment is {self._status.value}.")
            if workflow.now() < self._start:
                raise business_error(BusinessError.conflict,
                                     "A no-show is marked after the start.")
            await self._record(S.no_show)
        return self.state()

    @workflow.signal(name=DOCTOR_JOINED.name)
    def doctor_joined(self, joined: DoctorJoined) -> None:
        if joined.doctor_id == self._in.doctor_id:
            self._doctor_joined = True

    @workflow.query(name="state")
    def state(self) -> AppointmentState:
        return AppointmentState(
            appointment_id=self._in.appointment_id, status=self._status, start=self._start,
            end=self._end, refund_status=self._refund_status, payment_id=self._payment_id,
            consultation_id=self._consultation_id, doctor_joined=self._doctor_joined)

    # --- steps ---------------------------------------------------------------------------

    async def _cancel_now(self, by: CanceledBy, *, refund: bool) -> None:
        """Canceled (the slot let go), refunded when `refund` and there is a payment, the
        patient told (by email and SMS when they did not cancel it themselves), the doctor told."""
        await self._record(S.canceled, canceled_by=by)
        if refund and self._paid_ok:
            await self._ask_refund(f"appointment canceled ({by.value})")
            await self._record(S.canceled, canceled_by=by)
        await self._tell(AppointmentEvent.canceled, "canceled", sms=by is not CanceledBy.patient,
                         tell_doctor=by is not CanceledBy.doctor, canceled_by=by,
                         refunded=refund and self._refund_status is not RefundStatus.failed)

    async def _ask_refund(self, reason: str) -> None:
        if self._payment_id is None:
            return
        if self._in.sponsored is None:
            self._refund_status = await self.refund(self._payment_id, reason)
            return
        # The sponsor's payment is their process's child: asked by id, its end goes there.
        asked = await run_activity(ASK_REFUND, AskRefund(payment_id=self._payment_id,
                                                         reason=reason))
        self._refund_status = RefundStatus.pending if asked.accepted else RefundStatus.failed

    async def _record(self, status: AppointmentStatus, *,
                      canceled_by: CanceledBy | None = None) -> AppointmentRecorded:
        recorded = await run_activity(
            RECORD_APPOINTMENT,
            RecordAppointment(appointment_id=self._in.appointment_id, status=status,
                              payment_id=self._payment_id, refund_status=self._refund_status,
                              canceled_by=canceled_by, consultation_id=self._consultation_id),
            retry_policy=WAIT_FOR_COMMIT)
        if recorded.recorded and status is not self._status:
            self._status = status
            set_status(_STATUS[status])
        return recorded

    async def _tell(self, event: AppointmentEvent, key: str, *, email: bool = True,
                    sms: bool = False, tell_doctor: bool = False,
                    canceled_by: CanceledBy | None = None, refunded: bool = False) -> None:
        prepared = await run_activity(APPOINTMENT_MESSAGES, AppointmentMessages(
            appointment_id=self._in.appointment_id, event=event, key=key, email=email,
            sms=sms, tell_doctor=tell_doctor, canceled_by=canceled_by, refunded=refunded))
        for message in prepared.messages:
            try:
                await run_activity(SEND_MESSAGE, message)
            except ActivityError:
                # An unknown template or a refused address: the appointment goes on.
                workflow.logger.warning("message %s not sent", message.idempotency_key)
