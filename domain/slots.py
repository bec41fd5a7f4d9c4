"""Slots: the bookable times of a doctor's agenda, computed from weekly wall-clock rules.

A rule says "every Monday from 09:00 to 12:00, office visits of 30 minutes" on the doctor's
wall clock (their IANA timezone). On a given day the rule covers the real interval from the
first moment the doctor's clock reads its start to the first moment it reads its end, and
that interval is cut into slots of exactly `slot_minutes` of real time, from its start. So:

- On an ordinary day the slots fall on the wall-clock grid (09:00, 09:30, ...), and a rule
  at 13:00 or later starts at 13:00 local time whatever the offset was at midnight: each
  endpoint is resolved on its own day with the offset in force at that moment.
- A wall-clock time that does not exist (the hour skipped when clocks go forward) is read
  as the moment the clock jumps past it: a rule from 02:30 on the spring day of New York
  starts at 03:00 EDT, when the doctor's clock first shows 02:30 or later.
- A wall-clock time that exists twice (the hour repeated when clocks go back) is read at its
  first occurrence, again the first moment the clock shows it.
- A rule across a change lasts what the doctor's clock says in real time (one hour less in
  spring, one more in autumn): its slots tile that real interval, each of the advertised
  length, none overlapping another, instead of a "01:30-02:00" slot that would last 90
  minutes or not exist. Slots after the change stay on the wall-clock grid when the change
  is a multiple of `slot_minutes` (one hour, and slots of 10, 15, 20, 30 or 60 minutes).

Everything here is pure: the caller gives `now`, what is closed, and what is taken.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain.agendas import MINUTES_PER_DAY, AvailabilityRule
from domain.appointments import AppointmentType


class Interval(NamedTuple):
    """A half-open interval of time [start, end), both ends timezone-aware."""

    start: datetime
    end: datetime


class SlotStatus(StrEnum):
    free = "free"
    taken = "taken"


class Slot(BaseModel):
    start: datetime
    end: datetime
    type: AppointmentType
    status: SlotStatus = SlotStatus.free


class SlotsView(BaseModel):
    timezone: str = Field(description="The doctor's IANA timezone (availability is read in "
                                      "it; `start` and `end` are in UTC).")
    items: list[Slot]


class SlotRangeError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


_ONE_SECOND = timedelta(seconds=1)


def wall_clock_instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The first moment (in UTC) the clock of `tz` reads `minute` minutes after midnight of
    `day`, or later: its first occurrence when the clock shows it twice, the moment of the
    jump when the clock skips it. `minute` may be 1440, the next midnight."""
    if minute >= MINUTES_PER_DAY:
        day, minute = day + timedelta(days=minute // MINUTES_PER_DAY), minute % MINUTES_PER_DAY
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first  # it exists; fold=0 is its first occurrence when it exists twice
    # Skipped: fold=0 lands after the jump and fold=1 before it. Find the jump, to the second.
    before = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after, offset_before = first, before.astimezone(tz).utcoffset()
    while after - before > _ONE_SECOND:
        middle = before + (after - before) / 2
        if middle.astimezone(tz).utcoffset() == offset_before:
            before = middle
        else:
            after = middle
    return after.replace(microsecond=0) if after.microsecond else after


def day_start(day: date, tz: ZoneInfo) -> datetime:
    return wall_clock_instant(day, 0, tz)


def slot_range(from_: date | datetime, to: date | datetime, tz: ZoneInfo,
               *, max_days: int) -> Interval:
    """The real interval asked for: a date is that whole day in the doctor's timezone, and a
    date as `to` is included. At most `max_days` days (counted on the doctor's wall clock,
    so a range of whole days is never refused for a DST change in it)."""
    start = from_ if isinstance(from_, datetime) else day_start(from_, tz)
    end = to if isinstance(to, datetime) else day_start(to + timedelta(days=1), tz)
    both_dates = not isinstance(from_, datetime) and not isinstance(to, datetime)
    if start > end or (both_dates and from_ > to):
        raise SlotRangeError("from", "`from` is after `to`")
    wall_span = (end.astimezone(tz).replace(tzinfo=None)
                 - start.astimezone(tz).replace(tzinfo=None))
    if wall_span > timedelta(days=max_days):
        raise SlotRangeError("to", f"at most {max_days} days at a time")
    return Interval(start, end)


class _Intervals:
    """Disjoint, sorted intervals, answering "does [start, end) overlap any?" by bisection."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        merged: list[list[datetime]] = []
        for start, end in sorted(intervals):
            if end <= start:
                continue
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [start for start, _ in merged]
        self._ends = [end for _, end in merged]

    def overlaps(self, start: datetime, end: datetime) -> bool:
        i = bisect_right(self._starts, start) - 1
        if i >= 0 and self._ends[i] > start:
            return True
        return i + 1 < len(self._starts) and self._starts[i + 1] < end


def compute_slots(
    rules: Sequence[AvailabilityRule],
    timezone: str,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    min_notice: timedelta,
    closed: Iterable[Interval] = (),
    taken: Iterable[Interval] = (),
    type: AppointmentType | None = None,  # noqa: A002 (the API's name)
) -> list[Slot]:
    """The slots starting in [start, end), in time order: none in the past or sooner than
    `min_notice` from `now`, none overlapping a closed period; `taken` when a taken interval
    (held or booked, whoever by) overlaps it, `free` otherwise."""
    tz = ZoneInfo(timezone)
    earliest = max(start, now + min_notice)
    if earliest >= end:
        return []
    by_weekday: dict[int, list[AvailabilityRule]] = {}
    for rule in rules:
        if type is None or rule.type == type:
            by_weekday.setdefault(rule.weekday, []).append(rule)
    closed_periods, taken_intervals = _Intervals(closed), _Intervals(taken)

    slots: list[Slot] = []
    # From the day before: a day's first instants can show the previous date where a zone
    # moves its clock back across midnight.
    day = earliest.astimezone(tz).date() - timedelta(days=1)
    last_day = end.astimezone(tz).date()
    while day <= last_day:
        for rule in by_weekday.get(day.isoweekday(), ()):
            window_end = wall_clock_instant(day, rule.end_minute, tz)
            length = timedelta(minutes=rule.slot_minutes)
            slot_start = wall_clock_instant(day, rule.start_minute, tz)
            while slot_start + length <= window_end and slot_start < end:
                slot_end = slot_start + length
                if slot_start >= earliest and not closed_periods.overlaps(slot_start, slot_end):
                    slots.append(Slot(
                        start=slot_start, end=slot_end, type=rule.type,
                        status=(SlotStatus.taken if taken_intervals.overlaps(slot_start, slot_end)
                                else SlotStatus.free)))
                slot_start = slot_end
        day += timedelta(days=1)
    slots.sort(key=lambda slot: slot.start)
    return slots


def find_slot(
    rules: Sequence[AvailabilityRule],
    timezone: str,
    *,
    start: datetime,
    type: AppointmentType,  # noqa: A002
    now: datetime,
    min_notice: timedelta,
    closed: Iterable[Interval] = (),
) -> Slot | None:
    """The slot of this type starting exactly at `start`, if the agenda offers it now (not
    past, not inside the notice, not closed). Whether it is free is the database's call: a
    hold is an insert the no-overlap constraint accepts or refuses."""
    for slot in compute_slots(rules, timezone, start=start, end=start + _ONE_SECOND, now=now,
                              min_notice=min_notice, closed=closed, type=type):
        if slot.start == start:
            return slot
    return None
