"""Money: an integer amount in minor units and an ISO 4217 currency."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Minor units per currency (ISO 4217 exponent). XAF has no decimals.
CURRENCY_EXPONENTS: dict[str, int] = {"XAF": 0, "EUR": 2, "USD": 2, "GBP": 2, "CAD": 2, "CHF": 2}
SUPPORTED_CURRENCIES = tuple(CURRENCY_EXPONENTS)


def supported_currency(value: str) -> str:
    if value not in CURRENCY_EXPONENTS:
        raise ValueError(f"must be one of {', '.join(SUPPORTED_CURRENCIES)}")
    return value


Currency = Annotated[
    str, AfterValidator(supported_currency),
    Field(examples=["XAF"], json_schema_extra={"enum": list(SUPPORTED_CURRENCIES)},
          description="ISO 4217 code of a currency E-same handles."),
]


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: int = Field(description="Amount in minor units (XAF has none).", examples=[15000])
    currency: Currency

    def __add__(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise ValueError("cannot add amounts in different currencies")
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def times(self, quantity: int) -> "Money":
        return Money(amount=self.amount * quantity, currency=self.currency)


# The highest fee a doctor may ask for one service, per currency exponent (about 7,600 EUR).
MAX_FEE_MAJOR_UNITS = {0: 5_000_000, 2: 7_600}


def fee_problem(fee: Money, currency: str) -> tuple[str, str] | None:
    """What is wrong with a price set in `currency` (the field of Money at fault and why),
    or None."""
    if fee.currency != currency:
        return "currency", f"fees are in your currency, {currency}"
    if fee.amount < 0:
        return "amount", "a fee cannot be negative"
    exponent = CURRENCY_EXPONENTS[currency]
    if fee.amount > MAX_FEE_MAJOR_UNITS[exponent] * 10**exponent:
        return "amount", f"at most {MAX_FEE_MAJOR_UNITS[exponent]} {currency}"
    return None
