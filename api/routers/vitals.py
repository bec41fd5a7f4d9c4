"""Vital signs: the measure types, a patient's measures, and their series for a chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.cursors import keyset, page
from api.deps import ActivePatient, SessionDep
from api.problems import Problem
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


@dataclass
class SeriesRange:
    from_: datetime | None
    to: datetime | None
    limit: int
    cursor: str | None


def series_range(
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    cursor: str | None = None,
) -> SeriesRange:
    if from_ is not None and to is not None and from_ > to:
        raise Problem(422, "The range starts after it ends.",
                      errors=[{"location": "query", "field": "from",
                               "message": "must not be after `to`"}])
    return SeriesRange(from_, to, limit, cursor)


Range = Annotated[SeriesRange, Depends(series_range)]


async def vital_series(session: AsyncSession, patient_id: str, type_: VitalType | None,
                       within: SeriesRange) -> Page[Vital]:
    """A patient's points in time order (oldest first), ready for a chart: what the patient
    sees, and what a doctor it is shared with sees of a type."""
    query = select(VitalSign).where(VitalSign.patient_id == patient_id)
    if type_ is not None:
        query = query.where(VitalSign.type == type_.value)
    if within.from_ is not None:
        query = query.where(VitalSign.measured_at >= within.from_)
    if within.to is not None:
        query = query.where(VitalSign.measured_at <= within.to)
    rows, next_cursor = page(
        list(await session.scalars(keyset(query, VitalSign.measured_at, VitalSign.id,
                                          within.cursor, within.limit, newest_first=False))),
        within.limit, lambda row: (row.measured_at, row.id))
    return Page(items=[vital_out(row) for row in rows], next_cursor=next_cursor)


@router.get("/me/vitals", response_model=Page[Vital],
            responses={422: {"description": "a bad type or range (`from` after `to`)"}})
async def list_vitals(
    user: ActivePatient,
    session: SessionDep,
    within: Range,
    type: VitalType | None = None,  # noqa: A002 (the API's field name)
) -> Page[Vital]:
    """The patient's measures, oldest first, for a chart."""
    return await vital_series(session, user.id, type, within)
