"""Side effects of an opinion request: checking it can be submitted, freezing it, recording
each status the process decides (with its "my requests" entry), and telling people."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from temporalio.exceptions import ApplicationError

from activities.account_messages import email_user, full_name, local_time
from activities.defn import implements
from activities.messaging import MessagingActivities
from core.settings import Settings
from db.engine import SessionMaker
from db.models import DoctorProfile, User
from db.models.opinions import OpinionMessageRow, OpinionRequestRow
from db.queries.opinions import (
    freeze_attachments,
    is_active_doctor,
    record_opinion_entry,
    share_attached_documents,
)
from domain.accounts import AccountStatus
from domain.errors import BusinessError
from domain.messages import Channel, SendMessage
from domain.money import CURRENCY_EXPONENTS, Money
from domain.opinions import (
    CHECK_OPINION_SUBMISSION,
    FREEZE_OPINION,
    NOTIFY_OPINION,
    NOTIFY_OPINION_MESSAGE,
    RECORD_OPINION_STATUS,
    UNDER_REVIEW,
    Done,
    FreezeOpinion,
    NotifyMessage,
    NotifyOpinion,
    OpinionEvent,
    OpinionRef,
    OpinionStatus,
    RecordOpinionStatus,
    SubmissionChecked,
)

# Who is told of each event, and with which template.
_PATIENT_TEMPLATES = {
    OpinionEvent.question: "opinion_question",
    OpinionEvent.answered: "opinion_answered",
    OpinionEvent.declined: "opinion_declined",
    OpinionEvent.expired: "opinion_expired",
}
_DOCTOR_TEMPLATES = {
    OpinionEvent.transmitted: "opinion_transmitted",
    OpinionEvent.reminder_half: "opinion_reminder",
    OpinionEvent.reminder_late: "opinion_reminder",
}


def money_text(money: Money | None) -> str:
    if money is None:
        return ""
    exponent = CURRENCY_EXPONENTS.get(money.currency, 2)
    return f"{money.amount / 10**exponent:.{exponent}f} {money.currency}"


class OpinionActivities:
    def __init__(self, settings: Settings, sessions: SessionMaker,
                 messaging: MessagingActivities) -> None:
        self._settings = settings
        self._sessions = sessions
        self._messaging = messaging

    async def _load(self, request_id: str) -> tuple[OpinionRequestRow, User, User]:
        async with self._sessions() as session:
            row = await session.get(OpinionRequestRow, request_id)
            patient = await session.get(User, row.patient_id) if row else None
            doctor = await session.get(User, row.doctor_id) if row else None
        if row is None or patient is None or doctor is None:
            # The API commits the row before it starts the process: retry briefly.
            raise ApplicationError("the opinion request is not committed yet",
                                   type="OpinionNotCommitted")
        return row, patient, doctor

    @implements(CHECK_OPINION_SUBMISSION)
    async def check_opinion_submission(self, command: OpinionRef) -> SubmissionChecked:
        """A complete summary, sent to an active doctor of the patient who asks a fee for
        an opinion."""
        async with self._sessions() as session:
            row = await session.get(OpinionRequestRow, command.request_id)
            if row is None:
                return SubmissionChecked(problem="No such opinion request.",
                                         error=BusinessError.not_found.value)
            missing = [name for name in ("reason", "symptoms", "illness_history")
                       if not (getattr(row, name) or "").strip()]
            if missing:
                return SubmissionChecked(
                    problem="Complete the request before submitting it: "
                            + ", ".join(missing) + ".",
                    error=BusinessError.invalid.value, fields=missing)
            doctor = await session.get(User, row.doctor_id)
            profile = await session.get(DoctorProfile, row.doctor_id)
            active = (doctor is not None and doctor.status == AccountStatus.active.value
                      and await is_active_doctor(session, row.patient_id, row.doctor_id))
            if not active:
                return SubmissionChecked(
                    problem="This doctor is no longer one of your active doctors.",
                    error=BusinessError.forbidden.value)
            if profile is None or profile.fee_opinion <= 0:
                return SubmissionChecked(problem="This doctor does not give paid opinions.",
                                         error=BusinessError.conflict.value)
        return SubmissionChecked()

    @implements(FREEZE_OPINION)
    async def freeze_opinion(self, command: FreezeOpinion) -> Done:
        """Submission: the quote, the payment's id and `pending_payment` on the row, each
        attached item copied as the doctor will read it. Replayed, it changes nothing."""
        async with self._sessions() as session, session.begin():
            row = await session.get(OpinionRequestRow, command.request_id, with_for_update=True)
            if row is None:
                raise ApplicationError("the opinion request is not committed yet",
                                       type="OpinionNotCommitted")
            if row.submitted_at is not None:
                return Done(changed=False)
            q = command.quote
            row.price_amount, row.price_currency = q.price.amount, q.price.currency
            row.list_price_amount = q.list_price.amount
            row.list_price_currency = q.list_price.currency
            row.price_rate, row.price_rate_source = str(q.rate), q.rate_source[:100]
            row.quoted_at = q.quoted_at
            row.payment_id = command.payment_id
            row.submitted_at = command.at
            row.status = OpinionStatus.pending_payment.value
            await freeze_attachments(session, row, command.at)
            await record_opinion_entry(session, row, row.status, command.at)
        return Done()

    @implements(RECORD_OPINION_STATUS)
    async def record_opinion_status(self, command: RecordOpinionStatus) -> Done:
        """The status the process decided, and what comes with it; replay-safe."""
        async with self._sessions() as session, session.begin():
            row = await session.get(OpinionRequestRow, command.request_id, with_for_update=True)
            if row is None:
                raise ApplicationError("the opinion request is not committed yet",
                                       type="OpinionNotCommitted")
            status = command.status
            row.status = status.value
            if command.payment_id is not None:
                row.payment_id = command.payment_id
            if status in UNDER_REVIEW:
                row.due_at = command.due_at
            if status is OpinionStatus.transmitted:
                row.paid_at = row.paid_at or command.at
                await share_attached_documents(session, row)
            if status is OpinionStatus.answered:
                row.answered_at = row.answered_at or command.at
                row.consultation_id = command.consultation_id
                row.follow_up_until = command.follow_up_until
            if status in (OpinionStatus.declined, OpinionStatus.expired):
                row.due_at = None
            if command.refund_status is not None:
                row.refund_status = command.refund_status
            await record_opinion_entry(session, row, status.value, command.at)
        return Done()

    @implements(NOTIFY_OPINION)
    async def notify_opinion(self, command: NotifyOpinion) -> Done:
        row, patient, doctor = await self._load(command.request_id)
        data: dict[str, Any] = {
            "reference": row.reference, "patient_name": full_name(patient),
            "patient_esame_id": patient.esame_id, "doctor_name": full_name(doctor),
            "sign_in_url": self._settings.web_links.sign_in(),
            "price": money_text(row.price),
        }
        key = f"opinion-{command.event.value}:{row.id}"
        if command.event in _DOCTOR_TEMPLATES:
            data["due_at"] = _when(command.due_at or row.due_at, doctor.timezone)
            await email_user(self._messaging, doctor, key=key,
                             template=_DOCTOR_TEMPLATES[command.event], data=data)
            if command.event is OpinionEvent.transmitted and doctor.phone:
                await self._messaging.send_message(SendMessage(
                    idempotency_key=f"{key}:sms", channel=Channel.sms, to=doctor.phone,
                    template="opinion_transmitted_sms", language=doctor.language,
                    data={"first_name": doctor.first_name, **data}, user_id=doctor.id))
            return Done()
        data["follow_up_until"] = _when(row.follow_up_until, patient.timezone)
        await email_user(self._messaging, patient, key=key,
                         template=_PATIENT_TEMPLATES[command.event], data=data)
        return Done()

    @implements(NOTIFY_OPINION_MESSAGE)
    async def notify_opinion_message(self, command: NotifyMessage) -> Done:
        """The other side of the thread is emailed the message, with the request's reason
        (a draft's messages reach the doctor with nothing more)."""
        row, patient, doctor = await self._load(command.request_id)
        async with self._sessions() as session:
            message = await session.scalar(select(OpinionMessageRow).where(
                OpinionMessageRow.id == command.message_id,
                OpinionMessageRow.request_id == row.id))
        if message is None:
            raise ApplicationError("the message is not committed yet",
                                   type="OpinionNotCommitted")
        author, reader = (patient, doctor) if message.author_id == patient.id else (
            doctor, patient)
        await email_user(self._messaging, reader, key=f"opinion-message:{message.id}",
                         template="opinion_message", data={
                             "reference": row.reference, "author_name": full_name(author),
                             "reason": row.reason, "text": message.text,
                             "sign_in_url": self._settings.web_links.sign_in()})
        return Done()

    def all(self) -> list[Callable[..., Any]]:
        return [self.check_opinion_submission, self.freeze_opinion,
                self.record_opinion_status, self.notify_opinion, self.notify_opinion_message]


def _when(moment: datetime | None, timezone: str | None) -> str:
    return local_time(moment, timezone) if moment is not None else ""
