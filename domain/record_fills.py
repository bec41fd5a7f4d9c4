"""A doctor fills in the patient's record (API.md "A doctor fills in my record").

The patient pays one of their active doctors (the doctor's `record_fill` fee) for a while
of access to their record: once paid, the `RecordFillWorkflow` (`record-fill-<id>`) grants
that doctor reading and adding to it until the doctor says it is done (`completed`) or
`record_fill_within` has passed (`expired`, refunded). The grant is a row the process owns
(`record_fill_grants`); the routes of the doctor check it, nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from domain.activity_ref import ActivityRef
from domain.money import Money
from domain.paid import PaymentOrder, PaymentPayer
from domain.payments import PaymentRequest, PaymentView
from domain.text import MultiLineText, SingleLineText


def record_fill_workflow_id(fill_id: str) -> str:
    return f"record-fill-{fill_id}"


class RecordFillStatus(StrEnum):
    pending_payment = "pending_payment"
    in_progress = "in_progress"
    completed = "completed"
    expired = "expired"
    payment_failed = "payment_failed"


LIVE = (RecordFillStatus.pending_payment, RecordFillStatus.in_progress)
CLOSED = (RecordFillStatus.completed, RecordFillStatus.expired,
          RecordFillStatus.payment_failed)

Note = Annotated[MultiLineText, Field(max_length=2000)]


# --- the API's models ------------------------------------------------------------------------

class RecordFillIn(PaymentRequest):
    doctor_id: Annotated[SingleLineText, Field(min_length=1, max_length=32)]
    note: Note | None = Field(default=None,
                              description="What the patient asks the doctor to fill in.")


class RecordFillCompleteIn(BaseModel):
    note: Note | None = Field(default=None, description="The doctor's word to the patient.")


class RecordFillPerson(BaseModel):
    id: str
    esame_id: str
    first_name: str
    last_name: str


class RecordFillAdded(BaseModel):
    """How many entries the doctor added during the fill, by section."""

    antecedents: int = 0
    allergies: int = 0
    treatments: int = 0

    @property
    def total(self) -> int:
        return self.antecedents + self.allergies + self.treatments


class RecordFill(BaseModel):
    id: str
    reference: str
    status: RecordFillStatus
    patient: RecordFillPerson
    doctor: RecordFillPerson
    note: str | None = None
    completion_note: str | None = None
    price: Money
    list_price: Money
    rate: str
    payment_id: str | None = None
    refund_status: str | None = None
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None = None
    ends_at: datetime | None = Field(
        default=None, description="While in progress: when the doctor's access ends "
                                  "unless they complete it first.")
    closed_at: datetime | None = None
    added: RecordFillAdded = Field(default_factory=RecordFillAdded)


class RecordFillCreated(RecordFill):
    payment: PaymentView | None = None


# --- the process -----------------------------------------------------------------------------

class RecordFillTimings(BaseModel):
    within: timedelta
    # How long the API waits for the payment to exist at the provider (checkout).
    checkout_wait: timedelta


class CompleteRecordFill(BaseModel):
    """The doctor says the record is filled in (the note is written by the API)."""

    doctor_id: str


class RecordFillState(BaseModel):
    fill_id: str
    status: RecordFillStatus
    payment_id: str | None = None


class OpenRecordFill(BaseModel):
    """Paid: the fill is in progress and the grant is written, until `ends_at`."""

    fill_id: str
    payment_id: str
    ends_at: datetime


class CloseRecordFill(BaseModel):
    """The fill ends (completed, expired) or never starts (payment_failed): the grant goes
    with it."""

    fill_id: str
    status: RecordFillStatus
    payment_id: str | None = None


class RecordFillClosed(BaseModel):
    status: RecordFillStatus
    added: RecordFillAdded


class RecordFillEvent(StrEnum):
    # To the doctor: the patient paid, the record is open to them.
    opened = "opened"
    # To the patient: the doctor is done (with what was added).
    completed = "completed"
    # To both: the time ran out (the patient refunded).
    expired = "expired"


class NotifyRecordFill(BaseModel):
    fill_id: str
    event: RecordFillEvent


class Done(BaseModel):
    changed: bool = True


OPEN_RECORD_FILL = ActivityRef("open_record_fill", OpenRecordFill, Done)
CLOSE_RECORD_FILL = ActivityRef("close_record_fill", CloseRecordFill, RecordFillClosed)
NOTIFY_RECORD_FILL = ActivityRef("notify_record_fill", NotifyRecordFill, Done)


class RecordFillInput(BaseModel):
    """What the process is started with: ids, the payment (payer and order), the timings.
    No note, no record content."""

    fill_id: str
    reference: str
    patient_id: str
    doctor_id: str
    payer: PaymentPayer
    order: PaymentOrder
    timings: RecordFillTimings
