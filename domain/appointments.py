"""Appointments: their types, their statuses, and which of them hold a slot.

The appointment process (`AppointmentWorkflow`) owns an appointment's status; the database
decides who gets a slot (see `db/queries/slots.py`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.activity_ref import ActivityRef
from domain.messages import SendMessage
from domain.money import Money
from domain.paid import PaymentPayer
from domain.payments import (
    PaymentRequest,
    PaymentTimings,
    PaymentView,
    RefundStatus,
)
from domain.requests import SponsoredBy
from domain.signal_ref import SignalRef
from domain.text import MultiLineText, SingleLineText


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
    # A payment stays refundable this long after the appointment's end (a reschedule moves
    # it as far as an agenda goes: `slot_range_max_days`), then closes.
    refundable_margin: timedelta = timedelta(days=63)


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
    # Who pays and how (the kit's payer; None when sponsored).
    payer: PaymentPayer | None = None
    sponsored: SponsoredAppointment | None = None
    timings: AppointmentTimings = Field(default_factory=AppointmentTimings)
    # The payment's own timings (None when sponsored).
    payment_timings: PaymentTimings | None = None


class AppointmentEnded(BaseModel):
    """Signal to the sponsorship run: its appointment ended (completed, canceled, no_show,
    expired...), and what became of the refund of the sponsor's payment (None: none asked)."""

    appointment_id: str
    status: AppointmentStatus
    refund_status: RefundStatus | None = None


# To the sponsorship (`sponsorship-<sponsorship_id>`) of a sponsored appointment.
APPOINTMENT_ENDED = SignalRef("appointment_ended", AppointmentEnded)


# --- who does what, and the rules the process decides with ---------------------------------

class CanceledBy(StrEnum):
    patient = "patient"
    doctor = "doctor"
    # The doctor never joined a teleconsultation by `closes_at`.
    doctor_absent = "doctor_absent"
    # The plan no longer included the service when the payment came (refunded).
    plan = "plan"


def patient_refunded(refundable_until: datetime | None, at: datetime) -> bool:
    """A patient's cancellation is refunded in full up to `refundable_until` (the start less
    `cancellation_notice`, frozen when the appointment was booked), not after."""
    return refundable_until is not None and at <= refundable_until


def refundable_until(start: datetime, cancellation_notice: timedelta) -> datetime:
    return start - cancellation_notice


def room_window(start: datetime, end: datetime,
                timings: AppointmentTimings) -> tuple[datetime, datetime]:
    """When a teleconsultation's room opens and closes."""
    return start - timings.teleconsultation_opens_before, end + timings.teleconsultation_grace


# --- Updates and signals of the process --------------------------------------------------

class CancelAppointment(BaseModel):
    """Update `cancel`: by its patient or its doctor (`reason` required, kept in the
    database by the API, not here)."""

    by: CanceledBy
    user_id: str
    closed_period_id: str | None = None


class RescheduleAppointment(BaseModel):
    """Update `reschedule`: the patient moves to another slot of the same doctor and type."""

    user_id: str
    start: datetime
    end: datetime


class CompleteAppointment(BaseModel):
    """Update `complete`: the doctor held it; the API wrote the consultation draft."""

    doctor_id: str
    consultation_id: str


class MarkNoShow(BaseModel):
    """Update `no_show`: the patient did not come (after the start; not refunded)."""

    doctor_id: str


class DoctorJoined(BaseModel):
    """Signal: the doctor took their room token of a teleconsultation."""

    doctor_id: str
    at: datetime


class AppointmentState(BaseModel):
    """The answer of every Update, and the `state` query."""

    appointment_id: str
    status: AppointmentStatus
    start: datetime
    end: datetime
    refund_status: RefundStatus | None = None
    payment_id: str | None = None
    consultation_id: str | None = None
    doctor_joined: bool = False


DOCTOR_JOINED = SignalRef("doctor_joined", DoctorJoined)


# --- activities ------------------------------------------------------------------------------

class RecordAppointment(BaseModel):
    """Write the appointment's status (and its entry in "my requests"), in one transaction.
    A live status the database refuses (the slot was taken meanwhile: a late payment) is
    answered `recorded=False`, nothing changed."""

    appointment_id: str
    status: AppointmentStatus
    payment_id: str | None = None
    refund_status: RefundStatus | None = None
    canceled_by: CanceledBy | None = None
    consultation_id: str | None = None


class AppointmentRecorded(BaseModel):
    appointment_id: str
    status: AppointmentStatus
    recorded: bool = True


class MoveAppointment(BaseModel):
    """Move a live appointment to [start, end): one UPDATE, so the new slot is taken (or
    refused by the database) before the old one is let go."""

    appointment_id: str
    start: datetime
    end: datetime


class AppointmentMoved(BaseModel):
    appointment_id: str
    moved: bool


class AppointmentEvent(StrEnum):
    """What the people of an appointment are told of (domain/templates/appointments.py)."""

    confirmed = "confirmed"
    reminder = "reminder"
    canceled = "canceled"
    rescheduled = "rescheduled"
    expired = "expired"
    late_payment_refunded = "late_payment_refunded"
    completed = "completed"


class AppointmentMessages(BaseModel):
    """Activity input: the messages of one event, in each recipient's language and
    timezone. `key` makes each send once (a reminder's offset, a reschedule's count)."""

    appointment_id: str
    event: AppointmentEvent
    key: str
    email: bool = True
    sms: bool = False
    tell_patient: bool = True
    tell_doctor: bool = False
    canceled_by: CanceledBy | None = None
    refunded: bool = False


class MessagesToSend(BaseModel):
    messages: list[SendMessage]


RECORD_APPOINTMENT = ActivityRef("record_appointment", RecordAppointment, AppointmentRecorded)
MOVE_APPOINTMENT = ActivityRef("move_appointment", MoveAppointment, AppointmentMoved)
APPOINTMENT_MESSAGES = ActivityRef(
    "appointment_messages", AppointmentMessages, MessagesToSend)


# --- the API's models ----------------------------------------------------------------------

class AppointmentIn(PaymentRequest):
    """`POST /appointments`: a slot of one of the patient's doctors, and how they pay."""

    doctor_id: str = Field(min_length=1, max_length=32)
    start: datetime = Field(description="The slot's start, with its offset (as the slots "
                                        "list gives it).")
    type: AppointmentType
    reason: MultiLineText | None = Field(default=None, max_length=2000)


class CancelIn(BaseModel):
    reason: SingleLineText = Field(max_length=500)


class RescheduleIn(BaseModel):
    start: datetime = Field(description="Another free slot of the same doctor and type.")


class PersonName(BaseModel):
    id: str
    first_name: str
    last_name: str


class AppointmentView(BaseModel):
    """An appointment, as its patient and its doctor see it."""

    id: str
    reference: str
    status: AppointmentStatus
    type: AppointmentType
    doctor_id: str
    patient_id: str
    doctor: PersonName | None = None
    patient: PersonName | None = None
    start: datetime
    end: datetime
    hold_expires_at: datetime | None = None
    price: Money | None = None
    list_price: Money | None = None
    rate: str | None = Field(default=None, description="The exact rate of the quote "
                                                       "(payer units per list unit).")
    payment_id: str | None = None
    refund_status: RefundStatus | None = None
    refundable_until: datetime | None = Field(
        default=None, description="A patient's cancellation up to then is refunded in full.")
    canceled_by: CanceledBy | None = None
    consultation_id: str | None = None
    sponsored: bool = False
    sponsored_by: SponsoredBy | None = Field(
        default=None, description="Who paid for it, once paid, when a sponsor did.")
    created_at: datetime


class AppointmentCreated(AppointmentView):
    """The answer of `POST /appointments`: the hold, and the payment to make."""

    payment: PaymentView | None = None


class TeleconsultationStatus(StrEnum):
    waiting = "waiting"
    open = "open"
    closed = "closed"


class TeleconsultationView(BaseModel):
    status: TeleconsultationStatus
    starts_at: datetime
    opens_at: datetime
    closes_at: datetime
    server_time: datetime
    seconds_until_start: int
    room: str | None = None
    url: str | None = None
    token: str | None = Field(default=None, description="A LiveKit access token for this "
                              "room and this person, expiring at `closes_at`.")
