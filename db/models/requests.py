""""My requests": one row per request per user who sees it (domain/requests.py)."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column, id_column
from domain.references import REFERENCE_MAX_LENGTH


class RequestIndexEntry(Base):
    """Written by each process beside its own read model (db.queries.requests
    .record_request); `GET /me/requests` reads this table alone, newest first."""

    __tablename__ = "request_index"
    __table_args__ = (
        UniqueConstraint("user_id", "reference"),
        Index("ix_request_index_user_created", "user_id", "created_at", "id"),
        Index("ix_request_index_reference", "reference"),
    )

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX_LENGTH))
    kind: Mapped[str] = mapped_column(String(32))  # domain.requests.RequestKind
    status: Mapped[str] = mapped_column(String(32))
    process_id: Mapped[str] = mapped_column(String(32))
    doctor_id: Mapped[str | None] = mapped_column(String(32))
    pharmacy_id: Mapped[str | None] = mapped_column(String(32))
    title_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A sponsored appointment, under its beneficiary: the sponsor's display name. Kept once
    # set (a later write of the entry without it leaves it).
    sponsored_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
