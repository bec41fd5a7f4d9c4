"""Side effects of a record fill: its status (with the request registry), the grant that
opens the patient's record to the doctor and closes it, and the messages to both."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from temporalio.exceptions import ApplicationError

from activities.account_messages import email_user, full_name, local_time
from activities.defn import implements
from activities.messaging import MessagingActivities
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import RecordFill, RecordFillGrant, User
from db.queries.record_fills import added_during
from db.queries.requests import record_request
from domain.money import CURRENCY_EXPONENTS, Money
from domain.record_fills import (
    CLOSE_RECORD_FILL,
    CLOSED,
    NOTIFY_RECORD_FILL,
    OPEN_RECORD_FILL,
    CloseRecordFill,
    Done,
    NotifyRecordFill,
    OpenRecordFill,
    RecordFillClosed,
    RecordFillEvent,
    RecordFillStatus,
)
from domain.requests import RequestEntry, RequestKind


def money_text(money: Money) -> str:
    exponent = CURRENCY_EXPONENTS.get(money.currency, 2)
    return f"{money.amount / 10**exponent:.{exponent}f} {money.currency}"


class RecordFillActivities:
    def __init__(self, settings: Settings, sessions: SessionMaker,
                 messaging: MessagingActivities) -> None:
        self._settings = settings
        self._sessions = sessions
        self._messaging = messaging

    @staticmethod
    def _not_committed() -> ApplicationError:
        # The API commits the fill's row before it starts the process: retried briefly.
        return ApplicationError("the record fill is not committed yet",
                                type="RecordFillNotCommitted")

    @staticmethod
    async def _registry(session: Any, row: RecordFill, at: datetime) -> None:
        await record_request(session, RequestEntry(
            user_id=row.patient_id, reference=row.reference, kind=RequestKind.record_fill,
            status=row.status, process_id=row.id, doctor_id=row.doctor_id, at=at))

    @implements(OPEN_RECORD_FILL)
    async def open_record_fill(self, command: OpenRecordFill) -> Done:
        """Paid: `in_progress`, and the grant that lets the doctor in, in one transaction.
        Replayed, it finds both and changes nothing."""
        async with self._sessions() as session, session.begin():
            row = await session.get(RecordFill, command.fill_id, with_for_update=True)
            if row is None:
                raise self._not_committed()
            if row.status != RecordFillStatus.pending_payment.value:
                return Done(changed=False)
            now = utcnow()
            row.status = RecordFillStatus.in_progress.value
            row.payment_id, row.paid_at, row.ends_at = command.payment_id, now, command.ends_at
            session.add(RecordFillGrant(fill_id=row.id, patient_id=row.patient_id,
                                        doctor_id=row.doctor_id, granted_at=now,
                                        ends_at=command.ends_at))
            await self._registry(session, row, now)
        return Done()

    @implements(CLOSE_RECORD_FILL)
    async def close_record_fill(self, command: CloseRecordFill) -> RecordFillClosed:
        """The fill ends: its status, and the grant deleted (the doctor's access ends here).
        Replayed, the fill is already closed and the answer is the same."""
        if command.status not in CLOSED:
            raise ApplicationError("a fill closes completed, expired or payment_failed",
                                   type="InvalidStatus", non_retryable=True)
        async with self._sessions() as session, session.begin():
            row = await session.get(RecordFill, command.fill_id, with_for_update=True)
            if row is None:
                raise self._not_committed()
            await session.execute(delete(RecordFillGrant).where(
                RecordFillGrant.fill_id == row.id))
            if row.status not in {s.value for s in CLOSED}:
                now = utcnow()
                row.status, row.closed_at = command.status.value, now
                if command.payment_id is not None:
                    row.payment_id = row.payment_id or command.payment_id
                await self._registry(session, row, now)
            added = await added_during(session, row.id)
            return RecordFillClosed(status=RecordFillStatus(row.status), added=added)

    @implements(NOTIFY_RECORD_FILL)
    async def notify_record_fill(self, command: NotifyRecordFill) -> Done:
        async with self._sessions() as session:
            row = await session.get(RecordFill, command.fill_id)
            patient = doctor = None
            if row is not None:
                patient = await session.get(User, row.patient_id)
                doctor = await session.get(User, row.doctor_id)
                added = await added_during(session, row.id)
        if row is None or patient is None or doctor is None:
            raise self._not_committed()
        people = {"patient_name": full_name(patient), "patient_esame_id": patient.esame_id,
                  "doctor_name": f"Dr {full_name(doctor)}", "reference": row.reference,
                  "sign_in_url": self._settings.web_links.sign_in()}
        key = f"record-fill-{command.event.value}:{row.id}"
        if command.event is RecordFillEvent.opened:
            await email_user(self._messaging, doctor, key=key, template="record_fill_opened",
                             data={**people, "ends_at": local_time(
                                 row.ends_at or utcnow(), doctor.timezone)})
        elif command.event is RecordFillEvent.completed:
            await email_user(self._messaging, patient, key=key,
                             template="record_fill_completed",
                             data={**people, **added.model_dump()})
        else:
            await email_user(self._messaging, patient, key=key, template="record_fill_expired",
                             data={**people, "price": money_text(row.quote.price)})
            await email_user(self._messaging, doctor, key=f"{key}:doctor",
                             template="record_fill_expired_doctor", data=people)
        return Done()

    def all(self) -> list[Callable[..., Any]]:
        return [self.open_record_fill, self.close_record_fill, self.notify_record_fill]
