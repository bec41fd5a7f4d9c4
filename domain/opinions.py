"""Medical opinion requests (seed §VIII "Faire une demande d'avis médical").

A patient writes to one of their doctors (a draft), attaches parts of their record, talks
with the doctor, pays and transmits; the doctor answers within `opinion_answer_within` or
the patient is refunded. The process is `OpinionRequestWorkflow` (`opinion-<id>`); it owns
the status. Bodies (the summary, messages, the answer) are rows written by the API: the
workflow carries ids and decides (DESIGN.md "Threads and records stay in the database").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field

from domain.activity_ref import ActivityRef
from domain.consultations import Consultation, PrescriptionItemIn
from domain.money import Money
from domain.paid import PaymentPayer
from domain.payments import PaymentTimings
from domain.prices import PriceQuote
from domain.signal_ref import SignalRef
from domain.text import MultiLineText, SingleLineText
from domain.vitals import VitalIn


class OpinionStatus(StrEnum):
    draft = "draft"
    pending_payment = "pending_payment"
    transmitted = "transmitted"
    in_review = "in_review"
    waiting_for_patient = "waiting_for_patient"
    answered = "answered"
    closed = "closed"
    declined = "declined"
    expired = "expired"
    canceled = "canceled"
    payment_failed = "payment_failed"


# The doctor has the request and the clock runs (or is paused: waiting_for_patient).
UNDER_REVIEW = (OpinionStatus.transmitted, OpinionStatus.in_review,
                OpinionStatus.waiting_for_patient)
# Nothing happens any more: no message, no action.
FINAL = (OpinionStatus.closed, OpinionStatus.declined, OpinionStatus.expired,
         OpinionStatus.canceled, OpinionStatus.payment_failed)
# What the doctor's queue shows (a draft is the patient's own, a canceled draft nobody's).
DOCTOR_VISIBLE = tuple(s for s in OpinionStatus
                       if s not in (OpinionStatus.draft, OpinionStatus.canceled))

REASON_MAX = 500
SUMMARY_FIELD_MAX = 10_000
MESSAGE_MAX = 5_000
MAX_VITALS = 20
MAX_ATTACHMENTS = 30


class AttachmentKind(StrEnum):
    antecedent = "antecedent"
    allergy = "allergy"
    treatment = "treatment"
    document = "document"


class MessagePurpose(StrEnum):
    """A thread message is a plain message, the doctor's question (`ask`) or the reason of
    a decline: all read in the one thread."""

    message = "message"
    question = "question"
    decline = "decline"


# --- what the patient writes --------------------------------------------------------------

Reason = Annotated[SingleLineText, Field(max_length=REASON_MAX)]
SummaryText = Annotated[MultiLineText, Field(max_length=SUMMARY_FIELD_MAX)]


class OpinionDraftIn(BaseModel):
    doctor_id: str = Field(min_length=1, max_length=32)
    reason: Reason
    symptoms: SummaryText | None = Field(
        default=None, description="Required before submission (a draft may lack it).")
    illness_history: SummaryText | None = Field(
        default=None, description="Required before submission (a draft may lack it).")
    vitals: list[VitalIn] | None = Field(default=None, max_length=MAX_VITALS,
                                         description="Validated as in POST /me/vitals.")


class OpinionDraftPatch(BaseModel):
    """Only the fields given change; `vitals` replaces the list."""

    reason: Reason | None = None
    symptoms: SummaryText | None = None
    illness_history: SummaryText | None = None
    vitals: list[VitalIn] | None = Field(default=None, max_length=MAX_VITALS)


class AttachmentIn(BaseModel):
    kind: AttachmentKind
    item_id: str = Field(min_length=1, max_length=32)


class MessageIn(BaseModel):
    text: Annotated[MultiLineText, Field(max_length=MESSAGE_MAX)]


class DeclineIn(BaseModel):
    reason: Annotated[MultiLineText, Field(max_length=2_000)]


class AskIn(BaseModel):
    question: Annotated[MultiLineText, Field(max_length=MESSAGE_MAX)]


class AnswerIn(BaseModel):
    """The doctor's written opinion: immutable once accepted (a consultation of kind
    `opinion`)."""

    opinion: Annotated[MultiLineText, Field(max_length=20_000)]
    recommendations: Annotated[MultiLineText, Field(max_length=20_000)] | None = None
    prescriptions: list[PrescriptionItemIn] = Field(default_factory=list, max_length=30)


# --- read models --------------------------------------------------------------------------

class Attachment(BaseModel):
    id: str
    kind: AttachmentKind
    item_id: str
    attached_at: datetime
    frozen_at: datetime | None = Field(
        default=None, description="When the item was copied as the doctor reads it "
                                  "(submission); null while a draft.")
    item: dict[str, Any] | None = Field(
        default=None, description="The item: as it is now while a draft, as it was at "
                                  "submission once submitted.")


class ThreadMessage(BaseModel):
    id: str
    author_id: str
    author_role: str
    purpose: MessagePurpose
    text: str
    created_at: datetime


class OpinionRequest(BaseModel):
    id: str
    reference: str
    status: OpinionStatus
    patient_id: str
    doctor_id: str
    reason: str
    symptoms: str | None = None
    illness_history: str | None = None
    vitals: list[dict[str, Any]] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
    price: Money | None = None
    list_price: Money | None = None
    rate: str | None = None
    payment_id: str | None = None
    refund_status: str | None = None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    paid_at: datetime | None = None
    due_at: datetime | None = Field(default=None, description="When the answer is due "
                                    "(moves while waiting_for_patient).")
    answered_at: datetime | None = None
    follow_up_until: datetime | None = None
    consultation: Consultation | None = Field(
        default=None, description="The answer (kind `opinion`) once answered.")


class OpinionSubmitted(BaseModel):
    """`POST .../submit`: the request waits for its payment."""

    id: str
    reference: str
    status: OpinionStatus
    price: Money
    list_price: Money
    payment: Any = Field(description="The payment: checkout_url or instructions.")


# --- the process --------------------------------------------------------------------------

class OpinionTimings(BaseModel):
    answer_within: timedelta
    patient_wait: timedelta
    follow_up: timedelta
    draft_expires: timedelta
    checkout_wait: timedelta = timedelta(seconds=20)


class OpinionInput(BaseModel):
    request_id: str
    reference: str
    patient_id: str
    doctor_id: str
    timings: OpinionTimings


class OpinionState(BaseModel):
    status: OpinionStatus
    due_at: datetime | None = None
    consultation_id: str | None = None
    payment_id: str | None = None


class SubmitOpinion(BaseModel):
    """The submit Update ("payer et transmettre"): who pays, the quote locked now, and the
    payment's timings (workflows read no configuration)."""

    patient_id: str
    payer: PaymentPayer
    quote: PriceQuote
    payment_timings: PaymentTimings
    doctor_name: str = Field(description="For the invoice line: the doctor's name only.")


class FreezeOpinion(BaseModel):
    request_id: str
    payment_id: str
    quote: PriceQuote
    at: datetime


class DiscardDraft(BaseModel):
    patient_id: str


class DoctorAction(BaseModel):
    doctor_id: str
    # The thread message carrying the question or the decline's reason (written by the API).
    message_id: str | None = None


class AnswerGiven(BaseModel):
    doctor_id: str
    consultation_id: str


class MessagePosted(BaseModel):
    message_id: str
    author_role: str


MESSAGE_POSTED = SignalRef("opinion_message_posted", MessagePosted)


# --- activities ---------------------------------------------------------------------------

class OpinionRef(BaseModel):
    request_id: str


class SubmissionChecked(BaseModel):
    """Why the request cannot be submitted (None: it can). `error` is a BusinessError."""

    problem: str | None = None
    error: str | None = None
    fields: list[str] = Field(default_factory=list)


class RecordOpinionStatus(BaseModel):
    request_id: str
    status: OpinionStatus
    at: datetime
    payment_id: str | None = None
    due_at: datetime | None = None
    consultation_id: str | None = None
    follow_up_until: datetime | None = None
    refund_status: str | None = None


class OpinionEvent(StrEnum):
    """What someone is told (domain/templates/opinions.py)."""

    transmitted = "transmitted"           # the doctor: a paid request (email and SMS)
    reminder_half = "reminder_half"       # the doctor, at half the deadline
    reminder_late = "reminder_late"       # the doctor, at nine tenths
    question = "question"                 # the patient: the doctor asks something
    answered = "answered"                 # the patient
    declined = "declined"                 # the patient: refunded
    expired = "expired"                   # the patient: refunded


class NotifyOpinion(BaseModel):
    request_id: str
    event: OpinionEvent
    due_at: datetime | None = None


class NotifyMessage(BaseModel):
    request_id: str
    message_id: str


class Done(BaseModel):
    changed: bool = True


CHECK_OPINION_SUBMISSION = ActivityRef(
    "check_opinion_submission", OpinionRef, SubmissionChecked)
FREEZE_OPINION = ActivityRef("freeze_opinion", FreezeOpinion, Done)
RECORD_OPINION_STATUS = ActivityRef("record_opinion_status", RecordOpinionStatus, Done)
NOTIFY_OPINION = ActivityRef("notify_opinion", NotifyOpinion, Done)
NOTIFY_OPINION_MESSAGE = ActivityRef("notify_opinion_message", NotifyMessage, Done)


def reminder_marks(answer_within: timedelta) -> list[tuple[timedelta, OpinionEvent]]:
    """When the doctor is reminded, in clock time since payment (paused time excluded)."""
    return [(answer_within / 2, OpinionEvent.reminder_half),
            (answer_within * 9 / 10, OpinionEvent.reminder_late)]
