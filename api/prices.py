"""Quoting a paid service, once for every paid route: the list price (a doctor's fee, a
pharmacy's total) in the payer's profile currency, with the rate locked in the quote the
process stores when it starts (domain/prices.py, docs/care.md)."""

from __future__ import annotations

from datetime import datetime

from api.problems import Problem
from core.settings import Settings
from db.base import utcnow
from db.models import User
from domain.money import Money
from domain.prices import PriceQuote, UnknownRate, quote


def quote_for(settings: Settings, payer: User, list_price: Money,
              now: datetime | None = None) -> PriceQuote:
    """What `payer` pays for `list_price`: a 422 if the price is not a positive amount or
    the payer has no profile currency, a 503 if a rate is missing from the configuration."""
    if payer.currency is None:
        raise Problem(422, "Complete your profile (currency) before paying.",
                      errors=[{"field": "currency", "message": "profile currency missing",
                               "type": "profile_currency"}])
    if list_price.amount <= 0:
        raise Problem(422, "This service has no price set.",
                      errors=[{"field": "price", "message": "no price", "type": "no_price"}])
    try:
        return quote(list_price, payer.currency, settings.prices.exchange_rates(),
                     now or utcnow())
    except UnknownRate as err:
        raise Problem(503, f"Prices cannot be shown in {err.currency} right now.") from err
