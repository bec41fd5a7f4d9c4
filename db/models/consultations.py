"""Consultations (a completed appointment, an answered opinion) and their prescription items.

A row is a draft until the process that owns its outcome publishes it (`published_at`);
drafts are seen by nobody but the code that writes and publishes them.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column, id_column


class Consultation(Base):
    __tablename__ = "consultations"
    __table_args__ = (
        Index("ix_consultations_patient_date", "patient_id", "occurred_at", "id"),
        Index("ix_consultations_doctor_date", "doctor_id", "occurred_at", "id"),
    )

    id: Mapped[str] = id_column()
    kind: Mapped[str] = mapped_column(String(20))  # domain.consultations.ConsultationKind
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    doctor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # The appointment or opinion request it concludes: one consultation per process. Not a
    # foreign key, since it points into one of two tables (`source` says which).
    source: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str] = mapped_column(String(32), unique=True)
    occurred_at: Mapped[datetime] = mapped_column()
    summary: Mapped[str] = mapped_column(Text)
    recommendations: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    published_at: Mapped[datetime | None] = mapped_column()


class PrescriptionItem(Base):
    __tablename__ = "prescription_items"
    __table_args__ = (
        Index("ix_prescription_items_consultation", "consultation_id", "position"),
        Index("ix_prescription_items_patient_status", "patient_id", "status"),
    )

    id: Mapped[str] = id_column()
    consultation_id: Mapped[str] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"))
    # The consultation's patient, kept on the item: the pharmacy process picks a patient's
    # open items without a join.
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    position: Mapped[int] = mapped_column(Integer)
    # The catalogue is reference data reloaded by migrations: no foreign key; the name is
    # copied from it when the item is written, so the prescription reads the same later.
    drug_id: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(400))
    dosage: Mapped[str] = mapped_column(String(200))
    frequency: Mapped[str | None] = mapped_column(String(200))
    duration_days: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    # domain.consultations.PrescriptionStatus, moved by the pharmacy process (move_item).
    status: Mapped[str] = mapped_column(String(16), default="open")
    status_changed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()
