"""Appointments: their types, their statuses, and which of them hold a slot.

The appointment process (`AppointmentWorkflow`) owns an appointment's status; the database
decides who gets a slot (see `db/queries/slots.py`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.money import Money
from domain.payments import Operator, PaymentMethod, ProviderName, RefundStatus
from domain.signal_ref import SignalRef


class AppointmentType(StrEnum):
    """How the patient meets the doctor; availability rules have the same types."""

    teleconsultation = "teleconsultation"
    office = "office"
    emergency = "emergency"


class AppointmentStatus(StrEnum):
    pending_payment = "pending_payment"
    confirmed = "confirmed"
    completed = "completed"
    expired = "expired"
    payment_failed = "payment_failed"
    canceled = "canceled"
    no_show = "no_show"


# An appointment in one of these holds its slot: no other live appointment of the same
# doctor may overlap it (the database enforces it). A held slot stays taken until its
# process lets it go (expired, payment_failed, canceled), even past `hold_expires_at`: the
# workflow's timer, not the clock of whoever reads the table, ends a hold.
LIVE_STATUSES: frozenset[AppointmentStatus] = frozenset(
    {AppointmentStatus.pending_payment, AppointmentStatus.confirmed})


class SlotTaken(Exception):
    """The database refused a live appointment: another live one of the doctor overlaps."""

    def __init__(self, doctor_id: str, start: datetime, end: datetime) -> None:
        super().__init__(f"doctor {doctor_id} already has a live appointment overlapping "
                         f"{start.isoformat()}–{end.isoformat()}")
        self.doctor_id = doctor_id
        self.start = start
        self.end = end


# --- the appointment process (AppointmentWorkflow, `appointment-<id>`) -----------------------

class SponsoredAppointment(BaseModel):
    """A relative paid for this appointment (SponsorshipWorkflow `sponsorship-<id>`): the
    appointment row already holds the slot (the sponsorship created it), it is confirmed
    without a payment of its own and not gated by the patient's plan; any refund refunds the
    sponsor's payment `payment_id`, and the sponsorship is told of the appointment's end
    (`APPOINTMENT_ENDED`)."""

    sponsorship_id: str
    sponsor_id: str
    payment_id: str


class Reminder(BaseModel):
    """A reminder `before` the start, by these channels (`appointment_reminders`)."""

    before: timedelta
    email: bool = True
    sms: bool = False


class AppointmentTimings(BaseModel):
    """From settings, carried in the input because workflows read no configuration."""

    hold: timedelta = timedelta(minutes=15)
    hold_max: timedelta = timedelta(minutes=30)
    cancellation_notice: timedelta = timedelta(days=1)
    reminders: list[Reminder] = Field(default_factory=lambda: [
        Reminder(before=timedelta(days=1), email=True, sms=True),
        Reminder(before=timedelta(hours=1), email=False, sms=True)])
    teleconsultation_opens_before: timedelta = timedelta(minutes=10)
    teleconsultation_grace: timedelta = timedelta(minutes=30)


class AppointmentPayer(BaseModel):
    """Who pays and how (the payment request of `POST /appointments`)."""

    user_id: str
    method: PaymentMethod
    provider: ProviderName
    operator: Operator | None = None
    phone: str | None = None
    billing_address_id: str


class AppointmentInput(BaseModel):
    """What AppointmentWorkflow is started with: ids and what it decides on, never the
    reason the patient gave (a health detail, kept in the database)."""

    appointment_id: str
    reference: str
    patient_id: str
    doctor_id: str
    type: AppointmentType
    start: datetime
    end: datetime
    hold_expires_at: datetime
    # What the patient pays (their currency) and the doctor's own fee: the quote frozen at
    # booking; None for a sponsored appointment (the sponsor's process holds its price).
    price: Money | None = None
    list_price: Money | None = None
    # The patient's payment request (None when sponsored).
    payer: AppointmentPayer | None = None
    sponsored: SponsoredAppointment | None = None
    timings: AppointmentTimings = Field(default_factory=AppointmentTimings)


class AppointmentEnded(BaseModel):
    """Signal to the sponsorship run: its appointment ended (completed, canceled, no_show,
    expired...), and what became of the refund of the sponsor's payment (None: none asked)."""

    appointment_id: str
    status: AppointmentStatus
    refund_status: RefundStatus | None = None


# To the sponsorship (`sponsorship-<sponsorship_id>`) of a sponsored appointment.
APPOINTMENT_ENDED = SignalRef("appointment_ended", AppointmentEnded)
