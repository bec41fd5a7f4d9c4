"""Slots computed from wall-clock rules: DST days of Paris, New York and Toronto, afternoon
rules on those days, wall-clock times that do not exist or exist twice, notice, closed
periods, what is taken, and ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.agendas import AvailabilityRule
from domain.appointments import AppointmentType
from domain.slots import (
    Interval,
    SlotRangeError,
    SlotStatus,
    compute_slots,
    find_slot,
    slot_range,
    wall_clock_instant,
)

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
NO_NOTICE = timedelta(0)

# The transition days of 2026 (all Sundays) and an ordinary Sunday a week before each.
SPRING = {"Europe/Paris": date(2026, 3, 29), "America/New_York": date(2026, 3, 8),
          "America/Toronto": date(2026, 3, 8)}
AUTUMN = {"Europe/Paris": date(2026, 10, 25), "America/New_York": date(2026, 11, 1),
          "America/Toronto": date(2026, 11, 1)}
# UTC offsets (hours) of the afternoon of each of those days.
AFTERNOON_OFFSET = {("Europe/Paris", "spring"): 2, ("Europe/Paris", "autumn"): 1,
                    ("America/New_York", "spring"): -4, ("America/New_York", "autumn"): -5,
                    ("America/Toronto", "spring"): -4, ("America/Toronto", "autumn"): -5}
ZONES = tuple(SPRING)


def rule(start: str, end: str, minutes: int = 30, weekday: int = 7,
         type_: AppointmentType = AppointmentType.office) -> AvailabilityRule:
    return AvailabilityRule(weekday=weekday, start=start, end=end, type=type_,
                            slot_minutes=minutes)


def day_slots(rules: list[AvailabilityRule], zone: str, day: date, **kwargs):  # type: ignore[no-untyped-def]
    window = slot_range(day, day, ZoneInfo(zone), max_days=62)
    return compute_slots(rules, zone, start=window.start, end=window.end, now=LONG_AGO,
                         min_notice=NO_NOTICE, **kwargs)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc,arg-type]


def local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M%z")


def assert_tiles(slots, minutes: int) -> None:  # type: ignore[no-untyped-def]
    """Every slot lasts exactly `minutes` of real time, and none overlaps the next."""
    for slot in slots:
        assert slot.end - slot.start == timedelta(minutes=minutes)
    for before, after in zip(slots, slots[1:], strict=False):
        assert before.end <= after.start


# --- afternoon rules on the transition days -------------------------------------------------

@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("season", ["spring", "autumn"])
def test_afternoon_rules_keep_their_wall_clock_on_the_transition_day(zone: str,
                                                                     season: str) -> None:
    day = (SPRING if season == "spring" else AUTUMN)[zone]
    rules = [rule("13:00", "15:00"), rule("18:30", "20:00", minutes=45)]
    slots = day_slots(rules, zone, day)

    offset = timedelta(hours=AFTERNOON_OFFSET[(zone, season)])
    first = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=13) - offset
    assert [slot.start for slot in slots[:4]] == [first + timedelta(minutes=30 * i)
                                                  for i in range(4)]
    assert [local(slot.start, zone)[:5] for slot in slots] == [
        "13:00", "13:30", "14:00", "14:30", "18:30", "19:15"]
    assert slots[-1].end.astimezone(ZoneInfo(zone)).strftime("%H:%M") == "20:00"
    # A week before, the same rule gave other UTC times: it is wall-clock time.
    week_before = day_slots(rules, zone, day - timedelta(days=7))
    assert [local(s.start, zone)[:5] for s in week_before] == [
        local(s.start, zone)[:5] for s in slots]
    assert week_before[0].start + timedelta(days=7) != slots[0].start


@pytest.mark.parametrize("zone", ZONES)
def test_a_whole_day_is_23_hours_in_spring_and_25_in_autumn(zone: str) -> None:
    tz = ZoneInfo(zone)
    all_day = [rule("00:00", "24:00", minutes=60)]
    for day, hours in ((SPRING[zone], 23), (AUTUMN[zone], 25)):
        slots = day_slots(all_day, zone, day)
        assert len(slots) == hours
        assert_tiles(slots, 60)
        assert slots[0].start.astimezone(tz).strftime("%Y-%m-%d %H:%M") == f"{day} 00:00"
        assert slots[-1].end.astimezone(tz).strftime("%Y-%m-%d %H:%M") == (
            f"{day + timedelta(days=1)} 00:00")


# --- wall-clock times that do not exist, or exist twice -------------------------------------

@pytest.mark.parametrize("zone", ["America/New_York", "America/Toronto"])
def test_a_start_in_the_skipped_hour_starts_when_the_clock_jumps(zone: str) -> None:
    """02:30 never shows on the clock on the spring day: the rule starts at 03:00 EDT, the
    first moment the clock reads 02:30 or later; its end, 04:00, is as usual."""
    slots = day_slots([rule("02:30", "04:00")], zone, SPRING[zone])
    assert [slot.start for slot in slots] == [utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 7, 30)]
    assert [local(slot.start, zone) for slot in slots] == ["03:00-0400", "03:30-0400"]


def test_a_rule_inside_the_skipped_hour_has_no_slot_that_day() -> None:
    zone = "Europe/Paris"
    inside = [rule("02:00", "03:00")]
    assert day_slots(inside, zone, SPRING[zone]) == []
    assert len(day_slots(inside, zone, SPRING[zone] - timedelta(days=7))) == 2


def test_a_rule_across_the_skipped_hour_lasts_what_the_clock_says() -> None:
    """01:00–04:00 on the Paris spring day is two real hours: four slots of 30 minutes, on the
    wall-clock grid on both sides of the jump."""
    zone = "Europe/Paris"
    slots = day_slots([rule("01:00", "04:00")], zone, SPRING[zone])
    assert_tiles(slots, 30)
    assert [local(slot.start, zone) for slot in slots] == [
        "01:00+0100", "01:30+0100", "03:00+0200", "03:30+0200"]


@pytest.mark.parametrize("zone", ["America/New_York", "America/Toronto"])
def test_a_start_in_the_repeated_hour_is_its_first_occurrence(zone: str) -> None:
    """01:00–02:00 on the autumn day: it starts at the first 01:00 (EDT) and ends at 02:00
    (EST), two real hours, so four slots, each of 30 minutes: none lasts 90 minutes."""
    slots = day_slots([rule("01:00", "02:00")], zone, AUTUMN[zone])
    assert [slot.start for slot in slots] == [utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 5, 30),
                                              utc(2026, 11, 1, 6, 0), utc(2026, 11, 1, 6, 30)]
    assert [local(slot.start, zone) for slot in slots] == [
        "01:00-0400", "01:30-0400", "01:00-0500", "01:30-0500"]
    assert_tiles(slots, 30)


def test_an_end_in_the_repeated_hour_is_its_first_occurrence() -> None:
    """A rule 00:00–01:30 ends when the clock first reads 01:30: its usual length."""
    zone = "America/New_York"
    slots = day_slots([rule("00:00", "01:30")], zone, AUTUMN[zone])
    assert [local(slot.start, zone) for slot in slots] == ["00:00-0400", "00:30-0400",
                                                           "01:00-0400"]
    paris = day_slots([rule("02:00", "03:00")], "Europe/Paris", AUTUMN["Europe/Paris"])
    assert [local(slot.start, "Europe/Paris") for slot in paris] == [
        "02:00+0200", "02:30+0200", "02:00+0100", "02:30+0100"]


def test_wall_clock_instant_reads_the_first_moment_the_clock_shows_the_time() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert wall_clock_instant(date(2026, 3, 29), 150, paris) == utc(2026, 3, 29, 1, 0)  # 02:30
    assert wall_clock_instant(date(2026, 10, 25), 150, paris) == utc(2026, 10, 25, 0, 30)
    assert wall_clock_instant(date(2026, 3, 28), 1440, paris) == utc(2026, 3, 28, 23, 0)
    douala = ZoneInfo("Africa/Douala")
    assert wall_clock_instant(date(2026, 12, 7), 8 * 60, douala) == utc(2026, 12, 7, 7, 0)


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from([*ZONES, "Africa/Douala", "Australia/Lord_Howe"]),
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    start=st.integers(min_value=0, max_value=23 * 60),
    length=st.integers(min_value=10, max_value=24 * 60),
    minutes=st.sampled_from([10, 15, 20, 25, 30, 45, 60, 90, 120]),
)
def test_slots_always_tile_the_rule_in_real_time(zone: str, day: date, start: int, length: int,
                                                 minutes: int) -> None:
    """Whatever the zone (Lord Howe moves its clock by 30 minutes) and the day: slots of the
    advertised length, in order, none overlapping, inside the rule's real interval, each on
    the rule's weekday."""
    end = min(start + max(length, minutes), 24 * 60)
    if end - start < minutes:
        return
    clock = lambda m: f"{m // 60:02d}:{m % 60:02d}" if m < 1440 else "24:00"  # noqa: E731
    the_rule = rule(clock(start), clock(end), minutes=minutes, weekday=day.isoweekday())
    tz = ZoneInfo(zone)
    slots = day_slots([the_rule], zone, day)
    assert_tiles(slots, minutes)
    first, last = wall_clock_instant(day, start, tz), wall_clock_instant(day, end, tz)
    assert all(first <= slot.start and slot.end <= last for slot in slots)
    assert len(slots) == (last - first) // timedelta(minutes=minutes)
    assert all(slot.start.astimezone(tz).date() == day for slot in slots)


# --- notice, closed periods, what is taken, type ---------------------------------------------

MONDAY = date(2026, 12, 7)
DOUALA = "Africa/Douala"  # UTC+1, no DST
MORNING = [rule("08:00", "12:00", weekday=1),
           rule("14:00", "16:00", minutes=20, weekday=1,
                type_=AppointmentType.teleconsultation)]


def monday(**kwargs):  # type: ignore[no-untyped-def]
    window = slot_range(MONDAY, MONDAY, ZoneInfo(DOUALA), max_days=62)
    return compute_slots(MORNING, DOUALA, start=window.start, end=window.end, **kwargs)


def test_nothing_in_the_past_nor_inside_the_notice() -> None:
    now = utc(2026, 12, 7, 8, 10)  # 09:10 in Douala
    slots = monday(now=now, min_notice=timedelta(hours=1))
    assert slots[0].start == utc(2026, 12, 7, 9, 30)  # 10:30: 10:00 is inside the hour
    assert all(slot.start >= now + timedelta(hours=1) for slot in slots)
    assert monday(now=utc(2026, 12, 8), min_notice=NO_NOTICE) == []


def test_closed_periods_remove_every_slot_they_touch() -> None:
    closed = [Interval(utc(2026, 12, 7, 8, 15), utc(2026, 12, 7, 9, 0)),  # 09:15–10:00
              Interval(utc(2026, 12, 7, 13, 0), utc(2026, 12, 7, 16, 0))]  # the afternoon
    slots = monday(now=LONG_AGO, min_notice=NO_NOTICE, closed=closed)
    starts = [local(slot.start, DOUALA)[:5] for slot in slots]
    assert starts == ["08:00", "08:30", "10:00", "10:30", "11:00", "11:30"]


def test_taken_intervals_of_any_length_take_the_slots_they_overlap() -> None:
    taken = [Interval(utc(2026, 12, 7, 7, 40), utc(2026, 12, 7, 8, 40)),  # 08:40–09:40
             Interval(utc(2026, 12, 7, 13, 20), utc(2026, 12, 7, 13, 40))]  # 14:20–14:40
    slots = monday(now=LONG_AGO, min_notice=NO_NOTICE, taken=taken)
    status = {local(slot.start, DOUALA)[:5]: slot.status for slot in slots}
    assert [t for t, s in status.items() if s == SlotStatus.taken] == [
        "08:30", "09:00", "09:30", "14:20"]
    assert status["08:00"] == status["10:00"] == status["14:00"] == SlotStatus.free


def test_type_filter_and_time_order() -> None:
    slots = monday(now=LONG_AGO, min_notice=NO_NOTICE, type=AppointmentType.teleconsultation)
    assert {slot.type for slot in slots} == {AppointmentType.teleconsultation}
    assert len(slots) == 6
    both = monday(now=LONG_AGO, min_notice=NO_NOTICE)
    assert [slot.start for slot in both] == sorted(slot.start for slot in both)
    assert len(both) == 8 + 6


def test_find_slot_knows_the_agenda() -> None:
    kwargs = {"start": utc(2026, 12, 7, 9, 0), "type": AppointmentType.office,
              "now": LONG_AGO, "min_notice": NO_NOTICE}
    found = find_slot(MORNING, DOUALA, **kwargs)  # type: ignore[arg-type]
    assert found is not None and found.end == utc(2026, 12, 7, 9, 30)
    assert find_slot(MORNING, DOUALA, **{**kwargs, "start": utc(2026, 12, 7, 9, 10)}) is None  # type: ignore[arg-type]
    assert find_slot(MORNING, DOUALA, **{**kwargs, "type": AppointmentType.emergency}) is None  # type: ignore[arg-type]
    assert find_slot(MORNING, DOUALA, **{**kwargs, "now": utc(2026, 12, 7, 8, 30),  # type: ignore[arg-type]
                                         "min_notice": timedelta(hours=1)}) is None
    assert find_slot(MORNING, DOUALA, **kwargs,  # type: ignore[arg-type]
                     closed=[Interval(utc(2026, 12, 7), utc(2026, 12, 8))]) is None


# --- ranges ------------------------------------------------------------------------------------

def test_dates_are_whole_days_in_the_doctor_timezone_with_to_included() -> None:
    paris = ZoneInfo("Europe/Paris")
    window = slot_range(date(2026, 12, 3), date(2026, 12, 3), paris, max_days=62)
    assert window == Interval(utc(2026, 12, 2, 23), utc(2026, 12, 3, 23))
    mixed = slot_range(utc(2026, 12, 3, 10), date(2026, 12, 4), paris, max_days=62)
    assert mixed == Interval(utc(2026, 12, 3, 10), utc(2026, 12, 4, 23))


def test_at_most_62_days_even_across_a_dst_change() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert slot_range(date(2026, 3, 1), date(2026, 5, 1), paris, max_days=62)  # 62 days
    with pytest.raises(SlotRangeError, match="62 days"):
        slot_range(date(2026, 3, 1), date(2026, 5, 2), paris, max_days=62)
    with pytest.raises(SlotRangeError, match="62 days"):
        slot_range(utc(2026, 3, 1), utc(2026, 5, 2, 0, 1), paris, max_days=62)


def test_from_after_to_is_refused() -> None:
    with pytest.raises(SlotRangeError, match="after") as err:
        slot_range(date(2026, 12, 4), date(2026, 12, 3), ZoneInfo(DOUALA), max_days=62)
    assert err.value.field == "from"
