"""The doctor directory, a patient's doctors, and the doctor's answer to a patient.

A patient's request to a doctor is a `doctor-link-<care link id>` workflow; the care link's
status is written by its activities, the doctor's answer goes through an Update.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.account_processes import (
    commit_then_start,
    doctor_link_handle,
    heal_doctor_link,
    remove_doctor_link,
    start_doctor_link,
)
from api.cursors import decode_id_cursor, encode_id_cursor
from api.deps import (
    ActivePatient,
    ActiveUser,
    SessionDep,
    SettingsDep,
    TemporalClient,
    VerifiedDoctor,
)
from api.one_at_a_time import insert_or_existing
from api.problems import Problem
from api.workflow_errors import problem_from_temporal
from db.base import utcnow
from db.models import CareLink, DoctorProfile, User
from db.models.accounts import LIVE_CARE_LINK_PER_PAIR
from db.queries.professionals import doctor_fees, listed_doctor, listed_doctors, verified
from domain.accounts import (
    LIVE_CARE_LINK,
    CareLinkStatus,
    DoctorDecision,
    DoctorDirectoryEntry,
    DoctorFees,
    DoctorInvitationView,
    DoctorLinkState,
    MyDoctor,
)
from domain.care_services import offered_services
from domain.money import fee_problem
from domain.pagination import Page

directory_router = APIRouter(prefix="/api/v1/doctors", tags=["doctors"])
my_doctors_router = APIRouter(prefix="/api/v1/me/doctors", tags=["doctors"])
doctor_side_router = APIRouter(prefix="/api/v1/doctor/invitations", tags=["doctors"])
doctor_fees_router = APIRouter(prefix="/api/v1/doctor/fees", tags=["doctors"])

Limit = Annotated[int, Query(ge=1, le=100)]
_CITY = func.coalesce(DoctorProfile.city, User.city)


def directory_entry(user: User, profile: DoctorProfile) -> DoctorDirectoryEntry:
    fees = doctor_fees(profile)
    return DoctorDirectoryEntry(
        id=user.id, first_name=user.first_name, last_name=user.last_name,
        specialty=profile.specialty, city=profile.city or user.city, fees=fees,
        services=offered_services(fees))


@directory_router.get("", response_model=Page[DoctorDirectoryEntry])
async def directory(
    _: ActiveUser, session: SessionDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    specialty: Annotated[str | None, Query(max_length=80)] = None,
    limit: Limit = 20, cursor: str | None = None,
) -> Page[DoctorDirectoryEntry]:
    """The directory of listed doctors, searchable by name, specialty or city."""
    query = listed_doctors()
    if q and q.strip():
        pattern = f"%{q.strip().lower()}%"
        query = query.where(or_(*(func.lower(column).like(pattern) for column in (
            User.first_name, User.last_name, DoctorProfile.specialty, _CITY))))
    if specialty:
        query = query.where(func.lower(DoctorProfile.specialty) == specialty.strip().lower())
    if cursor:
        last_id = decode_id_cursor(cursor)
        last_name = await session.scalar(select(User.last_name).where(User.id == last_id))
        if last_name is None:
            raise Problem(422, "The cursor is not valid.")
        query = query.where(or_(User.last_name > last_name,
                                and_(User.last_name == last_name, User.id > last_id)))
    rows = (await session.execute(query.order_by(User.last_name, User.id).limit(limit + 1))).all()
    items = [directory_entry(user, profile) for user, profile in rows[:limit]]
    return Page(items=items,
                next_cursor=encode_id_cursor(items[-1].id) if len(rows) > limit else None)


# --- a patient's doctors ----------------------------------------------------------------

class DoctorRequest(BaseModel):
    doctor_id: str = Field(min_length=1, max_length=32)


def _my_doctor(link: CareLink, doctor: User, profile: DoctorProfile) -> MyDoctor:
    return MyDoctor(id=link.id, doctor_id=doctor.id, first_name=doctor.first_name,
                    last_name=doctor.last_name, specialty=profile.specialty,
                    city=profile.city or doctor.city, status=CareLinkStatus(link.status),
                    created_at=link.created_at)


_OPEN = [status.value for status in LIVE_CARE_LINK]


@my_doctors_router.post("", status_code=202, response_model=MyDoctor,
                        responses={404: {"description": "no such doctor in the directory"}})
async def invite_doctor(
    body: DoctorRequest, patient: ActivePatient, session: SessionDep, settings: SettingsDep,
    temporal: TemporalClient,
) -> MyDoctor:
    """Ask a listed doctor to become one of the patient's doctors."""
    found = await listed_doctor(session, body.doctor_id)
    if found is None:
        raise Problem(404, "No such doctor in the directory.")
    doctor, profile = found

    async def live_link() -> CareLink | None:
        return await session.scalar(select(CareLink).where(
            CareLink.patient_id == patient.id, CareLink.doctor_id == doctor.id,
            CareLink.status.in_(_OPEN)).execution_options(populate_existing=True))

    # Asked already (a moment ago, or at this very instant): the same request, no second
    # email. The database decides between two requests of the same instant.
    asked = await live_link()
    if asked is not None:
        if asked.status == CareLinkStatus.pending:
            await heal_doctor_link(temporal, settings, asked, patient, doctor)
        return _my_doctor(asked, doctor, profile)
    link, created = await insert_or_existing(
        session, CareLink(patient_id=patient.id, doctor_id=doctor.id,
                          status=CareLinkStatus.pending.value, created_at=utcnow()),
        rule=LIVE_CARE_LINK_PER_PAIR, existing=live_link)
    if created:
        await commit_then_start(
            session, lambda: start_doctor_link(temporal, settings, link, patient, doctor), link)
    return _my_doctor(link, doctor, profile)


@my_doctors_router.get("", response_model=Page[MyDoctor])
async def my_doctors(
    patient: ActivePatient, session: SessionDep, limit: Limit = 20, cursor: str | None = None,
) -> Page[MyDoctor]:
    """The patient's doctors, pending and active, newest first."""
    query = (
        select(CareLink, User, DoctorProfile)
        .join(User, User.id == CareLink.doctor_id)
        .join(DoctorProfile, DoctorProfile.user_id == User.id)
        .where(CareLink.patient_id == patient.id, CareLink.status.in_(_OPEN),
               verified(User.id))
    )
    query = await _after(session, query, cursor, CareLink.patient_id == patient.id)
    rows = (await session.execute(
        query.order_by(CareLink.created_at.desc(), CareLink.id.desc()).limit(limit + 1))).all()
    items = [_my_doctor(*row) for row in rows[:limit]]
    return Page(items=items,
                next_cursor=encode_id_cursor(items[-1].id) if len(rows) > limit else None)


@my_doctors_router.delete("/{doctor_id}", status_code=204, response_class=Response,
                          responses={404: {"description": "not one of the patient's doctors"}})
async def remove_doctor(
    doctor_id: str, patient: ActivePatient, session: SessionDep, settings: SettingsDep,
    temporal: TemporalClient,
) -> Response:
    """Remove a doctor from the patient's list; what was shared stops being shared.

    The doctor leaves the patient's list (a request not yet answered is withdrawn), and
    what was shared with them (documents, vitals) stops being shared; paid processes with
    that doctor go on. Done by the link's process, so its run in Temporal shows it."""
    links = (await session.scalars(select(CareLink).where(
        CareLink.patient_id == patient.id, CareLink.doctor_id == doctor_id,
        CareLink.status.in_(_OPEN)))).all()
    doctor = await session.get(User, doctor_id)
    if not links or doctor is None:
        raise Problem(404, "This doctor is not in your list.")
    for link in links:
        try:
            await remove_doctor_link(temporal, settings, link, patient, doctor)
        except (WorkflowUpdateFailedError, RPCError) as err:
            raise problem_from_temporal(err, closed_detail="This link is already closed.") \
                from err
    return Response(status_code=204)


# --- the doctor's side ------------------------------------------------------------------

def _request_view(link: CareLink, patient: User) -> DoctorInvitationView:
    return DoctorInvitationView(id=link.id, patient_id=patient.id,
                                patient_esame_id=patient.esame_id,
                                first_name=patient.first_name, last_name=patient.last_name,
                                status=CareLinkStatus(link.status), created_at=link.created_at)


@doctor_side_router.get("", response_model=Page[DoctorInvitationView])
async def doctor_invitations(
    doctor: VerifiedDoctor, session: SessionDep,
    status: CareLinkStatus = CareLinkStatus.pending, limit: Limit = 20,
    cursor: str | None = None,
) -> Page[DoctorInvitationView]:
    """Patients' requests to this doctor, by status, newest first."""
    query = (
        select(CareLink, User).join(User, User.id == CareLink.patient_id)
        .where(CareLink.doctor_id == doctor.id, CareLink.status == status.value)
    )
    query = await _after(session, query, cursor, CareLink.doctor_id == doctor.id)
    rows = (await session.execute(
        query.order_by(CareLink.created_at.desc(), CareLink.id.desc()).limit(limit + 1))).all()
    items = [_request_view(*row) for row in rows[:limit]]
    return Page(items=items,
                next_cursor=encode_id_cursor(items[-1].id) if len(rows) > limit else None)


@doctor_side_router.post("/{link_id}/accept", response_model=DoctorInvitationView,
                         responses={404: {}, 409: {"description": "already answered"}})
async def accept(
    link_id: str, doctor: VerifiedDoctor, session: SessionDep, temporal: TemporalClient
) -> DoctorInvitationView:
    """Accept a patient's request: the doctor becomes one of their doctors."""
    return await _answer(link_id, "accept", doctor, session, temporal)


@doctor_side_router.post("/{link_id}/decline", response_model=DoctorInvitationView,
                         responses={404: {}, 409: {"description": "already answered"}})
async def decline(
    link_id: str, doctor: VerifiedDoctor, session: SessionDep, temporal: TemporalClient
) -> DoctorInvitationView:
    """Decline a patient's request."""
    return await _answer(link_id, "decline", doctor, session, temporal)


async def _answer(link_id: str, answer: str, doctor: User, session: SessionDep,
                  temporal: TemporalClient) -> DoctorInvitationView:
    link = await session.get(CareLink, link_id)
    if link is None or link.doctor_id != doctor.id:
        raise Problem(404, "No such invitation.")
    if link.status != CareLinkStatus.pending:
        raise Problem(409, f"This request is already {link.status}.")
    try:
        await doctor_link_handle(temporal, link.id).execute_update(
            answer, DoctorDecision(doctor_id=doctor.id), result_type=DoctorLinkState)
    except (WorkflowUpdateFailedError, RPCError) as err:
        raise problem_from_temporal(err, closed_detail="This request is closed.") from err
    await session.refresh(link)
    patient = await session.get(User, link.patient_id)
    assert patient is not None
    return _request_view(link, patient)


async def _after(session: SessionDep, query: Select, cursor: str | None,  # type: ignore[type-arg]
                 owned: object) -> Select:  # type: ignore[type-arg]
    """Keyset on (created_at, id), newest first, from the link named by the cursor."""
    if not cursor:
        return query
    last_id = decode_id_cursor(cursor)
    created = await session.scalar(select(CareLink.created_at).where(CareLink.id == last_id,
                                                                     owned))  # type: ignore[arg-type]
    if created is None:
        raise Problem(422, "The cursor is not valid.")
    return query.where(or_(CareLink.created_at < created,
                           and_(CareLink.created_at == created, CareLink.id < last_id)))


# --- a doctor's fees ----------------------------------------------------------------------

async def own_doctor_profile(session: AsyncSession, doctor: User) -> DoctorProfile:
    """The signed-in doctor's profile (404 for an account without one)."""
    profile = await session.get(DoctorProfile, doctor.id)
    if profile is None:
        raise Problem(404, "This doctor has no doctor profile.")
    return profile


_NO_PROFILE: dict[int | str, dict[str, Any]] = {
    404: {"description": "This doctor has no doctor profile."}}


@doctor_fees_router.get("", response_model=DoctorFees, responses=_NO_PROFILE)
async def my_fees(doctor: VerifiedDoctor, session: SessionDep) -> DoctorFees:
    """The doctor's fees for each service."""
    return doctor_fees(await own_doctor_profile(session, doctor))


@doctor_fees_router.put("", response_model=DoctorFees, responses={
    **_NO_PROFILE,
    422: {"description": "A fee out of range, or in another currency than the doctor's."}})
async def set_my_fees(body: DoctorFees, doctor: VerifiedDoctor,
                      session: SessionDep) -> DoctorFees:
    """Set the doctor's fees for each service.

    The doctor's prices, shown in the directory and charged by later processes. They are
    in the doctor's own currency (fixed with their profile); 0 means the service is not
    offered (domain/care_services.py)."""
    profile = await own_doctor_profile(session, doctor)
    currency = doctor.currency or profile.fee_currency
    fees = {"opinion": body.opinion, "teleconsultation": body.teleconsultation,
            "office": body.office, "record_fill": body.record_fill}
    errors = [
        {"field": f"{name}.{part}", "location": "body", "message": message, "type": "fee"}
        for name, fee in fees.items() if (found := fee_problem(fee, currency))
        for part, message in [found]
    ]
    if errors:
        raise Problem(422, "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                      errors=errors)
    profile.fee_currency = currency
    profile.fee_opinion, profile.fee_teleconsultation = body.opinion.amount, (
        body.teleconsultation.amount)
    profile.fee_office, profile.fee_record_fill = body.office.amount, body.record_fill.amount
    await session.commit()
    return doctor_fees(profile)
