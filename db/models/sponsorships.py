"""Sponsorships: the read model of `SponsorshipWorkflow` (domain/sponsorships.py)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime, created_at_column, id_column, utcnow
from db.models.prices import QuotedPrice
from db.models.references import reference_column


class Sponsorship(QuotedPrice, Base):
    """One consultation paid by a sponsor for a beneficiary. The status belongs to the
    `sponsorship-<id>` process; the appointment (`appointment_id`) is the beneficiary's,
    held from the sponsorship's creation."""

    __tablename__ = "sponsorships"
    __table_args__ = (
        Index("ix_sponsorships_sponsor_created", "sponsor_id", "created_at", "id"),
    )

    id: Mapped[str] = id_column()
    # The human reference the sponsor sees (PAR-2026-000012); the beneficiary sees the
    # appointment's own (RDV-…).
    reference: Mapped[str] = reference_column()
    sponsor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    beneficiary_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    doctor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    # A few words for the beneficiary, kept here (never in the workflow's input).
    message: Mapped[str | None] = mapped_column(String(500))
    payment_id: Mapped[str | None] = mapped_column(String(32))
    refund_status: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
