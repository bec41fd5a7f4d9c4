"""A patient shares vital signs with their doctors: per doctor, per type.

Plain data edited by the API; a share lasts while the doctor is one of the patient's active
doctors, and ends with the link (the doctor-link process deletes it when the doctor is
removed).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from api.cursors import keyset, page
from api.deps import ActivePatient, SessionDep
from api.problems import Problem
from api.routers.documents import is_active_doctor_of
from db.base import utcnow
from db.models import User, VitalShare, VitalShareType
from db.queries.vital_shares import types_by_share
from domain.pagination import Page
from domain.vitals import VitalShareIn, VitalShareView, VitalType, shared_types

router = APIRouter(prefix="/api/v1/me/vitals/shares", tags=["vital signs"])


def _view(share: VitalShare, doctor: User, types: set[str]) -> VitalShareView:
    return VitalShareView(
        doctor_id=doctor.id, doctor_first_name=doctor.first_name,
        doctor_last_name=doctor.last_name,
        types=shared_types([VitalType(t) for t in types]),
        shared_at=share.created_at, updated_at=share.updated_at)


@router.post("", status_code=201, response_model=VitalShareView,
             responses={200: {"description": "the doctor's share replaced"},
                        422: {"description": "not one of your active doctors, or an unknown "
                                             "type"},
                        409: {"description": "changed by another request at this moment"}})
async def share_vitals(
    body: VitalShareIn, patient: ActivePatient, session: SessionDep, response: Response
) -> VitalShareView:
    """Share vital signs (some or all types) with one of the patient's doctors.

    Share these types (all of today's types when `types` is absent) with one of your
    active doctors. Sharing again with the same doctor replaces their types (200)."""
    if not await is_active_doctor_of(session, body.doctor_id, patient.id, for_update=True):
        raise Problem(422, "You can share only with one of your active doctors.",
                      errors=[{"field": "doctor_id",
                               "message": "not one of your active doctors"}])
    types = shared_types(body.types)
    now = utcnow()
    share = await session.scalar(select(VitalShare).where(
        VitalShare.patient_id == patient.id, VitalShare.doctor_id == body.doctor_id))
    if share is None:
        share = VitalShare(patient_id=patient.id, doctor_id=body.doctor_id, created_at=now,
                           updated_at=now)
        session.add(share)
    else:
        response.status_code = 200
        share.updated_at = now
        await session.execute(delete(VitalShareType).where(VitalShareType.share_id == share.id))
    try:
        await session.flush()
        session.add_all(VitalShareType(share_id=share.id, type=t.value) for t in types)
        await session.commit()
    except IntegrityError as err:  # the same share created by a request at the same instant
        await session.rollback()
        raise Problem(409, "This share was changed at the same moment; try again.") from err
    doctor = await session.get(User, body.doctor_id)
    assert doctor is not None
    return _view(share, doctor, {t.value for t in types})


@router.get("", response_model=Page[VitalShareView])
async def my_vital_shares(
    patient: ActivePatient, session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20, cursor: str | None = None,
) -> Page[VitalShareView]:
    """Newest share first."""
    query = (select(VitalShare, User).join(User, User.id == VitalShare.doctor_id)
             .where(VitalShare.patient_id == patient.id))
    rows, next_cursor = page(
        list((await session.execute(keyset(query, VitalShare.created_at, VitalShare.id, cursor,
                                           limit))).tuples()),
        limit, lambda row: (row[0].created_at, row[0].id))
    types = await types_by_share(session, (share.id for share, _ in rows))
    return Page(items=[_view(share, doctor, types.get(share.id, set()))
                       for share, doctor in rows], next_cursor=next_cursor)


@router.delete("/{doctor_id}", status_code=204, response_class=Response,
               responses={404: {"description": "nothing shared with this doctor"}})
async def stop_sharing_vitals(
    doctor_id: str, patient: ActivePatient, session: SessionDep
) -> Response:
    """Stop sharing vital signs with a doctor."""
    share_id = await session.scalar(select(VitalShare.id).where(
        VitalShare.patient_id == patient.id, VitalShare.doctor_id == doctor_id))
    if share_id is None:
        raise Problem(404, "You share no vital signs with this doctor.")
    await session.execute(delete(VitalShareType).where(VitalShareType.share_id == share_id))
    await session.execute(delete(VitalShare).where(VitalShare.id == share_id))
    await session.commit()
    return Response(status_code=204)
