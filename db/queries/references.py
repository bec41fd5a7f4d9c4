"""Giving a request its human reference, in the transaction that creates it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models.references import ReferenceCounter
from db.queries.counters import next_number
from domain.references import ReferenceKind, format_reference


async def next_reference(session: AsyncSession, kind: ReferenceKind, year: int) -> str:
    """`RDV-2026-000123`: the next number of `kind` in `year`. Call it in the transaction
    that inserts the row carrying the reference (the counter stays locked until it ends)."""
    number = await next_number(session, ReferenceCounter, prefix=kind.value, year=year)
    return format_reference(kind, year, number)
