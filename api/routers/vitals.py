"""Vital signs: the measure types, a patient's measures, and their series for a chart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime
from sqlalchemy import select

from api.cursors import keyset, page
from api.deps import ActivePatient, SessionDep
from db.models import VitalSign
from domain.pagination import Page
from domain.vitals import VITAL_TYPES, Vital, VitalIn, VitalType, VitalTypeInfo

router = APIRouter(prefix="/api/v1", tags=["vital signs"])

def vital_out(row: VitalSign) -> Vital:
    return Vital(id=row.id, type=VitalType(row.type), measured_at=row.measured_at,
                 value=row.value, systolic=row.systolic, diastolic=row.diastolic,
                 unit=VITAL_TYPES[VitalType(row.type)].unit)


@router.get("/vital-types", response_model=Page[VitalTypeInfo])
async def vital_types() -> Page[VitalTypeInfo]:
    """The vital signs one can record: units, LOINC codes, plausible ranges."""
    return Page(items=list(VITAL_TYPES.values()))


@router.post("/me/vitals", status_code=201, response_model=Vital)
async def add_vital(body: VitalIn, user: ActivePatient, session: SessionDep) -> Vital:
    """Record a vital sign measure."""
    row = VitalSign(patient_id=user.id, type=body.type.value, measured_at=body.measured_at,
                    value=body.value, systolic=body.systolic, diastolic=body.diastolic)
    session.add(row)
    await session.commit()
    return vital_out(row)


@router.get("/me/vitals", response_model=Page[Vital])
async def list_vitals(
    user: ActivePatient,
    session: SessionDep,
    type: VitalType | None = None,  # noqa: A002 (the API's field name)
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    cursor: str | None = None,
) -> Page[Vital]:
    """The patient's measures, oldest first, for a chart."""
    query = select(VitalSign).where(VitalSign.patient_id == user.id)
    if type is not None:
        query = query.where(VitalSign.type == type.value)
    if from_ is not None:
        query = query.where(VitalSign.measured_at >= from_)
    if to is not None:
        query = query.where(VitalSign.measured_at <= to)
    rows, next_cursor = page(
        list(await session.scalars(keyset(query, VitalSign.measured_at, VitalSign.id, cursor,
                                          limit, newest_first=False))),
        limit, lambda row: (row.measured_at, row.id))
    return Page(items=[vital_out(row) for row in rows], next_cursor=next_cursor)
