"""Prices in the payer's currency: one pure conversion, and the quote a paid process keeps.

A doctor's fees are in the doctor's currency, a pharmacy's prices in XAF; the payer pays in
the currency of their profile. XAF is pegged to the euro (1 EUR = 655.957 XAF, the CFA
franc's legal parity), so XAF ↔ EUR never moves; every other currency is converted through
the euro with a configured rate, "units of that currency for 1 EUR" (`ExchangeRates`).

The rate is computed once, as an exact `Decimal` of `RATE_DIGITS` significant digits (target
units per source unit, in major units), and the price is that rate times the list price,
rounded half up to the payer currency's minor unit. The quote keeps the rate: the price can
be recomputed from the quote alone, and it never changes once the process has started.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.money import CURRENCY_EXPONENTS, Money

# The CFA franc (XAF) is pegged to the euro: this is law, not configuration.
XAF_PER_EUR = Decimal("655.957")
BASE_CURRENCY = "EUR"
# Significant digits of a computed rate (1/655.957 has no finite expansion). With 28 the
# error on the largest fee is far below a thousandth of a minor unit.
RATE_DIGITS = 28
# Decimal arithmetic precision for the products: a 10-digit amount times a 28-digit rate.
_PRECISION = 60


class ExchangeRates(BaseModel):
    """Configured rates against the euro: how many units of a currency buy 1 EUR.

    EUR (1) and XAF (the fixed parity) are implied and cannot be set here."""

    model_config = ConfigDict(frozen=True)

    per_eur: dict[str, Decimal] = Field(
        description="Units of each currency for 1 EUR, e.g. {'USD': '1.16'}.")
    as_of: str = Field(default="", description="Where and when the rates were taken.")

    @field_validator("per_eur")
    @classmethod
    def _sane(cls, rates: dict[str, Decimal]) -> dict[str, Decimal]:
        for currency, rate in rates.items():
            if currency not in CURRENCY_EXPONENTS:
                raise ValueError(f"unsupported currency {currency}")
            if currency in (BASE_CURRENCY, "XAF"):
                raise ValueError(f"{currency} has a fixed rate against the euro")
            if not rate.is_finite() or rate <= 0:
                raise ValueError(f"the rate of {currency} must be positive")
        return rates

    def units_per_eur(self, currency: str) -> Decimal:
        if currency == BASE_CURRENCY:
            return Decimal(1)
        if currency == "XAF":
            return XAF_PER_EUR
        try:
            return self.per_eur[currency]
        except KeyError:
            raise UnknownRate(currency) from None


class UnknownRate(ValueError):
    def __init__(self, currency: str) -> None:
        super().__init__(f"no exchange rate is configured for {currency}")
        self.currency = currency


class PriceQuote(BaseModel):
    """What a paid process stores when it starts, and shows on its paid object."""

    model_config = ConfigDict(frozen=True)

    price: Money = Field(description="What the payer pays, in their profile currency.")
    list_price: Money = Field(description="The doctor's or pharmacy's own price.")
    rate: Decimal = Field(
        description="Payer-currency units for one list-currency unit (major units), exact; "
                    "1 when both are the same currency.")
    rate_source: str = Field(description="The parity or the configured rates used.")
    quoted_at: datetime


def conversion_rate(source: str, target: str, rates: ExchangeRates) -> Decimal:
    """Units of `target` for one unit of `source` (major units), through the euro."""
    if source == target:
        return Decimal(1)
    with localcontext() as context:
        context.prec = RATE_DIGITS
        context.rounding = ROUND_HALF_UP
        rate = rates.units_per_eur(target) / rates.units_per_eur(source)
    return _plain(rate)


def _plain(value: Decimal) -> Decimal:
    """Without trailing zeros (655.957, not 655.9570000...), never in exponent form."""
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    return normalized.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 \
        else normalized


def apply_rate(amount: Money, target: str, rate: Decimal) -> Money:
    """`amount` times `rate`, in `target`, rounded half up to its minor unit."""
    if amount.amount < 0:
        raise ValueError("a price cannot be negative")
    source_exponent = CURRENCY_EXPONENTS[amount.currency]
    target_exponent = CURRENCY_EXPONENTS[target]
    with localcontext() as context:
        context.prec = _PRECISION
        major = Decimal(amount.amount).scaleb(-source_exponent) * rate
        minor = major.scaleb(target_exponent).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Money(amount=int(minor), currency=target)


def convert(amount: Money, target: str, rates: ExchangeRates) -> Money:
    """`amount` in `target`, rounded half up to the target's minor unit (XAF: whole francs)."""
    return apply_rate(amount, target, conversion_rate(amount.currency, target, rates))


def rate_source(source: str, target: str, rates: ExchangeRates) -> str:
    if source == target:
        return "same currency"
    if {source, target} == {"EUR", "XAF"}:
        return "fixed parity 1 EUR = 655.957 XAF"
    return f"configured rates per EUR ({rates.as_of})" if rates.as_of else (
        "configured rates per EUR")


def quote(list_price: Money, payer_currency: str, rates: ExchangeRates,
          now: datetime) -> PriceQuote:
    """The price a payer in `payer_currency` pays for `list_price`, locked with its rate."""
    if payer_currency not in CURRENCY_EXPONENTS:
        raise UnknownRate(payer_currency)
    rate = conversion_rate(list_price.currency, payer_currency, rates)
    return PriceQuote(
        price=apply_rate(list_price, payer_currency, rate), list_price=list_price, rate=rate,
        rate_source=rate_source(list_price.currency, payer_currency, rates), quoted_at=now,
    )
