"""A doctor's patients, what each shares with them, and the vital-sign series they share.

A doctor sees a patient's vitals only while the patient is theirs (an active care link) and
shares that type with them. Every read is in the audit log, and so is every refused one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import func, select

from api.cursors import keyset, page
from api.deps import ActiveDoctor, ActiveUser, SessionDep
from api.problems import Problem
from api.routers.documents import is_active_doctor_of
from api.routers.vitals import Range, vital_series
from db.models import CareLink, Document, DocumentShare, User
from db.queries.audit import Outcome, record_access
from db.queries.vital_shares import is_type_shared, types_shared_with
from domain.accounts import CareLinkStatus, Role
from domain.pagination import Page
from domain.vitals import DoctorPatient, PatientShares, Vital, VitalType, shared_types

router = APIRouter(prefix="/api/v1/doctor/patients", tags=["doctors"])


@router.get("", response_model=Page[DoctorPatient])
async def my_patients(
    doctor: ActiveDoctor, session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20, cursor: str | None = None,
) -> Page[DoctorPatient]:
    """The doctor's active patients, newest link first, with what each shares with them."""
    query = (select(CareLink, User).join(User, User.id == CareLink.patient_id)
             .where(CareLink.doctor_id == doctor.id,
                    CareLink.status == CareLinkStatus.active.value))
    rows, next_cursor = page(
        list((await session.execute(keyset(query, CareLink.created_at, CareLink.id, cursor,
                                           limit))).tuples()),
        limit, lambda row: (row[0].created_at, row[0].id))
    patient_ids = [patient.id for _, patient in rows]
    vital_types = await types_shared_with(session, doctor.id, patient_ids)
    documents = dict((await session.execute(
        select(Document.owner_id, func.count(DocumentShare.id))
        .join(Document, Document.id == DocumentShare.document_id)
        .where(DocumentShare.doctor_id == doctor.id, Document.owner_id.in_(patient_ids))
        .group_by(Document.owner_id))).tuples().all())
    items = [
        DoctorPatient(
            patient_id=patient.id, esame_id=patient.esame_id, first_name=patient.first_name,
            last_name=patient.last_name, since=link.decided_at or link.created_at,
            shares=PatientShares(
                vital_types=shared_types([VitalType(t)
                                          for t in vital_types.get(patient.id, set())]),
                documents=documents.get(patient.id, 0)))
        for link, patient in rows
    ]
    # Reading the list is reading patients' data: one entry per patient shown.
    for patient_id in dict.fromkeys(patient_ids):
        await record_access(session, doctor, patient_id, "doctor.patients.list",
                            "doctor/patients", Outcome.allowed)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{patient_id}/vitals", response_model=Page[Vital],
            responses={403: {"description": "not a doctor account"},
                       404: {"description": "this type is not shared with you"},
                       422: {"description": "an unknown type, or `from` after `to`"}})
async def patient_vitals(
    patient_id: Annotated[str, Path(min_length=1, max_length=32)],
    type: VitalType,  # noqa: A002 (the API's field name)
    user: ActiveUser, session: SessionDep, within: Range,
) -> Page[Vital]:
    """The vital signs of one type a patient shares with this doctor.

    The series of one type a patient shares with you: the same points, in the same order
    (oldest first), as the patient's own chart. Not shared, no longer shared, or not your
    patient: 404. Every read, allowed or not, is in the audit log."""
    resource = f"patient/{patient_id}/vitals/{type.value}"
    if user.role != Role.doctor:
        await record_access(session, user, patient_id, "vitals.read", resource,
                            Outcome.denied, "not a doctor")
        raise Problem(403, "Only for doctor accounts.")
    if not (await is_active_doctor_of(session, user.id, patient_id)
            and await is_type_shared(session, patient_id, user.id, type.value)):
        await record_access(session, user, patient_id, "vitals.read", resource,
                            Outcome.denied, "not shared")
        raise Problem(404, "This patient shares no such series with you.")
    series = await vital_series(session, patient_id, type, within)
    await record_access(session, user, patient_id, "vitals.read", resource, Outcome.allowed)
    return series
