"""A doctor's agenda as the slot rules need it: availability rules and closed periods."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AvailabilityRule as RuleRow
from db.models import ClosedPeriod
from domain.agendas import AvailabilityRule, clock_text
from domain.appointments import AppointmentType
from domain.slots import Interval, Slot, find_slot


def rule_view(row: RuleRow) -> AvailabilityRule:
    return AvailabilityRule(weekday=row.weekday, start=clock_text(row.start_minute),
                            end=clock_text(row.end_minute), type=AppointmentType(row.type),
                            slot_minutes=row.slot_minutes)


async def availability_rules(session: AsyncSession, doctor_id: str) -> list[AvailabilityRule]:
    rows = await session.scalars(
        select(RuleRow).where(RuleRow.doctor_id == doctor_id)
        .order_by(RuleRow.weekday, RuleRow.start_minute))
    return [rule_view(row) for row in rows]


async def closed_intervals(
    session: AsyncSession, doctor_id: str, start: datetime, end: datetime
) -> list[Interval]:
    """The doctor's closed periods overlapping [start, end)."""
    rows = await session.execute(
        select(ClosedPeriod.start_at, ClosedPeriod.end_at)
        .where(ClosedPeriod.doctor_id == doctor_id, ClosedPeriod.start_at < end,
               ClosedPeriod.end_at > start))
    return [Interval(start_at, end_at) for start_at, end_at in rows]


async def offered_slot(
    session: AsyncSession, *, doctor_id: str, timezone: str, start: datetime,
    type: AppointmentType, now: datetime, min_notice: timedelta,  # noqa: A002
) -> Slot | None:
    """The slot of the doctor's agenda of this type starting at `start`, if the agenda
    offers it at `now` (a slot of the rules, not past, not inside the notice, not closed).
    Free or not is for the hold's insert to find out."""
    rules = await availability_rules(session, doctor_id)
    closed = await closed_intervals(session, doctor_id, start - timedelta(days=1),
                                    start + timedelta(days=1))
    return find_slot(rules, timezone, start=start, type=type, now=now, min_notice=min_notice,
                     closed=closed)
