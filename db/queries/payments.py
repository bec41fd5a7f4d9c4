"""A payment row as the API and the payment process show it."""

from __future__ import annotations

from db.models import Payment
from domain.links import WebLinks
from domain.money import Money
from domain.payments import PaymentMethod, PaymentStatus, PaymentView, ProviderName, RefundStatus


def payment_view(row: Payment, links: WebLinks) -> PaymentView:
    return PaymentView(
        id=row.id, status=PaymentStatus(row.status), method=PaymentMethod(row.method),
        provider=ProviderName(row.provider),
        amount=Money(amount=row.amount, currency=row.currency),
        checkout_url=row.checkout_url, payment_url=links.pay(row.id),
        instructions=row.instructions,
        client_secret=row.client_secret, created_at=row.created_at, settled_at=row.settled_at,
        refund_status=RefundStatus(row.refund_status) if row.refund_status else None,
    )
