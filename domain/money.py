"""Money: an integer amount in minor units and an ISO 4217 currency."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Minor units per currency (ISO 4217 exponent). XAF has no decimals.
CURRENCY_EXPONENTS: dict[str, int] = {"XAF": 0, "EUR": 2, "USD": 2, "GBP": 2, "CAD": 2, "CHF": 2}
SUPPORTED_CURRENCIES = tuple(CURRENCY_EXPONENTS)

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["XAF"])]


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: int = Field(description="Amount in minor units (XAF has none).", examples=[15000])
    currency: Currency

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value not in CURRENCY_EXPONENTS:
            raise ValueError(f"unsupported currency {value}; use one of {SUPPORTED_CURRENCIES}")
        return value

    def __add__(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise ValueError("cannot add amounts in different currencies")
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def times(self, quantity: int) -> "Money":
        return Money(amount=self.amount * quantity, currency=self.currency)
