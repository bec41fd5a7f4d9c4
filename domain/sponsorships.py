"""Sponsorship (seed §VII "Le parrainage"): a relative pays for a patient's consultation.

The sponsor types the beneficiary's E-same id, picks one of the beneficiary's doctors and a
slot, and pays in their own currency. `SponsorshipWorkflow` (`sponsorship-<id>`) holds the
slot during the sponsor's payment; once paid the appointment is the beneficiary's, run by
the same `AppointmentWorkflow` as a booked one (`sponsored` set in its input).

Privacy is the point: the sponsor sees a display name ("Aïcha B."), the status, the date,
the doctor they chose and the refund; never the consultation's summary, prescriptions or
documents, nor the beneficiary's other doctors.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field

from domain.activity_ref import ActivityRef
from domain.appointments import AppointmentInput, AppointmentStatus, AppointmentType
from domain.money import Money
from domain.paid import PaymentPayer
from domain.payments import PaymentRequest, PaymentTimings, PaymentView, RefundStatus
from domain.text import MultiLineText, SingleLineText

# The sponsor's receipt and invoice never name the specialty (nor the reason).
INVOICE_LINE = "Consultation médicale"


def sponsorship_workflow_id(sponsorship_id: str) -> str:
    return f"sponsorship-{sponsorship_id}"


def display_name(first_name: str | None, last_name: str | None) -> str:
    """What a sponsor sees of the beneficiary: the first name and the initial of the last
    ("Aïcha B.")."""
    first = (first_name or "").strip()
    last = (last_name or "").strip()
    if not last:
        return first
    return f"{first} {last[0].upper()}." if first else f"{last[0].upper()}."


class SponsorshipStatus(StrEnum):
    pending_payment = "pending_payment"
    confirmed = "confirmed"
    completed = "completed"
    expired = "expired"
    payment_failed = "payment_failed"
    canceled = "canceled"


FINAL_SPONSORSHIP_STATUSES = frozenset({
    SponsorshipStatus.completed, SponsorshipStatus.expired,
    SponsorshipStatus.payment_failed, SponsorshipStatus.canceled})


def status_after_appointment(appointment: AppointmentStatus) -> SponsorshipStatus:
    """The sponsorship's status once its appointment has ended. A no-show is the
    consultation the sponsor paid for, not held by the beneficiary: `completed` (not
    refunded), as for a booked one; an appointment that never got confirmed (expired,
    failed) is canceled."""
    if appointment in (AppointmentStatus.completed, AppointmentStatus.no_show):
        return SponsorshipStatus.completed
    if appointment is AppointmentStatus.confirmed:
        return SponsorshipStatus.confirmed
    return SponsorshipStatus.canceled


# --- HTTP ------------------------------------------------------------------------------------

class SponsorshipIn(PaymentRequest):
    beneficiary_esame_id: Annotated[SingleLineText, Field(
        min_length=1, max_length=20, description="The E-same id the beneficiary gave "
        "(ES-7K3F9Q)."
    )]
    doctor_id: str = Field(min_length=1, max_length=32)
    type: AppointmentType
    start: AwareDatetime
    message: Annotated[MultiLineText, Field(
        max_length=500, description="A few words for the beneficiary (shown to them only).")
    ] | None = None


class Beneficiary(BaseModel):
    esame_id: str
    display_name: str


class SponsoredSlot(BaseModel):
    """The appointment as the sponsor sees it: when, how and with whom, nothing else."""

    id: str
    start: datetime
    end: datetime
    type: AppointmentType
    doctor_id: str


class SponsorshipDoctor(BaseModel):
    id: str
    first_name: str
    last_name: str


class SponsorshipCreated(BaseModel):
    id: str
    reference: str
    status: SponsorshipStatus
    beneficiary: Beneficiary
    appointment: SponsoredSlot
    price: Money
    list_price: Money
    payment: PaymentView


class SponsorshipView(BaseModel):
    """What the sponsor sees (`GET /me/sponsorships`): status, date, doctor, refund; never
    the consultation's content."""

    id: str
    reference: str
    status: SponsorshipStatus
    beneficiary: Beneficiary
    appointment: SponsoredSlot
    doctor: SponsorshipDoctor | None = None
    price: Money
    list_price: Money
    payment_id: str | None = None
    refund_status: RefundStatus | None = None
    created_at: datetime
    updated_at: datetime


# --- SponsorshipWorkflow --------------------------------------------------------------------

class SponsorshipTimings(BaseModel):
    """From settings, carried in the input because workflows read no configuration."""

    payment: PaymentTimings
    # After the appointment's (first) end, the sponsor's payment can still be refunded this
    # long: a reschedule moves the appointment, a doctor may cancel it late.
    refundable_after_end: timedelta = timedelta(days=63)


class SponsorshipInput(BaseModel):
    """Ids and what the process decides on; never the sponsor's message (kept in the
    database) nor anything medical."""

    sponsorship_id: str
    reference: str
    sponsor_id: str
    beneficiary_id: str
    doctor_id: str
    # The beneficiary's appointment as AppointmentWorkflow will run it once paid (its
    # `sponsored` is filled in then, with the sponsor's payment).
    appointment: AppointmentInput
    appointment_summary: str
    hold_expires_at: datetime
    price: Money
    list_price: Money
    payer: PaymentPayer
    timings: SponsorshipTimings


class SponsorshipState(BaseModel):
    """The `state` query's answer and the run's result."""

    sponsorship_id: str
    status: SponsorshipStatus
    payment_id: str | None = None
    refund_status: RefundStatus | None = None
    appointment_status: AppointmentStatus | None = None


# --- activities ------------------------------------------------------------------------------

class RecordSponsorship(BaseModel):
    """Write the sponsorship's status (and payment, refund), the sponsor's `PAR-…` entry of
    "my requests" and, once confirmed, the beneficiary's `RDV-…` entry with `sponsored_by`;
    a status that frees the slot (expired, payment_failed) lets the held appointment go
    too. Idempotent."""

    sponsorship_id: str
    status: SponsorshipStatus
    payment_id: str | None = None
    refund_status: RefundStatus | None = None
    # The appointment's own status, when the sponsorship learns it (confirmed, ended).
    appointment_status: AppointmentStatus | None = None


class SponsorshipRecorded(BaseModel):
    sponsorship_id: str
    status: SponsorshipStatus


class SponsorshipEvent(StrEnum):
    confirmed = "confirmed"  # paid: both told (the beneficiary by email and SMS)
    not_paid = "not_paid"  # expired or failed: the sponsor told, the slot free again
    canceled = "canceled"  # the appointment canceled: the sponsor told of the refund


class TellSponsorship(BaseModel):
    """Tell the sponsor (email) and, once paid, the beneficiary (email and SMS), each in
    their language and timezone."""

    sponsorship_id: str
    event: SponsorshipEvent


class SponsorshipTold(BaseModel):
    sent: int


RECORD_SPONSORSHIP = ActivityRef("record_sponsorship", RecordSponsorship, SponsorshipRecorded)
TELL_SPONSORSHIP = ActivityRef("tell_sponsorship", TellSponsorship, SponsorshipTold)
