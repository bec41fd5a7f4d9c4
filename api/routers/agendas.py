"""A doctor's agenda: weekly availability, closed periods, and the slots patients book.

Availability and closed periods are plain data the doctor edits; appointments belong to the
appointment process, so closing a period over appointments asks that process to cancel them
(`api/appointment_processes.py`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import delete, select

from api.appointment_processes import DoctorCancellation, cancel_for_closed_period
from api.cursors import keyset, page
from api.deps import ActiveDoctor, ActiveUser, SessionDep, SettingsDep, get_temporal
from api.problems import Problem
from api.routers.doctor_profiles import doctor_timezone
from db.base import utcnow
from db.models import AvailabilityRule as RuleRow
from db.models import ClosedPeriod as ClosedRow
from db.queries.agendas import availability_rules, closed_intervals
from db.queries.professionals import listed_doctor
from db.queries.slots import live_appointments, taken_intervals
from domain.agendas import (
    MAX_SLOT_MINUTES,
    AppointmentInPeriod,
    Availability,
    AvailabilityView,
    ClosedPeriod,
    ClosedPeriodIn,
    overlapping_rules,
)
from domain.appointments import AppointmentStatus, AppointmentType
from domain.pagination import Page
from domain.slots import SlotRangeError, SlotsView, compute_slots, slot_range

TAG = "doctor profiles and agendas"
availability_router = APIRouter(prefix="/api/v1/doctor/availability", tags=[TAG])
slots_router = APIRouter(prefix="/api/v1/doctors", tags=[TAG])

APPOINTMENTS_IN_PERIOD = "https://esame.cm/problems/appointments-in-period"


# --- weekly availability ------------------------------------------------------------------

@availability_router.get("", response_model=AvailabilityView)
async def my_availability(doctor: ActiveDoctor, session: SessionDep) -> AvailabilityView:
    """The doctor's weekly availability rules."""
    return AvailabilityView(timezone=doctor_timezone(doctor),
                            rules=await availability_rules(session, doctor.id))


@availability_router.put("", response_model=AvailabilityView,
                         responses={422: {"description": "rules that overlap, end before they "
                                                         "start, or a slot_minutes out of "
                                                         "10–120 (each error names its rule)"}})
async def set_my_availability(
    body: Availability, doctor: ActiveDoctor, session: SessionDep
) -> AvailabilityView:
    """Replace the doctor's weekly availability rules.

    Replace the weekly rules (wall clock in the doctor's timezone). Appointments already
    held or booked stay as they are, in or out of the new rules."""
    errors = overlapping_rules(body.rules)
    if errors:
        raise Problem(422, "Some availability rules overlap: " + "; ".join(
            error["message"] for error in errors) + ".", errors=errors)
    await session.execute(delete(RuleRow).where(RuleRow.doctor_id == doctor.id))
    session.add_all([
        RuleRow(doctor_id=doctor.id, weekday=rule.weekday, start_minute=rule.start_minute,
                end_minute=rule.end_minute, type=rule.type.value, slot_minutes=rule.slot_minutes)
        for rule in body.rules])
    await session.commit()
    return AvailabilityView(timezone=doctor_timezone(doctor),
                            rules=await availability_rules(session, doctor.id))


# --- closed periods -------------------------------------------------------------------------

def _period_view(row: ClosedRow, canceled: list[str] | None = None) -> ClosedPeriod:
    return ClosedPeriod(id=row.id, start=row.start_at, end=row.end_at, reason=row.reason,
                        created_at=row.created_at, canceled_appointments=canceled or [])


@availability_router.post(
    "/exceptions", status_code=201, response_model=ClosedPeriod,
    responses={409: {"description": "appointments (held or confirmed) fall in the period: "
                                    "listed under `appointments`; send "
                                    "`cancel_appointments: true` to cancel them"},
               422: {"description": "ends before it starts, already over, or too long"}})
async def close_period(
    body: ClosedPeriodIn, doctor: ActiveDoctor, session: SessionDep, settings: SettingsDep,
    request: Request,
) -> ClosedPeriod:
    """Close a period of the doctor's agenda (leave, congress).

    Close a period (leave, congress): no slot is offered in it. Appointments in it are
    refused with 409, or canceled by the doctor (refunded, patients told) with
    `cancel_appointments: true`. A held slot counts like a booked one: its payment may be
    on its way."""
    start, end = body.start.astimezone(UTC), body.end.astimezone(UTC)
    if end <= utcnow():
        raise Problem(422, "This period is already over.",
                      errors=[{"field": "end", "message": "in the past"}])
    longest = settings.limits.closed_period_max_days
    if end - start > timedelta(days=longest):
        raise Problem(422, f"A closed period lasts at most {longest} days.",
                      errors=[{"field": "end", "message": f"at most {longest} days after start"}])
    in_the_way = await live_appointments(session, doctor.id, start, end)
    if in_the_way and not body.cancel_appointments:
        listed = [AppointmentInPeriod(
            id=appointment.id, reference=appointment.reference, start=appointment.start_at,
            end=appointment.end_at, type=AppointmentType(appointment.type),
            status=AppointmentStatus(appointment.status), patient_id=patient.id,
            patient_first_name=patient.first_name, patient_last_name=patient.last_name,
        ).model_dump(mode="json") for appointment, patient in in_the_way]
        raise Problem(409, f"{len(listed)} appointment(s) fall in this period: cancel them with "
                           "`cancel_appointments: true`, or close another period.",
                      type_=APPOINTMENTS_IN_PERIOD, extensions={"appointments": listed})

    # The same period again (a retried request) is the same closed period, not a second one.
    row = await session.scalar(select(ClosedRow).where(
        ClosedRow.doctor_id == doctor.id, ClosedRow.start_at == start, ClosedRow.end_at == end))
    if row is None:
        row = ClosedRow(doctor_id=doctor.id, start_at=start, end_at=end, reason=body.reason)
        session.add(row)
        await session.commit()  # from now on no slot in the period is offered
    canceled: list[str] = []
    if body.cancel_appointments:
        # Read again after the commit: a hold taken since the first read is canceled too.
        to_cancel = await live_appointments(session, doctor.id, start, end)
        if to_cancel:
            temporal = await get_temporal(request)
            for appointment, _ in to_cancel:
                await cancel_for_closed_period(temporal, settings, DoctorCancellation(
                    appointment_id=appointment.id, doctor_id=doctor.id, closed_period_id=row.id,
                    reason=row.reason))
                canceled.append(appointment.id)
    return _period_view(row, canceled)


@availability_router.get("/exceptions", response_model=Page[ClosedPeriod])
async def my_closed_periods(
    doctor: ActiveDoctor, session: SessionDep,
    include_past: Annotated[bool, Query(description="also the periods already over")] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 50, cursor: str | None = None,
) -> Page[ClosedPeriod]:
    """The doctor's closed periods, soonest first."""
    query = select(ClosedRow).where(ClosedRow.doctor_id == doctor.id)
    if not include_past:
        query = query.where(ClosedRow.end_at > utcnow())
    rows, next_cursor = page(
        list(await session.scalars(keyset(query, ClosedRow.start_at, ClosedRow.id, cursor, limit,
                                          newest_first=False))),
        limit, lambda row: (row.start_at, row.id))
    return Page(items=[_period_view(row) for row in rows], next_cursor=next_cursor)


@availability_router.delete("/exceptions/{period_id}", status_code=204,
                            responses={404: {"description": "not one of the doctor's periods"}})
async def reopen_period(period_id: str, doctor: ActiveDoctor, session: SessionDep) -> Response:
    """Reopen the period: its slots are offered again (canceled appointments stay canceled)."""
    row = await session.get(ClosedRow, period_id)
    if row is None or row.doctor_id != doctor.id:
        raise Problem(404, "No such closed period.")
    await session.delete(row)
    await session.commit()
    return Response(status_code=204)


# --- slots ---------------------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# An offset's "+" sent unencoded in a query string arrives as a space.
_SPACED_OFFSET = re.compile(r" (\d{2}(?::?\d{2})?)$")


def _moment(field: str, value: str) -> date | datetime:
    """A date (a whole day in the doctor's timezone) or a time with its UTC offset."""
    value = value.strip()
    try:
        if _DATE.fullmatch(value):
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(_SPACED_OFFSET.sub(r"+\1", value))
    except ValueError as err:
        raise Problem(422, f"`{field}` is neither a date (2026-12-03) nor a time with its offset "
                           "(2026-12-03T09:00:00+01:00).",
                      errors=[{"field": field, "message": "not a date or a time"}]) from err
    if moment.tzinfo is None:
        raise Problem(422, f"`{field}` needs its UTC offset (…Z or …+01:00), or give a date.",
                      errors=[{"field": field, "message": "a time without offset"}])
    return moment.astimezone(UTC)


@slots_router.get(
    "/{doctor_id}/slots", response_model=SlotsView,
    responses={404: {"description": "no such doctor in the directory"},
               422: {"description": "a bad date or time, `from` after `to`, more than 62 "
                                    "days, or an unknown type"}})
async def doctor_slots(
    doctor_id: str, _: ActiveUser, session: SessionDep, settings: SettingsDep,
    from_: Annotated[str | None, Query(
        alias="from", description="A date (that whole day, in the doctor's timezone) or a "
                                  "time with offset; default: today")] = None,
    to: Annotated[str | None, Query(
        description="A date (included) or a time (excluded); default: a week from `from`")]
    = None,
    type: AppointmentType | None = None,  # noqa: A002 (the API's name)
) -> SlotsView:
    """A doctor's free and taken slots in a range, for booking.

    The doctor's slots starting in the range, in time order: `free` (bookable) or `taken`
    (held or booked, by whoever). None in the past or sooner than `booking_min_notice`."""
    found = await listed_doctor(session, doctor_id)
    if found is None:
        raise Problem(404, "No such doctor in the directory.")
    doctor, _profile = found
    timezone = doctor_timezone(doctor)
    tz = ZoneInfo(timezone)
    now = utcnow()
    first = _moment("from", from_) if from_ else now.astimezone(tz).date()
    if to:
        last = _moment("to", to)
    else:
        last = first + timedelta(days=6 if not isinstance(first, datetime) else 7)
    try:
        window = slot_range(first, last, tz, max_days=settings.limits.slot_range_max_days)
    except SlotRangeError as err:
        message = str(err)
        raise Problem(422, f"{message[:1].upper()}{message[1:]}.",
                      errors=[{"field": err.field, "message": message}]) from err
    except OverflowError as err:
        raise Problem(422, "The range is out of the calendar.",
                      errors=[{"field": "to", "message": "out of range"}]) from err

    notice = settings.durations.booking_min_notice
    earliest = max(window.start, now + notice)
    if earliest >= window.end:
        return SlotsView(timezone=timezone, items=[])
    # A slot starting before the end of the range may end after it.
    reach = window.end + timedelta(minutes=MAX_SLOT_MINUTES)
    rules = await availability_rules(session, doctor.id)
    closed = await closed_intervals(session, doctor.id, earliest, reach)
    taken = await taken_intervals(session, doctor.id, earliest, reach)
    return SlotsView(timezone=timezone, items=compute_slots(
        rules, timezone, start=window.start, end=window.end, now=now, min_notice=notice,
        closed=closed, taken=taken, type=type))
