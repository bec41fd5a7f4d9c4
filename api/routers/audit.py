"""Admins read the audit log (and that reading is itself logged)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.cursors import keyset, page
from api.deps import ActiveAdmin, SessionDep
from db.models import AuditEntry
from db.queries.audit import Outcome, record_access
from domain.pagination import Page
from domain.record import AuditRecord

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@router.get("/audit", response_model=Page[AuditRecord])
async def read_audit(
    admin: ActiveAdmin,
    session: SessionDep,
    subject_id: str | None = None,
    actor_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[AuditRecord]:
    """The audit log of accesses to patients' data, newest first (admins).

    Filter by whose data (`subject_id`) or by who acted (`actor_id`)."""
    query = select(AuditEntry)
    if subject_id:
        query = query.where(AuditEntry.subject_id == subject_id)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    rows, next_cursor = page(
        list(await session.scalars(keyset(query, AuditEntry.at, AuditEntry.id, cursor, limit))),
        limit, lambda row: (row.at, row.id))
    items = [AuditRecord.model_validate(row, from_attributes=True) for row in rows]
    await record_access(session, admin, subject_id, "audit.read",
                        f"audit?subject_id={subject_id or ''}&actor_id={actor_id or ''}",
                        Outcome.allowed)
    return Page(items=items, next_cursor=next_cursor)
