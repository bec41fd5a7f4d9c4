"""Prices in the payer's currency: the pure conversion, its rounding, and the quote."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.settings import PriceSettings, Settings
from domain.money import CURRENCY_EXPONENTS, Money
from domain.prices import (
    XAF_PER_EUR,
    ExchangeRates,
    PriceQuote,
    UnknownRate,
    convert,
    quote,
)

RATES = PriceSettings().exchange_rates()
CURRENCIES = sorted(CURRENCY_EXPONENTS)
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)

currencies = st.sampled_from(CURRENCIES)
# Up to the highest fee a doctor may set (5,000,000 XAF, about 7,600 EUR).
amounts = st.integers(min_value=0, max_value=5_000_000)
rate_values = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=6)
configured = st.fixed_dictionaries(
    {c: rate_values for c in CURRENCIES if c not in ("EUR", "XAF")})


def _exact(amount: Money, target: str, rates: ExchangeRates) -> Fraction:
    """The exact value in target minor units, from the rates alone (no rounding at all)."""
    per_eur = {**{c: Fraction(r) for c, r in rates.per_eur.items()},
               "EUR": Fraction(1), "XAF": Fraction(XAF_PER_EUR)}
    major = Fraction(amount.amount, 10 ** CURRENCY_EXPONENTS[amount.currency])
    return major * per_eur[target] / per_eur[amount.currency] \
        * 10 ** CURRENCY_EXPONENTS[target]


def _finer_or_equal(a: str, b: str, rates: ExchangeRates) -> bool:
    """Whether one minor unit of `a` is worth no more than one minor unit of `b`."""
    def minor_in_eur(c: str) -> Fraction:
        per_eur = Fraction(rates.units_per_eur(c))
        return 1 / (per_eur * 10 ** CURRENCY_EXPONENTS[c])
    return minor_in_eur(a) <= minor_in_eur(b)


@given(amount=amounts, source=currencies, target=currencies, per_eur=configured)
def test_converting_is_within_half_a_minor_unit_of_the_exact_value(
    amount: int, source: str, target: str, per_eur: dict[str, Decimal]
) -> None:
    rates = ExchangeRates(per_eur=per_eur)
    converted = convert(Money(amount=amount, currency=source), target, rates)
    assert converted.currency == target
    assert isinstance(converted.amount, int)
    error = abs(Fraction(converted.amount) - _exact(Money(amount=amount, currency=source),
                                                     target, rates))
    # Half up: at most half a minor unit, plus what a 28-digit rate can be off by.
    assert error <= Fraction(1, 2) + Fraction(1, 10**12)


@given(amount=amounts, source=currencies, target=currencies)
def test_a_round_trip_never_loses_more_than_one_minor_unit(
    amount: int, source: str, target: str
) -> None:
    """Out to a currency whose minor unit is no coarser, and back: at most one minor unit
    lost (a coarser one, as XAF -> EUR cents, cannot hold the francs to begin with)."""
    if not _finer_or_equal(target, source, RATES):
        target, source = source, target
    start = Money(amount=amount, currency=source)
    back = convert(convert(start, target, RATES), source, RATES)
    assert abs(back.amount - start.amount) <= 1


@given(amount=amounts, source=currencies)
def test_amounts_converted_to_xaf_are_whole_francs(amount: int, source: str) -> None:
    converted = convert(Money(amount=amount, currency=source), "XAF", RATES)
    exact = _exact(Money(amount=amount, currency=source), "XAF", RATES)
    # XAF has no minor unit: the amount is a number of francs, the nearest one.
    assert isinstance(converted.amount, int)
    assert abs(converted.amount - exact) <= Fraction(1, 2) + Fraction(1, 10**12)
    if source == "EUR":  # the parity is exact: exactly half up
        assert converted.amount == int(exact + Fraction(1, 2))


@given(amount=amounts, currency=currencies)
def test_the_same_currency_is_the_identity(amount: int, currency: str) -> None:
    money = Money(amount=amount, currency=currency)
    assert convert(money, currency, RATES) == money
    quoted = quote(money, currency, RATES, NOW)
    assert quoted.price == money and quoted.rate == 1 and quoted.rate_source == "same currency"


@given(amount=amounts, source=currencies, target=currencies)
def test_the_quote_can_be_recomputed_from_its_own_rate(
    amount: int, source: str, target: str
) -> None:
    quoted = quote(Money(amount=amount, currency=source), target, RATES, NOW)
    again = PriceQuote.model_validate_json(quoted.model_dump_json())
    assert again == quoted and isinstance(again.rate, Decimal)
    major = Decimal(amount).scaleb(-CURRENCY_EXPONENTS[source]) * quoted.rate
    assert quoted.price.amount == int(
        major.scaleb(CURRENCY_EXPONENTS[target]).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def test_a_eur_patient_pays_an_xaf_doctor() -> None:
    fee = Money(amount=15000, currency="XAF")
    quoted = quote(fee, "EUR", RATES, NOW)
    # 15000 / 655.957 = 22.8673...: 22.87 EUR.
    assert quoted.price == Money(amount=2287, currency="EUR")
    assert quoted.list_price == fee
    assert abs(Fraction(quoted.rate) - 1 / Fraction(XAF_PER_EUR)) < Fraction(1, 10**27)
    assert quoted.rate_source == "fixed parity 1 EUR = 655.957 XAF"
    assert quoted.quoted_at == NOW
    # The rate travels as an exact decimal string, never a float.
    assert quoted.model_dump(mode="json")["rate"] == "0.001524490172374103790339915574"


@pytest.mark.parametrize(("fee", "currency", "expected"), [
    (Money(amount=2287, currency="EUR"), "XAF", Money(amount=15002, currency="XAF")),
    (Money(amount=1, currency="EUR"), "XAF", Money(amount=7, currency="XAF")),  # 6.56 -> 7
    (Money(amount=1, currency="XAF"), "EUR", Money(amount=0, currency="EUR")),
    # 328 XAF = 0.50004 EUR -> 0.50.
    (Money(amount=328, currency="XAF"), "EUR", Money(amount=50, currency="EUR")),
    (Money(amount=10000, currency="XAF"), "USD", Money(amount=1768, currency="USD")),
    # 100 USD = 100 / 1.16 EUR = 56547.99 XAF.
    (Money(amount=10000, currency="USD"), "XAF", Money(amount=56548, currency="XAF")),
    (Money(amount=10000, currency="GBP"), "EUR", Money(amount=11494, currency="EUR")),
])
def test_examples(fee: Money, currency: str, expected: Money) -> None:
    assert convert(fee, currency, RATES) == expected


def test_half_up_on_an_exact_tie() -> None:
    rates = ExchangeRates(per_eur={"USD": Decimal("1.5")})
    # 0.01 EUR = 0.015 USD exactly: half up gives 0.02; 0.045 gives 0.05 (banker's: 0.04).
    assert convert(Money(amount=1, currency="EUR"), "USD", rates).amount == 2
    assert convert(Money(amount=3, currency="EUR"), "USD", rates).amount == 5


def test_no_rate_no_price() -> None:
    with pytest.raises(UnknownRate):
        convert(Money(amount=100, currency="EUR"), "USD", ExchangeRates(per_eur={}))
    with pytest.raises(ValueError):
        convert(Money(amount=-1, currency="EUR"), "XAF", RATES)


def test_the_parity_and_the_euro_cannot_be_configured() -> None:
    with pytest.raises(ValueError):
        ExchangeRates(per_eur={"XAF": Decimal("650")})
    with pytest.raises(ValueError):
        ExchangeRates(per_eur={"USD": Decimal("0")})


def test_rates_come_from_temporal_yaml_and_the_environment(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    assert settings.prices.rates_per_eur["USD"] == Decimal("1.16")
    assert set(settings.prices.rates_per_eur) == {"USD", "GBP", "CAD", "CHF"}
    monkeypatch.setenv("ESAME_PRICES__RATES_PER_EUR__USD", "1.1612")
    assert Settings().prices.rates_per_eur["USD"] == Decimal("1.1612")
    monkeypatch.setenv("ESAME_PRICES__RATES_PER_EUR__XAF", "600")
    with pytest.raises(ValueError):
        Settings()
