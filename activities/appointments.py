"""The appointment process's side effects: its statuses (with its "my requests" entry), a
reschedule's move, and what its people are told."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from temporalio.exceptions import ApplicationError

from activities.defn import implements
from db.base import utcnow
from db.engine import SessionMaker, transaction
from db.models import Appointment, DoctorProfile, User
from db.models.appointments import NO_OVERLAP
from db.queries.requests import record_request
from domain.appointments import (
    APPOINTMENT_MESSAGES,
    LIVE_STATUSES,
    MOVE_APPOINTMENT,
    RECORD_APPOINTMENT,
    AppointmentEvent,
    AppointmentMessages,
    AppointmentMoved,
    AppointmentRecorded,
    AppointmentStatus,
    MessagesToSend,
    MoveAppointment,
    RecordAppointment,
)
from domain.care import CareService
from domain.errors import BusinessError
from domain.messages import Channel, SendMessage
from domain.requests import RequestEntry, appointment_request_kind
from domain.templates.appointments import CANCELED_BY, REFUND, TYPE_LABELS, WHERE

PATIENT_TEMPLATES = {
    AppointmentEvent.confirmed: "appointment_confirmed",
    AppointmentEvent.reminder: "appointment_reminder",
    AppointmentEvent.canceled: "appointment_canceled",
    AppointmentEvent.rescheduled: "appointment_rescheduled",
    AppointmentEvent.expired: "appointment_expired",
    AppointmentEvent.late_payment_refunded: "appointment_late_payment_refunded",
    AppointmentEvent.completed: "appointment_completed",
}
DOCTOR_TEMPLATES = {
    AppointmentEvent.confirmed: "doctor_appointment_booked",
    AppointmentEvent.canceled: "doctor_appointment_canceled",
    AppointmentEvent.rescheduled: "doctor_appointment_rescheduled",
}
# Statuses that end the appointment (the time it ended is kept).
_ENDED = {AppointmentStatus.completed, AppointmentStatus.expired,
          AppointmentStatus.payment_failed, AppointmentStatus.canceled,
          AppointmentStatus.no_show}


def _missing(appointment_id: str) -> ApplicationError:
    # The API commits the row before it starts the process: retried for a short while
    # (WAIT_FOR_COMMIT), then a bug.
    return ApplicationError(f"no appointment {appointment_id}", type=BusinessError.not_found.value)


class AppointmentActivities:
    def __init__(self, sessions: SessionMaker) -> None:
        self._sessions = sessions

    @implements(RECORD_APPOINTMENT)
    async def record_appointment(self, command: RecordAppointment) -> AppointmentRecorded:
        """Idempotent: the same status again rewrites the same values."""
        try:
            async with transaction(self._sessions) as session:
                row = await session.get(Appointment, command.appointment_id)
                if row is None:
                    raise _missing(command.appointment_id)
                now = utcnow()
                values: dict[str, Any] = {"status": command.status.value, "updated_at": now}
                if command.payment_id is not None:
                    values["payment_id"] = command.payment_id
                if command.refund_status is not None:
                    values["refund_status"] = command.refund_status.value
                if command.canceled_by is not None:
                    values["canceled_by"] = command.canceled_by.value
                if command.consultation_id is not None:
                    values["consultation_id"] = command.consultation_id
                if command.status in _ENDED and row.ended_at is None:
                    values["ended_at"] = now
                if command.status in LIVE_STATUSES:
                    values["hold_expires_at"] = (row.hold_expires_at
                                                 if command.status
                                                 is AppointmentStatus.pending_payment
                                                 else None)
                await session.execute(
                    update(Appointment).where(Appointment.id == row.id).values(values))
                await record_request(session, RequestEntry(
                    user_id=row.patient_id, reference=row.reference,
                    kind=appointment_request_kind(CareService(row.type)),
                    status=command.status.value, process_id=row.id,
                    doctor_id=row.doctor_id, at=now))
        except IntegrityError as err:
            if NO_OVERLAP not in str(err.orig):
                raise
            # Brought back to life over an appointment made meanwhile: the slot is gone.
            return AppointmentRecorded(appointment_id=command.appointment_id,
                                       status=command.status, recorded=False)
        return AppointmentRecorded(appointment_id=command.appointment_id,
                                   status=command.status)

    @implements(MOVE_APPOINTMENT)
    async def move_appointment(self, command: MoveAppointment) -> AppointmentMoved:
        """One UPDATE of the live row: the database takes the new interval (or refuses it)
        and lets the old one go in the same statement."""
        try:
            async with transaction(self._sessions) as session:
                row = await session.get(Appointment, command.appointment_id)
                if row is None:
                    raise _missing(command.appointment_id)
                if row.start_at == command.start and row.end_at == command.end:
                    return AppointmentMoved(appointment_id=row.id, moved=True)  # a replay
                notice = (row.start_at - row.refundable_until
                          if row.refundable_until is not None else None)
                await session.execute(
                    update(Appointment).where(Appointment.id == row.id).values(
                        start_at=command.start, end_at=command.end, updated_at=utcnow(),
                        refundable_until=(command.start - notice
                                          if notice is not None else None)))
        except IntegrityError as err:
            if NO_OVERLAP not in str(err.orig):
                raise
            return AppointmentMoved(appointment_id=command.appointment_id, moved=False)
        return AppointmentMoved(appointment_id=command.appointment_id, moved=True)

    @implements(APPOINTMENT_MESSAGES)
    async def appointment_messages(self, command: AppointmentMessages) -> MessagesToSend:
        """The messages of one event, each in its recipient's language and timezone (sent
        by the workflow, one `send_message` each, keyed by the appointment and the event)."""
        async with self._sessions() as session:
            row = await session.get(Appointment, command.appointment_id)
            if row is None:
                raise _missing(command.appointment_id)
            patient = await session.get(User, row.patient_id)
            doctor = await session.get(User, row.doctor_id)
            profile = await session.get(DoctorProfile, row.doctor_id)
        assert patient is not None and doctor is not None
        address = (profile.office_address if profile is not None else None) or ""
        messages: list[SendMessage] = []
        recipients: list[tuple[User, str]] = []
        if command.tell_patient and command.event in PATIENT_TEMPLATES:
            recipients.append((patient, "patient"))
        if command.tell_doctor and command.event in DOCTOR_TEMPLATES:
            recipients.append((doctor, "doctor"))
        for person, role in recipients:
            language = person.language if person.language in TYPE_LABELS else "en"
            zone = person.timezone or "Africa/Douala"
            data = {
                "reference": row.reference,
                "type_label": TYPE_LABELS[language][row.type],
                "doctor": f"Dr {doctor.first_name} {doctor.last_name}",
                "patient": f"{patient.first_name} {patient.last_name}",
                "when": _local(row.start_at, zone),
                "timezone": zone,
                "where": WHERE[language][row.type].format(address=address or "—"),
                "by": CANCELED_BY[language].get(
                    command.canceled_by.value if command.canceled_by else "", ""),
                "refund": REFUND[language][command.refunded],
                "appointment_id": row.id,
            }
            channels = []
            if command.email and person.email:
                channels.append((Channel.email, person.email))
            if command.sms and person.phone:
                channels.append((Channel.sms, person.phone))
            for channel, to in channels:
                messages.append(SendMessage(
                    idempotency_key=f"appointment-{row.id}-{command.key}-{role}-{channel}",
                    channel=channel, to=to, language=language, data=data,
                    template=(PATIENT_TEMPLATES[command.event] if role == "patient"
                              else DOCTOR_TEMPLATES[command.event]),
                    user_id=person.id))
        return MessagesToSend(messages=messages)

    def all(self) -> list[Callable[..., Any]]:
        return [self.record_appointment, self.move_appointment, self.appointment_messages]


def _local(at: datetime, zone: str) -> str:
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
