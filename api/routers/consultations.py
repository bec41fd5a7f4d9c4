"""Consultations and prescriptions (seed §XII "Mes ordonnances"): what a patient reads of
their completed appointments and answered opinions, and what their doctor reads back.

Written by the processes (a draft by the API's completion route, published by the
process's activity): these routes only read published consultations.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import exists, select

from api.cursors import keyset, page
from api.deps import ActivePatient, ActiveUser, SessionDep
from api.problems import Problem
from db.models.consultations import Consultation as Row
from db.models.consultations import PrescriptionItem as ItemRow
from db.queries.audit import Outcome, record_access
from db.queries.consultations import (
    consultation_views,
    prescription_groups,
    published,
    published_consultation,
)
from domain.accounts import Role
from domain.consultations import Consultation, PrescriptionGroup, PrescriptionStatus
from domain.pagination import Page

router = APIRouter(prefix="/api/v1", tags=["consultations"])
Limit = Annotated[int, Query(ge=1, le=100)]


@router.get("/me/consultations", response_model=Page[Consultation])
async def my_consultations(
    user: ActivePatient, session: SessionDep, limit: Limit = 20, cursor: str | None = None,
) -> Page[Consultation]:
    """The patient's consultations with their prescriptions, newest first."""
    query = select(Row).where(Row.patient_id == user.id, published())
    rows, next_cursor = page(
        list(await session.scalars(keyset(query, Row.occurred_at, Row.id, cursor, limit))),
        limit, lambda row: (row.occurred_at, row.id))
    return Page(items=await consultation_views(session, rows), next_cursor=next_cursor)


@router.get("/me/prescriptions", response_model=Page[PrescriptionGroup])
async def my_prescriptions(
    user: ActivePatient, session: SessionDep, limit: Limit = 20, cursor: str | None = None,
    status: PrescriptionStatus | None = None,
) -> Page[PrescriptionGroup]:
    """The patient's prescriptions, grouped by consultation, newest first.

    The patient's prescriptions grouped by consultation, newest first; `status=open`
    keeps the items not yet asked of a pharmacy (and the consultations that have some)."""
    has_items = select(ItemRow.id).where(ItemRow.consultation_id == Row.id)
    if status is not None:
        has_items = has_items.where(ItemRow.status == status.value)
    query = select(Row).where(Row.patient_id == user.id, published(), exists(has_items))
    rows, next_cursor = page(
        list(await session.scalars(keyset(query, Row.occurred_at, Row.id, cursor, limit))),
        limit, lambda row: (row.occurred_at, row.id))
    return Page(items=await prescription_groups(session, rows, status),
                next_cursor=next_cursor)


@router.get("/consultations/{consultation_id}", response_model=Consultation,
            responses={404: {"description": "not a consultation of yours"}})
async def get_consultation(
    consultation_id: str, user: ActiveUser, session: SessionDep
) -> Consultation:
    """One consultation: its patient, or the doctor who held it.

    Its patient, or the doctor who held it (that read is audited); 404 for anyone else,
    and the attempt is audited."""
    row = await published_consultation(session, consultation_id)
    if row is None:
        raise Problem(404, "No such consultation.")
    resource = f"consultation/{row.id}"
    if user.id == row.patient_id:
        return (await consultation_views(session, [row]))[0]
    if user.id == row.doctor_id and user.role == Role.doctor:
        view = (await consultation_views(session, [row]))[0]
        await record_access(session, user, row.patient_id, "consultation.read", resource,
                            Outcome.allowed)
        return view
    await record_access(session, user, row.patient_id, "consultation.read", resource,
                        Outcome.denied, "neither its patient nor its doctor")
    raise Problem(404, "No such consultation.")
