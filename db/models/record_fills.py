"""Record fills: the read model of `RecordFillWorkflow`, and the grant it owns.

`record_fills` is the process's row (its status written by the process's activities only);
`record_fill_grants` holds one row while the fill is in progress: the doctor's access to
the patient's record is exactly the existence of that row (`db/queries/record_fills.py`).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime, created_at_column, id_column, utcnow
from db.models.prices import QuotedPrice
from db.models.references import reference_column
from db.one_at_a_time import one_live_per
from domain.record_fills import LIVE

LIVE_RECORD_FILL_PER_PAIR = "uq_record_fills_live_per_pair"


class RecordFill(QuotedPrice, Base):
    __tablename__ = "record_fills"
    __table_args__ = (
        Index("ix_record_fills_doctor_created", "doctor_id", "created_at", "id"),
        Index("ix_record_fills_patient_created", "patient_id", "created_at", "id"),
        # One fill under way per patient and doctor (a second asked meanwhile: 409).
        one_live_per(LIVE_RECORD_FILL_PER_PAIR, "patient_id", "doctor_id",
                     live=[status.value for status in LIVE]),
    )

    id: Mapped[str] = id_column()
    reference: Mapped[str] = reference_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    doctor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))
    # The patient's word to the doctor, and the doctor's at completion (plain data the
    # API writes; the process carries neither).
    note: Mapped[str | None] = mapped_column(Text)
    completion_note: Mapped[str | None] = mapped_column(Text)
    payment_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecordFillGrant(Base):
    """That doctor may read and add to that patient's record while this row exists."""

    __tablename__ = "record_fill_grants"
    __table_args__ = (Index("ix_record_fill_grants_patient_doctor", "patient_id", "doctor_id"),)

    fill_id: Mapped[str] = mapped_column(ForeignKey("record_fills.id"), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    doctor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = created_at_column()
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
