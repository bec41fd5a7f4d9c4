"""Record fills as the API and the activities read them: the grant, what was added."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Allergy, Antecedent, RecordFillGrant, Treatment
from domain.record_fills import RecordFillAdded


async def grant_of(session: AsyncSession, patient_id: str, doctor_id: str, *,
                   for_update: bool = False) -> RecordFillGrant | None:
    """The grant that lets this doctor read and add to this patient's record now, if any.
    The process writes it when the fill is paid and deletes it when the fill ends.
    `for_update` before a write: the grant stays locked until the entry is committed, so
    the fill's end at that moment waits and the entry counts in it (PostgreSQL; SQLite has
    a single writer). A grant past its `ends_at` no longer counts, even before the process
    (late: a worker down) has deleted it."""
    query = (select(RecordFillGrant)
             .where(RecordFillGrant.patient_id == patient_id,
                    RecordFillGrant.doctor_id == doctor_id,
                    RecordFillGrant.ends_at > utcnow())
             .order_by(RecordFillGrant.granted_at.desc()).limit(1))
    grant: RecordFillGrant | None = await session.scalar(
        query.with_for_update() if for_update else query)
    return grant


async def added_during(session: AsyncSession, fill_id: str) -> RecordFillAdded:
    """How many entries the doctor added during the fill that are still in the record."""
    async def count(model: type[Antecedent] | type[Allergy] | type[Treatment]) -> int:
        return int(await session.scalar(
            select(func.count()).select_from(model).where(model.record_fill_id == fill_id))
            or 0)

    return RecordFillAdded(antecedents=await count(Antecedent),
                           allergies=await count(Allergy), treatments=await count(Treatment))
