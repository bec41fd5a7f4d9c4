"""How much storage a user's documents take (their quota is an entitlement:
`db.queries.entitlements.load_entitlements`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.record import Document


async def storage_used_bytes(session: AsyncSession, user_id: str) -> int:
    used = await session.scalar(
        select(func.coalesce(func.sum(Document.size), 0)).where(Document.owner_id == user_id)
    )
    return int(used or 0)
