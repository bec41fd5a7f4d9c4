"""Dev-only pages (ESAME_ENV=dev): the message outbox."""

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import SessionDep
from db.models import Message
from domain.messages import Channel, OutboxItem
from domain.pagination import Page

router = APIRouter(prefix="/dev", tags=["dev"])


@router.get("/outbox", response_model=Page[OutboxItem])
async def outbox(
    session: SessionDep,
    to: str | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> Page[OutboxItem]:
    """The emails and SMS sent, newest first (dev only)."""
    query = select(Message).order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
    if to:
        query = query.where(Message.to == to.strip())
    rows = (await session.scalars(query)).all()
    return Page(
        items=[
            OutboxItem(
                channel=Channel(m.channel), to=m.to, template=m.template, data=m.data,
                subject=m.subject, body=m.body, sent_at=m.sent_at, provider=m.provider,
                note=m.note,
            )
            for m in rows
        ]
    )
