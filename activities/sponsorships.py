"""The side effects of a sponsorship: its read model, both people's "my requests" entries,
letting the hold go, and telling the sponsor and the beneficiary."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.exceptions import ApplicationError

from activities.account_messages import email_user, local_time
from activities.defn import implements
from activities.messaging import MessagingActivities
from db.base import utcnow
from db.engine import SessionMaker
from db.models import Appointment, User
from db.models.sponsorships import Sponsorship
from db.queries.requests import record_request
from domain.appointments import AppointmentStatus
from domain.care import CareService
from domain.errors import BusinessError
from domain.messages import Channel, SendMessage
from domain.requests import RequestEntry, RequestKind, appointment_request_kind
from domain.sponsorships import (
    RECORD_SPONSORSHIP,
    TELL_SPONSORSHIP,
    RecordSponsorship,
    SponsorshipEvent,
    SponsorshipRecorded,
    SponsorshipStatus,
    SponsorshipTold,
    TellSponsorship,
    display_name,
)

# A hold the sponsor did not pay for is let go with the sponsorship's own end.
_RELEASED = {SponsorshipStatus.expired: AppointmentStatus.expired,
             SponsorshipStatus.payment_failed: AppointmentStatus.payment_failed}

# What the sponsor is told at each step (the beneficiary is told of the confirmation; the
# appointment process tells them of everything after it).
_SPONSOR_TEMPLATES = {SponsorshipEvent.confirmed: "sponsorship_confirmed",
                      SponsorshipEvent.not_paid: "sponsorship_not_paid",
                      SponsorshipEvent.canceled: "sponsorship_canceled"}


# The refund as the sponsor reads it.
_REFUND_WORDS: dict[str | None, dict[str, str]] = {
    "succeeded": {"en": "paid back", "fr": "effectué"},
    "pending": {"en": "on its way", "fr": "en cours"},
    "failed": {"en": "refused by the payment provider: our team will contact you",
               "fr": "refusé par le prestataire de paiement : notre équipe vous contacte"},
    None: {"en": "none (canceled too late for a refund)",
           "fr": "aucun (annulation trop tardive pour un remboursement)"},
}


_TYPE_WORDS: dict[str | None, dict[str, str]] = {
    "teleconsultation": {"en": "teleconsultation", "fr": "téléconsultation"},
    "office": {"en": "at the office", "fr": "au cabinet"},
    "emergency": {"en": "emergency", "fr": "urgence"},
}


def _words(words: Mapping[str | None, Mapping[str, str]], value: str | None,
           language: str | None) -> str:
    """`value` in the reader's language (English when it has no such words)."""
    said = words.get(value) or words.get(None) or {"en": value or ""}
    return said.get(language or "fr") or said["en"]


@dataclass
class _Parties:
    row: Sponsorship
    appointment: Appointment
    sponsor: User
    beneficiary: User
    doctor: User


async def _parties(session: AsyncSession, sponsorship_id: str) -> _Parties:
    """The sponsorship, its appointment and its three people (written by the API before
    the process started: a missing one is a non-retryable NotFound)."""
    row = await session.get(Sponsorship, sponsorship_id)
    if row is None:
        raise ApplicationError(f"no sponsorship {sponsorship_id}",
                               type=BusinessError.not_found.value, non_retryable=True)
    appointment = await session.get(Appointment, row.appointment_id)
    sponsor = await session.get(User, row.sponsor_id)
    beneficiary = await session.get(User, row.beneficiary_id)
    doctor = await session.get(User, row.doctor_id)
    assert appointment and sponsor and beneficiary and doctor
    return _Parties(row, appointment, sponsor, beneficiary, doctor)


class SponsorshipActivities:
    def __init__(self, sessions: SessionMaker, messaging: MessagingActivities) -> None:
        self._sessions = sessions
        self._messaging = messaging

    @implements(RECORD_SPONSORSHIP)
    async def record_sponsorship(self, command: RecordSponsorship) -> SponsorshipRecorded:
        async with self._sessions() as session, session.begin():
            found = await _parties(session, command.sponsorship_id)
            row, appointment = found.row, found.appointment
            sponsor, beneficiary = found.sponsor, found.beneficiary
            now = utcnow()
            row.status = command.status.value
            row.payment_id = command.payment_id or row.payment_id
            if command.refund_status is not None:
                row.refund_status = command.refund_status.value
            row.updated_at = now
            released = _RELEASED.get(command.status)
            if released is not None:
                # Only a hold still waiting for this payment: the appointment process owns
                # the status from its confirmation on.
                await session.execute(
                    update(Appointment)
                    .where(Appointment.id == appointment.id,
                           Appointment.status == AppointmentStatus.pending_payment.value)
                    .values(status=released.value, updated_at=now))
            await record_request(session, RequestEntry(
                user_id=sponsor.id, reference=row.reference, kind=RequestKind.sponsorship,
                status=row.status, process_id=row.id, doctor_id=row.doctor_id,
                title_data={"beneficiary": display_name(beneficiary.first_name,
                                                        beneficiary.last_name)},
                at=now))
            if command.appointment_status is not None:
                # Paid: the appointment is the beneficiary's, in their list under its own
                # reference, with who offered it (never the sponsor's price or payment).
                await record_request(session, RequestEntry(
                    user_id=beneficiary.id, reference=appointment.reference,
                    kind=appointment_request_kind(CareService(appointment.type)),
                    status=command.appointment_status.value, process_id=appointment.id,
                    doctor_id=appointment.doctor_id,
                    sponsored_by=display_name(sponsor.first_name, sponsor.last_name),
                    at=now))
        return SponsorshipRecorded(sponsorship_id=command.sponsorship_id,
                                   status=command.status)

    @implements(TELL_SPONSORSHIP)
    async def tell_sponsorship(self, command: TellSponsorship) -> SponsorshipTold:
        """Each message once (keys from the sponsorship id and the event)."""
        async with self._sessions() as session:
            found = await _parties(session, command.sponsorship_id)
        row, appointment, doctor = found.row, found.appointment, found.doctor
        sponsor, beneficiary = found.sponsor, found.beneficiary
        key = f"sponsorship-{row.id}-{command.event.value}"
        common = {
            "reference": row.reference,
            "doctor_name": f"Dr {doctor.first_name} {doctor.last_name}",
            "beneficiary_name": display_name(beneficiary.first_name, beneficiary.last_name),
            "sponsor_name": display_name(sponsor.first_name, sponsor.last_name),
        }
        sent = 0
        await email_user(self._messaging, sponsor, key=f"{key}-sponsor",
                         template=_SPONSOR_TEMPLATES[command.event],
                         data={**common, "start": local_time(appointment.start_at,
                                                             sponsor.timezone),
                               "type": _words(_TYPE_WORDS, appointment.type, sponsor.language),
                               "refund_status": _words(_REFUND_WORDS, row.refund_status,
                                                       sponsor.language)})
        sent += 1
        if command.event is SponsorshipEvent.confirmed:
            data = {**common, "appointment_reference": appointment.reference,
                    "start": local_time(appointment.start_at, beneficiary.timezone),
                    "type": _words(_TYPE_WORDS, appointment.type, beneficiary.language),
                    "message": row.message or ""}
            await email_user(self._messaging, beneficiary, key=f"{key}-beneficiary",
                             template="sponsorship_offered", data=data)
            sent += 1
            if beneficiary.phone:
                await self._messaging.send_message(SendMessage(
                    idempotency_key=f"{key}-beneficiary-sms", channel=Channel.sms,
                    to=beneficiary.phone, template="sponsorship_offered_sms",
                    language=beneficiary.language or "fr",
                    data={"first_name": beneficiary.first_name, **data},
                    user_id=beneficiary.id))
                sent += 1
        return SponsorshipTold(sent=sent)

    def all(self) -> list[Callable[..., Any]]:
        return [self.record_sponsorship, self.tell_sponsorship]
