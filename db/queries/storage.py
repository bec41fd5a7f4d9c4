"""How much a user may store and how much they use.

The quota is the ONE place to switch to the payments area's entitlements (plan storage_gb
plus purchased storage) once they are merged; until then every user has the default.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from db.models.record import Document


async def storage_quota_bytes(session: AsyncSession, user_id: str, settings: Settings) -> int:
    return settings.limits.storage_default_quota_bytes


async def storage_used_bytes(session: AsyncSession, user_id: str) -> int:
    used = await session.scalar(
        select(func.coalesce(func.sum(Document.size), 0)).where(Document.owner_id == user_id)
    )
    return int(used or 0)
