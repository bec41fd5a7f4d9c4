"""Starting and signalling the appointment process (`appointment-<id>`) from the API.

The appointment process does not exist yet: this module holds the one call the agenda needs
of it, so that closing a period (`POST /doctor/availability/exceptions` with
`cancel_appointments: true`) already calls it once per appointment to cancel.
"""

from __future__ import annotations

from pydantic import BaseModel
from temporalio.client import Client

from api.problems import Problem
from core.settings import Settings


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

    Called again for the same appointment (a retried request), it must change nothing and
    answer normally; an appointment already closed (canceled, expired, payment_failed) too.
    """
    # The appointment process fills this in: an Update (or signal and wait) of the workflow
    # `appointment-<cancellation.appointment_id>`. Until then no code creates appointments,
    # so nothing reaches this line outside the tests (which replace this function).
    raise Problem(501, "Appointments cannot be canceled yet: the appointment process is not "
                       "there. The period is closed; its appointments stay as they are.")
