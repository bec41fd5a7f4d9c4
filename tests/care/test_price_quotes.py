"""The quote a paid route makes (api/prices.py) and how a process's table keeps it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from api.prices import quote_for
from api.problems import Problem
from core.settings import Settings
from db.engine import make_sessionmaker
from db.models import User
from db.models.prices import QuotedPrice
from domain.money import Money

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _payer(currency: str | None) -> User:
    return User(id="u1", currency=currency)


def test_a_paid_route_quotes_in_the_payer_currency(settings: Settings) -> None:
    fee = Money(amount=20000, currency="XAF")
    quoted = quote_for(settings, _payer("EUR"), fee, NOW)
    assert quoted.price == Money(amount=3049, currency="EUR")  # 30.4898 EUR
    assert quoted.list_price == fee and quoted.quoted_at == NOW
    usd = quote_for(settings, _payer("USD"), fee, NOW)
    assert usd.price.currency == "USD" and "configured rates" in usd.rate_source
    same = quote_for(settings, _payer("XAF"), fee, NOW)
    assert same.price == fee and same.rate == 1


def test_no_quote_without_a_currency_or_a_price(settings: Settings) -> None:
    with pytest.raises(Problem) as no_currency:
        quote_for(settings, _payer(None), Money(amount=100, currency="XAF"), NOW)
    assert no_currency.value.status == 422
    with pytest.raises(Problem) as no_price:
        quote_for(settings, _payer("XAF"), Money(amount=0, currency="XAF"), NOW)
    assert no_price.value.status == 422
    without_usd = settings.model_copy(update={"prices": settings.prices.model_copy(
        update={"rates_per_eur": {"GBP": Decimal("0.87")}})})
    with pytest.raises(Problem) as no_rate:
        quote_for(without_usd, _payer("USD"), Money(amount=100, currency="XAF"), NOW)
    assert no_rate.value.status == 503


class _Base(DeclarativeBase):
    pass


class _PaidThing(QuotedPrice, _Base):
    """A process's table as the paid processes declare theirs."""

    __tablename__ = "paid_things"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)


async def test_the_quote_is_kept_exactly(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    quoted = quote_for(settings, _payer("CHF"), Money(amount=12345, currency="XAF"), NOW)
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'q.sqlite'}")
    async with engine.begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        row = _PaidThing(id="t1")
        row.set_quote(quoted)
        session.add(row)
    async with sessions() as session:
        again = await session.scalar(select(_PaidThing))
        assert again is not None and again.quote == quoted
        assert str(again.quote.rate) == str(quoted.rate)  # not a float's neighbour
    await engine.dispose()
