"""Appointments: the read model of the appointment process, and who holds which slot.

No two live appointments (`pending_payment`, `confirmed`) of a doctor overlap: migration
0121_appointments adds the database's own rule for it (an exclusion constraint on
PostgreSQL, triggers on SQLite), named `appointments_no_overlap`. A table rebuilt by a later
batch migration on SQLite loses its triggers: create them again there
(`db/migrations/versions/0121_appointments.py` holds their text).
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column, id_column, utcnow

NO_OVERLAP = "appointments_no_overlap"


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ordered"),
        Index("ix_appointments_doctor_start", "doctor_id", "start_at"),
        Index("ix_appointments_patient_start", "patient_id", "start_at"),
    )

    id: Mapped[str] = id_column()
    # The human reference (RDV-2026-000123), given once when the appointment is created.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    doctor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # Who pays when it is not the patient (a sponsor: a later process); NULL: the patient.
    sponsor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    start_at: Mapped[datetime] = mapped_column()
    end_at: Mapped[datetime] = mapped_column()
    # Until when an unpaid hold keeps the slot; the process's timer lets it go then.
    hold_expires_at: Mapped[datetime | None] = mapped_column()
    # The patient's reason (health data: never in a workflow, a summary or a message).
    reason: Mapped[str | None] = mapped_column(Text)
    # The quote frozen at booking (domain.prices.PriceQuote); NULL when sponsored.
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    list_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    list_price_currency: Mapped[str | None] = mapped_column(String(3))
    price_rate: Mapped[str | None] = mapped_column(String(48))
    price_rate_source: Mapped[str | None] = mapped_column(String(100))
    quoted_at: Mapped[datetime | None] = mapped_column()
    # The payment that pays it (the patient's, or the sponsor's when sponsored).
    payment_id: Mapped[str | None] = mapped_column(String(32))
    refund_status: Mapped[str | None] = mapped_column(String(20))
    sponsorship_id: Mapped[str | None] = mapped_column(String(32))
    # The cancellation rule, frozen at booking: a patient canceling before this is refunded.
    refundable_until: Mapped[datetime | None] = mapped_column()
    canceled_by: Mapped[str | None] = mapped_column(String(20))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None] = mapped_column()
    # The video room's name: random, not derived from the appointment id.
    room: Mapped[str | None] = mapped_column(String(64))
    doctor_joined_at: Mapped[datetime | None] = mapped_column()
    consultation_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
