"""The quote a paid process keeps (domain.prices.PriceQuote), as columns of its own table.

A paid process's model mixes in `QuotedPrice`; its migration adds `quote_columns()`. The
rate is kept as text: an exact decimal on SQLite and PostgreSQL alike (never a float).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import UTCDateTime
from domain.money import Money
from domain.prices import PriceQuote

RATE_TEXT_LENGTH = 48


class QuotedPrice:
    """Columns `price_*`, `list_price_*`, `price_rate`, `price_rate_source`, `quoted_at`."""

    price_amount: Mapped[int] = mapped_column(BigInteger)
    price_currency: Mapped[str] = mapped_column(String(3))
    list_price_amount: Mapped[int] = mapped_column(BigInteger)
    list_price_currency: Mapped[str] = mapped_column(String(3))
    price_rate: Mapped[str] = mapped_column(String(RATE_TEXT_LENGTH))
    price_rate_source: Mapped[str] = mapped_column(String(100))
    quoted_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def set_quote(self, quote: PriceQuote) -> None:
        self.price_amount, self.price_currency = quote.price.amount, quote.price.currency
        self.list_price_amount = quote.list_price.amount
        self.list_price_currency = quote.list_price.currency
        self.price_rate = str(quote.rate)
        self.price_rate_source = quote.rate_source[:100]
        self.quoted_at = quote.quoted_at

    @property
    def quote(self) -> PriceQuote:
        return PriceQuote(
            price=Money(amount=self.price_amount, currency=self.price_currency),
            list_price=Money(amount=self.list_price_amount, currency=self.list_price_currency),
            rate=Decimal(self.price_rate), rate_source=self.price_rate_source,
            quoted_at=self.quoted_at)


def quote_columns() -> list[sa.Column[object]]:
    """The same columns for a migration's `op.create_table(...)`."""
    return [
        sa.Column("price_amount", sa.BigInteger(), nullable=False),
        sa.Column("price_currency", sa.String(length=3), nullable=False),
        sa.Column("list_price_amount", sa.BigInteger(), nullable=False),
        sa.Column("list_price_currency", sa.String(length=3), nullable=False),
        sa.Column("price_rate", sa.String(length=RATE_TEXT_LENGTH), nullable=False),
        sa.Column("price_rate_source", sa.String(length=100), nullable=False),
        sa.Column("quoted_at", UTCDateTime(timezone=True), nullable=False),
    ]
