"""Appointments (seed §X "Prendre un rendez-vous", "Mes rendez-vous", "Téléconsultation").

HTTP only: the database decides who holds a slot (`db.queries.slots.take_hold`), the
appointment process decides everything after (`api/appointment_processes.py`); the rules
are in `domain/appointments.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from icalendar import Calendar, Event
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.appointment_processes import (
    appointment_summary,
    appointment_timings,
    ask_appointment,
    prepare_held,
    start_appointment,
    tell_doctor_joined,
)
from api.appointment_views import appointment_people, appointment_view, appointment_views
from api.consultation_drafts import write_consultation_draft
from api.cursors import keyset, page
from api.deps import (
    ActivePatient,
    ActiveUser,
    SessionDep,
    SettingsDep,
    TemporalClient,
    VerifiedDoctor,
    require_verified,
)
from api.paid_processes import payment_payer
from api.payments import payment_timings
from api.plan_gate import require_plan
from api.prices import quote_for
from api.problems import Problem
from api.routers.doctor_profiles import doctor_timezone
from api.routers.documents import is_active_doctor_of
from api.workflow_errors import problem_from_temporal
from core.settings import Settings
from db.base import utcnow
from db.models import Appointment, DoctorProfile, User
from db.models.requests import RequestIndexEntry
from db.queries.agendas import offered_slot
from db.queries.references import next_reference
from db.queries.requests import record_request
from db.queries.slots import take_hold
from db.queries.sponsorships import seen_by_its_patient
from domain.accounts import Role
from domain.appointments import (
    AppointmentCreated,
    AppointmentIn,
    AppointmentInput,
    AppointmentStatus,
    AppointmentType,
    AppointmentView,
    CancelAppointment,
    CanceledBy,
    CancelIn,
    CompleteAppointment,
    MarkNoShow,
    RescheduleAppointment,
    RescheduleIn,
    SlotTaken,
    TeleconsultationStatus,
    TeleconsultationView,
    room_window,
)
from domain.care import CareService
from domain.consultations import ConsultationIn, ConsultationSource
from domain.ids import new_id
from domain.money import Money
from domain.pagination import Page
from domain.references import ReferenceKind
from domain.requests import RequestEntry, appointment_request_kind
from providers.video import build_video_rooms

router = APIRouter(prefix="/api/v1", tags=["appointments"])
Limit = Annotated[int, Query(ge=1, le=200)]

_LET_GO = {AppointmentStatus.canceled.value, AppointmentStatus.expired.value,
           AppointmentStatus.payment_failed.value}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "not an appointment of yours"}}
_CHANGE: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND, 409: {"description": "not possible in the appointment's status"}}


# --- reading -------------------------------------------------------------------------------

async def _appointment_of(session: AsyncSession, appointment_id: str, user: User) -> Appointment:
    """The appointment if `user` is its doctor, or its patient and it is hers to see (not a
    hold her sponsor has not paid); 404 otherwise (whoever)."""
    row = await session.scalar(select(Appointment).where(
        Appointment.id == appointment_id,
        or_(Appointment.doctor_id == user.id,
            and_(Appointment.patient_id == user.id, seen_by_its_patient()))))
    if row is None:
        raise Problem(404, "No such appointment.")
    return row


def _range(from_: datetime | None, to: datetime | None) -> tuple[datetime | None,
                                                               datetime | None]:
    for name, value in (("from", from_), ("to", to)):
        if value is not None and value.tzinfo is None:
            raise Problem(422, f"`{name}` needs its UTC offset (…Z or …+01:00).",
                          errors=[{"location": "query", "field": name,
                                   "message": "a time without offset"}])
    if from_ is not None and to is not None and from_ > to:
        raise Problem(422, "`from` is after `to`.",
                      errors=[{"location": "query", "field": "from", "message": "after to"}])
    return from_, to


async def _calendar(session: AsyncSession, whose: Any, user_id: str, limit: int,
                    cursor: str | None, from_: datetime | None, to: datetime | None,
                    status: AppointmentStatus | None) -> Page[AppointmentView]:
    """The appointments of a patient or a doctor (`whose`: the column) overlapping the
    range, soonest first."""
    start, end = _range(from_, to)
    query = select(Appointment).where(whose == user_id)
    if whose is Appointment.patient_id:
        query = query.where(seen_by_its_patient())
    if start is not None:
        query = query.where(Appointment.end_at > start)
    if end is not None:
        query = query.where(Appointment.start_at < end)
    if status is not None:
        query = query.where(Appointment.status == status.value)
    rows, next_cursor = page(
        list(await session.scalars(keyset(query, Appointment.start_at, Appointment.id, cursor,
                                          limit, newest_first=False))),
        limit, lambda row: (row.start_at, row.id))
    return Page(items=await appointment_views(session, rows), next_cursor=next_cursor)


From = Annotated[datetime | None, Query(alias="from")]
_LIST: dict[int | str, dict[str, Any]] = {422: {"description": "a bad range or status"}}


@router.get("/me/appointments", response_model=Page[AppointmentView], responses=_LIST)
async def my_appointments(
    user: ActivePatient, session: SessionDep, limit: Limit = 50, cursor: str | None = None,
    from_: From = None, to: datetime | None = None, status: AppointmentStatus | None = None,
) -> Page[AppointmentView]:
    """The patient's calendar: their appointments, soonest first."""
    return await _calendar(session, Appointment.patient_id, user.id, limit, cursor, from_, to,
                           status)


@router.get("/doctor/appointments", response_model=Page[AppointmentView], responses=_LIST)
async def doctor_appointments(
    doctor: VerifiedDoctor, session: SessionDep, limit: Limit = 50, cursor: str | None = None,
    from_: From = None, to: datetime | None = None, status: AppointmentStatus | None = None,
) -> Page[AppointmentView]:
    """The doctor's calendar: the appointments held or booked with them, soonest first."""
    return await _calendar(session, Appointment.doctor_id, doctor.id, limit, cursor, from_, to,
                           status)


@router.get("/appointments/{appointment_id}", response_model=AppointmentView,
            responses=_NOT_FOUND)
async def get_appointment(appointment_id: str, user: ActiveUser,
                          session: SessionDep) -> AppointmentView:
    """One appointment, for its patient or its doctor."""
    row = await _appointment_of(session, appointment_id, user)
    [view] = await appointment_views(session, [row])
    return view


@router.get("/me/calendar.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}},
                             "description": "an iCalendar of the confirmed appointments"}})
async def my_calendar(user: ActiveUser, session: SessionDep) -> Response:
    """The caller's confirmed appointments as an iCalendar feed (a calendar app reads it)."""
    column = Appointment.doctor_id if user.role == Role.doctor else Appointment.patient_id
    rows = list(await session.scalars(
        select(Appointment).where(column == user.id,
                                  Appointment.status == AppointmentStatus.confirmed.value,
                                  *([] if user.role == Role.doctor else [seen_by_its_patient()]))
        .order_by(Appointment.start_at).limit(500)))
    people = await appointment_people(session, rows)
    calendar = Calendar()
    calendar.add("prodid", "-//E-same//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "E-same")
    for row in rows:
        doctor, patient = people.get(row.doctor_id), people.get(row.patient_id)
        with_whom = (f"{patient.first_name} {patient.last_name}" if user.role == Role.doctor
                     and patient else f"Dr {doctor.last_name}" if doctor else "")
        event = Event()
        event.add("uid", f"{row.id}@esame")
        event.add("summary", f"{row.reference} {row.type} – {with_whom}")
        event.add("dtstart", row.start_at)
        event.add("dtend", row.end_at)
        event.add("dtstamp", row.updated_at)
        calendar.add_component(event)
    return Response(calendar.to_ical(), media_type="text/calendar; charset=utf-8")


# --- booking -------------------------------------------------------------------------------

def _fee(profile: DoctorProfile, type_: AppointmentType) -> Money:
    # Emergencies have no fee of their own: they are charged the office fee.
    amount = (profile.fee_teleconsultation if type_ is AppointmentType.teleconsultation
              else profile.fee_office)
    return Money(amount=amount, currency=profile.fee_currency)


async def _bookable_slot(session: AsyncSession, settings: Settings, doctor: User,
                         start: datetime, type_: AppointmentType) -> tuple[datetime, datetime]:
    if start.tzinfo is None:
        raise Problem(422, "`start` needs its UTC offset.",
                      errors=[{"field": "start", "message": "a time without offset"}])
    slot = await offered_slot(
        session, doctor_id=doctor.id, timezone=doctor_timezone(doctor),
        start=start.astimezone(UTC), type=type_, now=utcnow(),
        min_notice=settings.durations.booking_min_notice)
    if slot is None:
        raise Problem(422, "Not a slot of the doctor's availability (of this type, not past, "
                           "not inside the booking notice, not closed).",
                      errors=[{"field": "start", "message": "not an offered slot"}])
    return slot.start, slot.end


@router.post("/appointments", status_code=201, response_model=AppointmentCreated,
             responses={403: {"description": "not one of your active doctors, or your plan "
                                             "does not include it (`plan-required`)"},
                        409: {"description": "the slot is held or booked by someone else"},
                        422: {"description": "not a slot of the doctor's availability"}})
async def book_appointment(
    body: AppointmentIn, patient: ActivePatient, session: SessionDep, settings: SettingsDep,
    temporal: TemporalClient,
) -> AppointmentCreated:
    """Hold a slot of one of your doctors and pay for it; confirmed once paid."""
    if not await is_active_doctor_of(session, body.doctor_id, patient.id):
        raise Problem(403, "You can book only with one of your active doctors.")
    doctor = await session.get(User, body.doctor_id)
    profile = await session.get(DoctorProfile, body.doctor_id)
    assert doctor is not None
    if profile is None or _fee(profile, body.type).amount <= 0:
        raise Problem(422, "This doctor does not offer this kind of appointment.",
                      errors=[{"field": "type", "message": "not offered"}])
    service = CareService(body.type.value)
    await require_plan(session, settings, patient, service)
    quote = quote_for(settings, patient, _fee(profile, body.type))
    start, end = await _bookable_slot(session, settings, doctor, body.start, body.type)
    payer = await payment_payer(session, settings, patient, body)
    timings = appointment_timings(settings)

    now = utcnow()
    appointment_id = new_id()
    hold_expires_at = now + timings.hold
    reference = await next_reference(session, ReferenceKind.appointment, now.year)
    try:
        row = await take_hold(
            session, appointment_id=appointment_id, reference=reference,
            patient_id=patient.id, doctor_id=doctor.id, type=body.type, start=start, end=end,
            hold_expires_at=hold_expires_at)
    except SlotTaken as err:
        raise Problem(409, "This slot is held or booked by someone else: pick another one.") \
            from err
    row.reason = body.reason
    row.price_amount, row.price_currency = quote.price.amount, quote.price.currency
    row.list_price_amount = quote.list_price.amount
    row.list_price_currency = quote.list_price.currency
    row.price_rate, row.price_rate_source = str(quote.rate), quote.rate_source[:100]
    row.quoted_at = quote.quoted_at
    prepare_held(row, timings)
    await record_request(session, RequestEntry(
        user_id=patient.id, reference=reference, kind=appointment_request_kind(service),
        status=AppointmentStatus.pending_payment.value, process_id=appointment_id,
        doctor_id=doctor.id, at=now))
    await session.commit()  # the hold is taken: a competing hold now fails at once

    process = AppointmentInput(
        appointment_id=appointment_id, reference=reference, patient_id=patient.id,
        doctor_id=doctor.id, type=body.type, start=start, end=end,
        hold_expires_at=hold_expires_at, price=quote.price, list_price=quote.list_price,
        payer=payer, timings=timings,
        payment_timings=payment_timings(settings))
    summary = appointment_summary(process, patient, doctor, doctor_timezone(doctor))
    try:
        payment = await start_appointment(temporal, settings, process, summary)
    except Exception as err:
        await _forget_hold(session, appointment_id, patient.id, reference)
        if isinstance(err, Problem):
            raise
        problem = problem_from_temporal(err)
        raise (problem if problem.status not in (409, 503)
               else Problem(503, "Booking is not possible right now; try again.")) from err
    await session.refresh(row)
    view = appointment_view(row, doctor, patient)
    return AppointmentCreated(**view.model_dump(), payment=payment)


async def _forget_hold(session: AsyncSession, appointment_id: str, patient_id: str,
                       reference: str) -> None:
    """The process could not start: the hold goes, or nothing would ever let it go."""
    await session.rollback()
    await session.execute(delete(RequestIndexEntry).where(
        RequestIndexEntry.user_id == patient_id, RequestIndexEntry.reference == reference))
    await session.execute(delete(Appointment).where(Appointment.id == appointment_id))
    await session.commit()


# --- changing it ---------------------------------------------------------------------------

@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentView,
             responses=_CHANGE)
async def cancel(appointment_id: str, body: CancelIn, user: ActiveUser, session: SessionDep,
                 temporal: TemporalClient) -> AppointmentView:
    """Cancel an appointment: by its patient (refunded up to the notice) or its doctor."""
    row = await _appointment_of(session, appointment_id, user)
    by = CanceledBy.patient if user.id == row.patient_id else CanceledBy.doctor
    if by is CanceledBy.doctor:
        await _verified(session, user)
    if row.status in _LET_GO:  # already over (a retried request): as it is
        return await get_appointment(appointment_id, user, session)
    await session.commit()  # ends the read: the process writes now
    await ask_appointment(temporal, row.id, "cancel", CancelAppointment(by=by, user_id=user.id))
    await session.execute(update(Appointment).where(
        Appointment.id == row.id, Appointment.cancel_reason.is_(None))
        .values(cancel_reason=body.reason))
    await session.commit()
    session.expire(row)  # the process wrote it meanwhile
    return await get_appointment(appointment_id, user, session)


async def _verified(session: AsyncSession, user: User) -> None:
    """A doctor acts on appointments only once their licence is verified."""
    await require_verified(Role.doctor)(session, user)


@router.post("/appointments/{appointment_id}/reschedule", response_model=AppointmentView,
             responses={**_CHANGE, 403: {"description": "only its patient moves it"},
                        422: {"description": "not a slot of the doctor's availability"}})
async def reschedule(appointment_id: str, body: RescheduleIn, user: ActiveUser,
                     session: SessionDep, settings: SettingsDep,
                     temporal: TemporalClient) -> AppointmentView:
    """Move a confirmed appointment to another free slot of the same doctor and type."""
    row = await _appointment_of(session, appointment_id, user)
    if user.id != row.patient_id:
        raise Problem(403, "Only the patient moves an appointment; a doctor cancels it.")
    doctor = await session.get(User, row.doctor_id)
    assert doctor is not None
    start, end = await _bookable_slot(session, settings, doctor, body.start,
                                      AppointmentType(row.type))
    await session.commit()
    await ask_appointment(temporal, row.id, "reschedule", RescheduleAppointment(
        user_id=user.id, start=start, end=end))
    session.expire(row)  # the process wrote it meanwhile
    return await get_appointment(appointment_id, user, session)


async def _doctors_appointment(session: AsyncSession, appointment_id: str,
                               doctor: User) -> Appointment:
    row = await session.get(Appointment, appointment_id)
    if row is None or row.doctor_id != doctor.id:
        raise Problem(404, "No such appointment.")
    return row


@router.post("/doctor/appointments/{appointment_id}/complete", response_model=AppointmentView,
             responses={**_CHANGE, 422: {"description": "bad consultation or unknown drug"}})
async def complete(appointment_id: str, body: ConsultationIn, doctor: VerifiedDoctor,
                   session: SessionDep, temporal: TemporalClient) -> AppointmentView:
    """Complete a confirmed appointment with its consultation and prescriptions."""
    row = await _doctors_appointment(session, appointment_id, doctor)
    if row.status not in (AppointmentStatus.confirmed.value, AppointmentStatus.completed.value):
        raise Problem(409, f"This appointment is {row.status}.")
    consultation_id = await write_consultation_draft(
        session, source=ConsultationSource.appointment, source_id=row.id,
        kind=CareService(row.type), patient_id=row.patient_id, doctor_id=doctor.id,
        occurred_at=min(row.start_at, utcnow()), body=body)
    await session.commit()
    await ask_appointment(temporal, row.id, "complete", CompleteAppointment(
        doctor_id=doctor.id, consultation_id=consultation_id))
    session.expire(row)  # the process wrote it meanwhile
    return await get_appointment(appointment_id, doctor, session)


@router.post("/doctor/appointments/{appointment_id}/no-show", response_model=AppointmentView,
             responses=_CHANGE)
async def no_show(appointment_id: str, doctor: VerifiedDoctor, session: SessionDep,
                  temporal: TemporalClient) -> AppointmentView:
    """Mark that the patient did not come (after the start; not refunded)."""
    row = await _doctors_appointment(session, appointment_id, doctor)
    await session.commit()
    await ask_appointment(temporal, row.id, "no_show", MarkNoShow(doctor_id=doctor.id))
    session.expire(row)  # the process wrote it meanwhile
    return await get_appointment(appointment_id, doctor, session)


# --- teleconsultation ----------------------------------------------------------------------

@router.get("/appointments/{appointment_id}/teleconsultation",
            response_model=TeleconsultationView,
            responses={**_NOT_FOUND,
                       409: {"description": "not a confirmed teleconsultation"}})
async def teleconsultation(appointment_id: str, user: ActiveUser, session: SessionDep,
                           settings: SettingsDep,
                           temporal: TemporalClient) -> TeleconsultationView:
    """The video room of a confirmed teleconsultation: the countdown, then a room token."""
    row = await _appointment_of(session, appointment_id, user)
    if row.type != AppointmentType.teleconsultation.value:
        raise Problem(409, "This appointment is not a teleconsultation.")
    if row.status not in (AppointmentStatus.confirmed.value,
                          AppointmentStatus.completed.value):
        raise Problem(409, f"This teleconsultation is {row.status}.")
    opens_at, closes_at = room_window(row.start_at, row.end_at, appointment_timings(settings))
    now = utcnow()
    view = TeleconsultationView(
        status=TeleconsultationStatus.waiting, starts_at=row.start_at, opens_at=opens_at,
        closes_at=closes_at, server_time=now,
        seconds_until_start=max(0, int((row.start_at - now).total_seconds())))
    if now >= closes_at or row.status != AppointmentStatus.confirmed.value:
        return view.model_copy(update={"status": TeleconsultationStatus.closed})
    if now < opens_at:
        return view
    rooms = build_video_rooms(settings.video)
    assert row.room is not None
    token = rooms.join_token(room=row.room, identity=user.id,
                             display_name=(f"Dr {user.last_name}" if user.id == row.doctor_id
                                           else f"{user.first_name} {user.last_name}"),
                             now=now, expires_at=closes_at)
    if user.id == row.doctor_id:
        await session.commit()
        await tell_doctor_joined(temporal, row.id, user.id, now)
    return view.model_copy(update={"status": TeleconsultationStatus.open, "room": row.room,
                                   "url": rooms.url, "token": token})

