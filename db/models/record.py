"""A patient's medical record: sections, documents and their shares and reports, vitals."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column, id_column


class Antecedent(Base):
    __tablename__ = "record_antecedents"

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    onset_date: Mapped[date | None] = mapped_column(Date)
    # Who wrote the entry: the patient (NULL in rows from before authorship was kept, or
    # the patient's id), or a doctor during a record fill (`record_fill_id`).
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    record_fill_id: Mapped[str | None] = mapped_column(ForeignKey("record_fills.id"),
                                                       index=True)
    created_at: Mapped[datetime] = created_at_column()


class Allergy(Base):
    __tablename__ = "record_allergies"

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    substance: Mapped[str] = mapped_column(String(200))
    reaction: Mapped[str | None] = mapped_column(String(500))
    severity: Mapped[str | None] = mapped_column(String(16))
    # Who wrote the entry: the patient (NULL in rows from before authorship was kept, or
    # the patient's id), or a doctor during a record fill (`record_fill_id`).
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    record_fill_id: Mapped[str | None] = mapped_column(ForeignKey("record_fills.id"),
                                                       index=True)
    created_at: Mapped[datetime] = created_at_column()


class Treatment(Base):
    __tablename__ = "record_treatments"

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    # The catalogue is reference data reloaded by migrations: no foreign key, the name is
    # kept so the record still reads if a product leaves the catalogue.
    drug_id: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(300))
    dosage: Mapped[str | None] = mapped_column(String(200))
    frequency: Mapped[str | None] = mapped_column(String(200))
    since: Mapped[date | None] = mapped_column(Date)
    # Who wrote the entry: the patient (NULL in rows from before authorship was kept, or
    # the patient's id), or a doctor during a record fill (`record_fill_id`).
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    record_fill_id: Mapped[str | None] = mapped_column(ForeignKey("record_fills.id"),
                                                       index=True)
    created_at: Mapped[datetime] = created_at_column()


class AttendingDoctor(Base):
    """A doctor who follows the patient: a registered one (doctor_id) or one typed in."""

    __tablename__ = "record_attending_doctors"

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    doctor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    specialty: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = created_at_column()


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_owner_uploaded", "owner_id", "uploaded_at", "id"),)

    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    uploaded_at: Mapped[datetime] = created_at_column()


class DocumentShare(Base):
    __tablename__ = "document_shares"
    __table_args__ = (UniqueConstraint("document_id", "doctor_id"),)

    id: Mapped[str] = id_column()
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    doctor_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    shared_at: Mapped[datetime] = created_at_column()


class DocumentReport(Base):
    __tablename__ = "document_reports"

    id: Mapped[str] = id_column()
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    author_role: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()


class VitalSign(Base):
    __tablename__ = "vital_signs"
    __table_args__ = (
        Index("ix_vital_signs_patient_type_at", "patient_id", "type", "measured_at"),
        Index("ix_vital_signs_patient_at", "patient_id", "measured_at"),
    )

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(String(20))
    measured_at: Mapped[datetime] = mapped_column()
    value: Mapped[float | None] = mapped_column(Float)
    systolic: Mapped[float | None] = mapped_column(Float)
    diastolic: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = created_at_column()


class VitalShare(Base):
    """What vital signs a patient shares with one of their doctors: one row per doctor, the
    types in `vital_share_types`. Removing the doctor ends it (the doctor-link process)."""

    __tablename__ = "vital_shares"
    __table_args__ = (UniqueConstraint("patient_id", "doctor_id"),)

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    doctor_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class VitalShareType(Base):
    __tablename__ = "vital_share_types"

    share_id: Mapped[str] = mapped_column(
        ForeignKey("vital_shares.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[str] = mapped_column(String(20), primary_key=True)
