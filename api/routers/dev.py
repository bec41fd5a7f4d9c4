"""Dev-only pages (ESAME_ENV=dev): the message outbox."""

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import SessionDep, SettingsDep
from core.security import unseal
from db.models import Message
from domain.messages import Channel, OutboxItem, render
from domain.pagination import Page

router = APIRouter(prefix="/dev", tags=["dev"])


@router.get("/outbox", response_model=Page[OutboxItem])
async def outbox(
    session: SessionDep,
    settings: SettingsDep,
    to: str | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> Page[OutboxItem]:
    """The emails and SMS sent, newest first (dev only)."""
    query = select(Message).order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
    if to:
        query = query.where(Message.to == to.strip())
    rows = (await session.scalars(query)).all()
    return Page(items=[_item(m, settings.secret_key) for m in rows])


def _item(m: Message, secret_key: str) -> OutboxItem:
    """A message as its reader got it: values the log keeps sealed (a pickup code) are
    unsealed here, dev only, as the outbox is the inbox of a local run."""
    data, subject, body = m.data, m.subject, m.body
    unsealed = {name: opened for name, value in data.items() if isinstance(value, str)
                and (opened := unseal(secret_key, value)) is not None}
    if unsealed:
        data = {**data, **unsealed}
        rendered = render(m.template, m.language, data)
        subject = rendered.subject if m.subject is not None else None
        body = rendered.body
    return OutboxItem(channel=Channel(m.channel), to=m.to, template=m.template, data=data,
                      subject=subject, body=body, sent_at=m.sent_at, provider=m.provider,
                      note=m.note)
