"""Starting and asking the appointment process (`appointment-<id>`) from the API.

The routes take the hold in the database (the no-overlap constraint decides), commit it,
then start the process here with its checkout Update; every later change (cancel,
reschedule, complete, no-show) is an Update of the run, answered once the process recorded
it.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from api.paid_processes import start_paid_process
from api.problems import Problem
from api.workflow_errors import problem_from_temporal
from core.settings import Settings
from db.models import Appointment, User
from domain.appointments import (
    DOCTOR_JOINED,
    AppointmentInput,
    AppointmentState,
    AppointmentTimings,
    AppointmentType,
    CancelAppointment,
    CanceledBy,
    DoctorJoined,
    Reminder,
)
from domain.payments import PaymentView
from workflows.appointment import AppointmentWorkflow
from workflows.common import ESAME_DOCTOR_ID, ESAME_PATIENT_ID, ESAME_STATUS

TYPE_NAMES = {AppointmentType.teleconsultation: "Teleconsultation",
              AppointmentType.office: "Office appointment",
              AppointmentType.emergency: "Emergency appointment"}


def appointment_workflow_id(appointment_id: str) -> str:
    return f"appointment-{appointment_id}"


def appointment_timings(settings: Settings) -> AppointmentTimings:
    d = settings.durations
    return AppointmentTimings(
        hold=d.appointment_hold, hold_max=d.appointment_hold_max,
        cancellation_notice=d.cancellation_notice,
        reminders=[Reminder(before=d.appointment_reminder_email_sms_before, email=True,
                            sms=True),
                   Reminder(before=d.appointment_reminder_sms_before, email=False, sms=True)],
        teleconsultation_opens_before=d.teleconsultation_opens_before,
        teleconsultation_grace=d.teleconsultation_grace)


def prepare_held(row: Appointment, timings: AppointmentTimings) -> None:
    """What a held appointment carries from the start, booked or sponsored: the end of a
    cancellation refunded in full (moved along by a reschedule) and its video room."""
    row.refundable_until = row.start_at - timings.cancellation_notice
    row.room = secrets.token_urlsafe(24)


def appointment_summary(appointment: AppointmentInput, patient: User, doctor: User,
                        timezone: str) -> str:
    """What the Temporal UI shows: people by name and E-same id, never a health detail."""
    local = appointment.start.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    return (f"{TYPE_NAMES[appointment.type]} {appointment.reference} of "
            f"{patient.first_name} {patient.last_name} ({patient.esame_id}) with "
            f"Dr {doctor.last_name} ({doctor.esame_id}) on {local} {timezone}")


def _search(appointment: AppointmentInput) -> TypedSearchAttributes:
    return TypedSearchAttributes([
        SearchAttributePair(ESAME_PATIENT_ID, appointment.patient_id),
        SearchAttributePair(ESAME_DOCTOR_ID, appointment.doctor_id),
        SearchAttributePair(ESAME_STATUS, "appointment_pending_payment")])


async def start_appointment(temporal: Client, settings: Settings,
                            appointment: AppointmentInput, summary: str) -> PaymentView:
    """Start the process of a committed hold and answer its payment (the checkout)."""
    return await start_paid_process(
        temporal, AppointmentWorkflow.run, appointment,
        workflow_id=appointment_workflow_id(appointment.appointment_id), settings=settings,
        summary=summary, search_attributes=_search(appointment), result_type=PaymentView)



def _handle(temporal: Client, appointment_id: str) -> WorkflowHandle[Any, Any]:
    return temporal.get_workflow_handle(appointment_workflow_id(appointment_id))


async def ask_appointment(temporal: Client, appointment_id: str, update: str,
                          arg: BaseModel) -> AppointmentState:
    """Run one of the process's Updates (`cancel`, `reschedule`, `complete`, `no_show`) and
    answer its state once recorded, or the problem the process refused it with."""
    try:
        state: AppointmentState = await _handle(temporal, appointment_id).execute_update(
            update, arg, result_type=AppointmentState)
    except Exception as err:
        raise problem_from_temporal(err, closed_detail="This appointment is over.") from err
    return state


async def tell_doctor_joined(temporal: Client, appointment_id: str, doctor_id: str,
                             at: datetime) -> None:
    try:
        await _handle(temporal, appointment_id).signal(
            DOCTOR_JOINED.name, DoctorJoined(doctor_id=doctor_id, at=at))
    except Exception as err:
        raise problem_from_temporal(err, closed_detail="This appointment is over.") from err


class DoctorCancellation(BaseModel):
    """The doctor cancels one appointment because they closed the period it falls in."""

    appointment_id: str
    doctor_id: str
    closed_period_id: str
    # The period's reason as the doctor gave it (may be None); the patient is told the
    # appointment was canceled by the doctor, refunded in full.
    reason: str | None = None


async def cancel_for_closed_period(
    temporal: Client, settings: Settings, cancellation: DoctorCancellation
) -> None:
    """Cancel one live appointment (`pending_payment` or `confirmed`) by its doctor, and
    return once its process has recorded it `canceled`: a doctor's cancellation, so refunded
    in full and the patient told by email and SMS.

    Called again for the same appointment (a retried request), it changes nothing and
    answers normally; an appointment already closed (canceled, expired, payment_failed) too.
    """
    try:
        await ask_appointment(temporal, cancellation.appointment_id, "cancel", CancelAppointment(
            by=CanceledBy.doctor, user_id=cancellation.doctor_id,
            closed_period_id=cancellation.closed_period_id))
    except Problem as problem:
        if problem.status != 409:
            raise
