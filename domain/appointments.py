"""Appointments: their types, their statuses, and which of them hold a slot.

The appointment process (`AppointmentWorkflow`) owns an appointment's status; the database
decides who gets a slot (see `db/queries/slots.py`).
"""

from datetime import datetime
from enum import StrEnum


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
