"""Admins read the audit log (and that reading is itself logged)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import and_, or_, select

from api.cursors import decode_cursor, encode_cursor
from api.deps import SessionDep, require_role
from db.models import AuditEntry, User
from db.queries.audit import Outcome, record_access
from domain.accounts import Role
from domain.pagination import Page
from domain.record import AuditRecord

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
ActiveAdmin = Annotated[User, Depends(require_role(Role.admin))]


@router.get("/audit", response_model=Page[AuditRecord])
async def read_audit(
    admin: ActiveAdmin,
    session: SessionDep,
    subject_id: str | None = None,
    actor_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[AuditRecord]:
    """Newest first; filter by whose data (`subject_id`) or by who acted (`actor_id`)."""
    query = select(AuditEntry)
    if subject_id:
        query = query.where(AuditEntry.subject_id == subject_id)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    after = decode_cursor(cursor)
    if after is not None:
        at, last_id = after
        query = query.where(or_(AuditEntry.at < at,
                                and_(AuditEntry.at == at, AuditEntry.id < last_id)))
    rows = list(await session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit + 1)
    ))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].at, rows[-1].id)
    items = [AuditRecord.model_validate(row, from_attributes=True) for row in rows]
    await record_access(session, admin, subject_id, "audit.read",
                        f"audit?subject_id={subject_id or ''}&actor_id={actor_id or ''}",
                        Outcome.allowed)
    return Page(items=items, next_cursor=next_cursor)
