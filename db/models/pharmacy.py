"""Pharmacy orders (domain/pharmacy.py): one row per order from the request to the pickup,
the prescription items it holds, and the pro-forma's lines. Written by the API at the
request (row and items, in one transaction) and then only by the order's process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime, created_at_column, id_column
from db.models.references import reference_column
from db.one_at_a_time import one_live_per

# A prescription item is in one live request or order at a time: the database decides.
LIVE_ORDER_PER_ITEM = "uq_pharmacy_order_items_live_item"
ITEM_LIVE = "live"
ITEM_CLOSED = "closed"


class PharmacyOrder(Base):
    __tablename__ = "pharmacy_orders"
    __table_args__ = (
        Index("ix_pharmacy_orders_patient_created", "patient_id", "created_at", "id"),
        Index("ix_pharmacy_orders_pharmacy_status", "pharmacy_id", "status", "created_at"),
    )

    id: Mapped[str] = id_column()
    reference: Mapped[str] = reference_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    pharmacy_id: Mapped[str] = mapped_column(ForeignKey("pharmacies.id"))
    status: Mapped[str] = mapped_column(String(16))  # domain.pharmacy.OrderStatus
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    quoted_by: Mapped[str | None] = mapped_column(String(32))
    quoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ordered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The price locked when the patient orders (domain.prices.PriceQuote).
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    list_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    price_rate: Mapped[str | None] = mapped_column(String(48))
    price_rate_source: Mapped[str | None] = mapped_column(String(100))
    validated_by: Mapped[str | None] = mapped_column(String(32))
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stock_reserved_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    expiry_reason: Mapped[str | None] = mapped_column(String(20))
    payment_id: Mapped[str | None] = mapped_column(String(32))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The pickup code: its keyed hash only, the generation it belongs to, wrong tries.
    pickup_code_hash: Mapped[str | None] = mapped_column(String(64))
    pickup_generation: Mapped[int] = mapped_column(Integer, default=0)
    wrong_code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    collected_by: Mapped[str | None] = mapped_column(String(32))
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class PharmacyOrderItem(Base):
    """A prescription item sent with an order; `state` is `live` until the order ends."""

    __tablename__ = "pharmacy_order_items"
    __table_args__ = (
        one_live_per(LIVE_ORDER_PER_ITEM, "prescription_item_id", live=[ITEM_LIVE],
                     status_column="state"),
    )

    order_id: Mapped[str] = mapped_column(
        ForeignKey("pharmacy_orders.id", ondelete="CASCADE"), primary_key=True)
    prescription_item_id: Mapped[str] = mapped_column(
        ForeignKey("prescription_items.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(8), default=ITEM_LIVE)


class ProformaLine(Base):
    """A line of the pro-forma, written once when staff issue it (never changed after,
    except `ordered`, set when the patient orders)."""

    __tablename__ = "pharmacy_proforma_lines"

    id: Mapped[str] = id_column()
    order_id: Mapped[str] = mapped_column(
        ForeignKey("pharmacy_orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    prescription_item_id: Mapped[str] = mapped_column(ForeignKey("prescription_items.id"))
    product: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    available: Mapped[bool] = mapped_column(Boolean)
    substitution: Mapped[bool] = mapped_column(Boolean)
    ordered: Mapped[bool] = mapped_column(Boolean, default=False)
