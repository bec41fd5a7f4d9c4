"""A doctor reads and adds to a patient's record while a paid record fill grants it.

The grant is a row `RecordFillWorkflow` writes once the fill is paid and deletes when it
ends (`record_fill_grants`): without one, the doctor gets 404, as for anything not theirs.
The bodies are the patient's own (`domain.record`), checked and written by the same code
(`api/routers/record.py`); each entry keeps its author and the fill it was written in.
Every read and write is in the audit log, and so is every refused attempt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path

from api.deps import ActiveUser, SessionDep
from api.problems import Problem
from api.routers.record import insert_allergy, insert_antecedent, insert_treatment, load_record
from db.models import RecordFillGrant, User
from db.queries.audit import Outcome, record_access
from db.queries.professionals import verification_of
from db.queries.record_fills import grant_of
from domain import record as r
from domain.accounts import Role
from domain.professionals import VerificationStatus

router = APIRouter(prefix="/api/v1/patients", tags=["record fills"])
Entry = TypeVar("Entry", r.Antecedent, r.Allergy, r.Treatment)
PatientId = Annotated[str, Path(min_length=1, max_length=32)]

_ANSWERS: dict[int | str, dict[str, str]] = {
    403: {"description": "Not a doctor account, or a licence not verified."},
    404: {"description": "No record fill of this patient is in progress with you."}}


async def granted(session: SessionDep, user: User, patient_id: str, action: str,
                  resource: str, *, for_update: bool = True) -> RecordFillGrant:
    """The grant that lets `user` do `action` on the patient's record now; otherwise the
    refusal, audited (403 for someone who is not a verified doctor, 404 for a doctor with no
    fill in progress for this patient)."""
    if user.role != Role.doctor:
        await record_access(session, user, patient_id, action, resource, Outcome.denied,
                            "not a doctor")
        raise Problem(403, "Only for doctor accounts.")
    verification = await verification_of(session, user.id)
    if verification is None or verification.status != VerificationStatus.verified:
        await record_access(session, user, patient_id, action, resource, Outcome.denied,
                            "licence not verified")
        raise Problem(403, "An administrator has not verified your licence.")
    grant = await grant_of(session, patient_id, user.id, for_update=for_update)
    if grant is None:
        await record_access(session, user, patient_id, action, resource, Outcome.denied,
                            "no record fill in progress")
        raise Problem(404, "No record fill of this patient is in progress with you.")
    return grant


@router.get("/{patient_id}/record", response_model=r.Record, responses=_ANSWERS)
async def read_patient_record(patient_id: PatientId, user: ActiveUser,
                              session: SessionDep) -> r.Record:
    """A patient's record, for the doctor filling it in (audited)."""
    resource = f"patient/{patient_id}/record"
    grant = await granted(session, user, patient_id, "record.read", resource,
                          for_update=False)
    record = await load_record(session, patient_id)
    await record_access(session, user, patient_id, "record.read", resource, Outcome.allowed,
                        f"record fill {grant.fill_id}")
    return record


async def _add(session: SessionDep, user: User, patient_id: str, section: str,
               insert: Callable[..., Awaitable[Entry]], body: object) -> Entry:
    """Write an entry as the doctor filling in the record: the grant checked (and locked
    until the entry is committed), the entry with its author and fill, both audited."""
    action = f"record.{section}.write"
    grant = await granted(session, user, patient_id, action,
                          f"patient/{patient_id}/record/{section}")
    entry = await insert(session, body, patient_id, user, grant.fill_id)
    await record_access(session, user, patient_id, action,
                        f"patient/{patient_id}/record/{section}/{entry.id}",
                        Outcome.allowed, f"record fill {grant.fill_id}")
    return entry


@router.post("/{patient_id}/record/antecedents", status_code=201,
             response_model=r.Antecedent, responses=_ANSWERS)
async def add_patient_antecedent(patient_id: PatientId, body: r.AntecedentIn,
                                 user: ActiveUser, session: SessionDep) -> r.Antecedent:
    """Add an antecedent to a patient's record, as the doctor filling it in (audited)."""
    return await _add(session, user, patient_id, "antecedents", insert_antecedent, body)


@router.post("/{patient_id}/record/allergies", status_code=201, response_model=r.Allergy,
             responses=_ANSWERS)
async def add_patient_allergy(patient_id: PatientId, body: r.AllergyIn, user: ActiveUser,
                              session: SessionDep) -> r.Allergy:
    """Add an allergy to a patient's record, as the doctor filling it in (audited)."""
    return await _add(session, user, patient_id, "allergies", insert_allergy, body)


@router.post("/{patient_id}/record/treatments", status_code=201,
             response_model=r.Treatment, responses=_ANSWERS)
async def add_patient_treatment(patient_id: PatientId, body: r.TreatmentIn,
                                user: ActiveUser, session: SessionDep) -> r.Treatment:
    """Add a treatment to a patient's record, as the doctor filling it in (audited)."""
    return await _add(session, user, patient_id, "treatments", insert_treatment, body)
