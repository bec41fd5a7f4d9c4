"""Opinion requests: the read model of `OpinionRequestWorkflow`, its attachments (frozen at
submission: the item's content is copied into the attachment's row), and its thread.

The status (and the dates the process decides: paid, due, answered) are written only by the
process's activities; the summary, the attachments of a draft and the messages are plain
data the API writes.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column, id_column, utcnow
from db.models.references import reference_column
from domain.money import Money


class OpinionRequestRow(Base):
    __tablename__ = "opinion_requests"
    __table_args__ = (
        Index("ix_opinion_requests_patient_created", "patient_id", "created_at", "id"),
        Index("ix_opinion_requests_doctor_status", "doctor_id", "status", "created_at"),
    )

    id: Mapped[str] = id_column()
    reference: Mapped[str] = reference_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    doctor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(500))
    symptoms: Mapped[str | None] = mapped_column(Text)
    illness_history: Mapped[str | None] = mapped_column(Text)
    vitals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The quote, taken at submission (nullable: a draft has none yet).
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    list_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    list_price_currency: Mapped[str | None] = mapped_column(String(3))
    price_rate: Mapped[str | None] = mapped_column(String(48))
    price_rate_source: Mapped[str | None] = mapped_column(String(100))
    quoted_at: Mapped[datetime | None] = mapped_column()
    payment_id: Mapped[str | None] = mapped_column(String(32))
    refund_status: Mapped[str | None] = mapped_column(String(24))
    consultation_id: Mapped[str | None] = mapped_column(String(32))
    submitted_at: Mapped[datetime | None] = mapped_column()
    paid_at: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    follow_up_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def price(self) -> Money | None:
        if self.price_amount is None or self.price_currency is None:
            return None
        return Money(amount=self.price_amount, currency=self.price_currency)

    @property
    def list_price(self) -> Money | None:
        if self.list_price_amount is None or self.list_price_currency is None:
            return None
        return Money(amount=self.list_price_amount, currency=self.list_price_currency)


class OpinionAttachmentRow(Base):
    __tablename__ = "opinion_attachments"
    __table_args__ = (UniqueConstraint("request_id", "kind", "item_id"),)

    id: Mapped[str] = id_column()
    request_id: Mapped[str] = mapped_column(
        ForeignKey("opinion_requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()
    # The item as it was at submission: what the doctor reads, whatever the record becomes.
    frozen: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    frozen_at: Mapped[datetime | None] = mapped_column()


class OpinionMessageRow(Base):
    __tablename__ = "opinion_messages"
    __table_args__ = (Index("ix_opinion_messages_request_created", "request_id",
                            "created_at", "id"),)

    id: Mapped[str] = id_column()
    request_id: Mapped[str] = mapped_column(
        ForeignKey("opinion_requests.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    author_role: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(16), default="message")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
