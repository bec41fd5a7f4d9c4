"""The append-only audit log of accesses to a patient's data by someone else.

Entries are only ever added (there is no update or delete path in the code). Each is
committed at once, before the caller answers, so a denied attempt is kept even though the
request then fails.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry, User


class Outcome(StrEnum):
    allowed = "allowed"
    denied = "denied"


async def record_access(
    session: AsyncSession,
    actor: User,
    subject_id: str | None,
    action: str,
    resource: str,
    outcome: Outcome,
    detail: str | None = None,
) -> None:
    session.add(AuditEntry(
        actor_id=actor.id, actor_role=actor.role, subject_id=subject_id, action=action,
        resource=resource[:200], outcome=outcome.value,
        detail=detail[:500] if detail else None,
    ))
    await session.commit()
