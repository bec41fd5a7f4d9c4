"""Sliding-window rate limits kept in the database, so every API process sees them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import RateLimitEvent


async def count_recent(session: AsyncSession, key: str, window: timedelta) -> int:
    since = utcnow() - window
    count = await session.scalar(
        select(func.count()).where(RateLimitEvent.key == key, RateLimitEvent.at >= since)
    )
    return int(count or 0)


async def record_event(session: AsyncSession, key: str) -> None:
    session.add(RateLimitEvent(key=key, at=utcnow()))


async def clear_events(session: AsyncSession, key: str) -> None:
    await session.execute(delete(RateLimitEvent).where(RateLimitEvent.key == key))
