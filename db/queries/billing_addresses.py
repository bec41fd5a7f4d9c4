"""A billing address as the API shows it and an invoice keeps it (one mapping for both)."""

from __future__ import annotations

from db.models import BillingAddress as Row
from domain.billing import BillingAddress


def billing_address_view(row: Row) -> BillingAddress:
    return BillingAddress(id=row.id, line1=row.line1, city=row.city, country=row.country,
                          postal_code=row.postal_code, from_profile=row.from_profile,
                          created_at=row.created_at)
