"""Cross-cutting tables: messages sent, idempotent requests, rate limits, the audit log."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column, id_column


class Message(Base):
    """Every email and SMS sent (or attempted): the outbox in dev, the log elsewhere."""

    __tablename__ = "messages"

    id: Mapped[str] = id_column()
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(8))
    to: Mapped[str] = mapped_column(String(320), index=True)
    user_id: Mapped[str | None] = mapped_column(String(32), index=True)
    template: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    data: Mapped[dict[str, Any]] = mapped_column()
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # sending | sent | failed
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None] = mapped_column()


class IdempotencyRecord(Base):
    """The stored answer to a POST sent with an Idempotency-Key header."""

    __tablename__ = "idempotency_records"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    response_content_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at_column()


class RateLimitEvent(Base):
    """One counted event (a failed login, an invitation sent) for sliding-window limits."""

    __tablename__ = "rate_limit_events"
    __table_args__ = (Index("ix_rate_limit_events_key_at", "key", "at"),)

    id: Mapped[str] = id_column()
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = created_at_column()


class AuditEntry(Base):
    """Append-only: who read or tried to read whose data, and the outcome."""

    __tablename__ = "audit_log"

    id: Mapped[str] = id_column()
    at: Mapped[datetime] = created_at_column()
    actor_id: Mapped[str | None] = mapped_column(String(32), index=True)
    actor_role: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[str | None] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))  # allowed | denied
    detail: Mapped[str | None] = mapped_column(String(500))
