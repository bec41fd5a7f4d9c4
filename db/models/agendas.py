"""A doctor's agenda: weekly availability rules and closed periods (plain data, edited by the
doctor through the API)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column, id_column


class AvailabilityRule(Base):
    """Every `weekday` (ISO, Monday = 1) from `start_minute` to `end_minute` after midnight on
    the doctor's wall clock (their profile timezone), slots of `slot_minutes` of one type."""

    __tablename__ = "availability_rules"

    id: Mapped[str] = id_column()
    doctor_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20))
    slot_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()


class ClosedPeriod(Base):
    """A period the doctor takes no appointment (leave, congress), in UTC."""

    __tablename__ = "closed_periods"
    __table_args__ = (Index("ix_closed_periods_doctor_start", "doctor_id", "start_at"),)

    id: Mapped[str] = id_column()
    doctor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    start_at: Mapped[datetime] = mapped_column()
    end_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = created_at_column()
