"""Which vital-sign types a patient shares with which doctor."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import VitalShare, VitalShareType


async def types_by_share(session: AsyncSession, share_ids: Iterable[str]) -> dict[str, set[str]]:
    rows = await session.execute(select(VitalShareType.share_id, VitalShareType.type).where(
        VitalShareType.share_id.in_(list(share_ids))))
    found: dict[str, set[str]] = {}
    for share_id, type_ in rows:
        found.setdefault(share_id, set()).add(type_)
    return found


async def types_shared_with(session: AsyncSession, doctor_id: str,
                            patient_ids: Iterable[str]) -> dict[str, set[str]]:
    """patient id -> the types that patient shares with this doctor."""
    rows = await session.execute(
        select(VitalShare.patient_id, VitalShareType.type)
        .join(VitalShareType, VitalShareType.share_id == VitalShare.id)
        .where(VitalShare.doctor_id == doctor_id, VitalShare.patient_id.in_(list(patient_ids))))
    found: dict[str, set[str]] = {}
    for patient_id, type_ in rows:
        found.setdefault(patient_id, set()).add(type_)
    return found


async def is_type_shared(session: AsyncSession, patient_id: str, doctor_id: str,
                         type_: str) -> bool:
    shared = await session.scalar(
        select(VitalShare.id)
        .join(VitalShareType, VitalShareType.share_id == VitalShare.id)
        .where(VitalShare.patient_id == patient_id, VitalShare.doctor_id == doctor_id,
               VitalShareType.type == type_))
    return shared is not None
