"""What every paid route shares: the payment providers, checking a payment request and an
amount, and the timings given to PaymentWorkflow."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import Problem
from core.settings import Settings
from db.models import BillingAddress, User
from domain.billing import Payer, PaymentRequestSnapshot, SubscriptionTimings
from domain.money import Money
from domain.payments import AmountError, PaymentRequest, PaymentTimings, check_amount
from providers.payments import PaymentProviders, provider_for


def get_payment_providers(request: Request) -> PaymentProviders:
    providers: PaymentProviders = request.app.state.payment_providers
    return providers


PaymentProvidersDep = Annotated[PaymentProviders, Depends(get_payment_providers)]


def payment_timings(settings: Settings) -> PaymentTimings:
    d = settings.durations
    return PaymentTimings(deadline=d.payment_deadline, poll_initial=d.payment_poll_initial,
                          poll_max=d.payment_poll_max, refund_deadline=d.refund_deadline,
                          checkout_wait=d.payment_checkout_wait)


def subscription_timings(settings: Settings) -> SubscriptionTimings:
    d = settings.durations
    return SubscriptionTimings(renewal_reminder_before=d.renewal_reminder_before,
                               grace_period=d.grace_period, payment=payment_timings(settings))


def checked_amount(amount: Money, user: User) -> Money:
    try:
        return check_amount(amount, user.currency)
    except AmountError as err:
        raise Problem(422, str(err), errors=[{"location": "body",
                                              "field": "amount", "message": str(err),
                                              "type": "amount"}]) from err


async def checked_request(
    session: AsyncSession, settings: Settings, user: User, request: PaymentRequest
) -> PaymentRequestSnapshot:
    """The payment request of this payer, with its billing address checked and the provider
    that will take it."""
    address = await session.get(BillingAddress, request.billing_address_id)
    if address is None or address.user_id != user.id:
        raise Problem(422, "Unknown billing address.", errors=[{
            "location": "body", "field": "billing_address_id",
            "message": "not one of your billing addresses", "type": "not_found"}])
    return PaymentRequestSnapshot(
        user_id=user.id, method=request.payment_method,
        provider=provider_for(settings.payments, request.payment_method, request.operator),
        operator=request.operator, phone=request.phone, billing_address_id=address.id,
    )


def payer(user: User, snapshot: PaymentRequestSnapshot) -> Payer:
    assert user.email is not None
    return Payer(user_id=user.id, email=user.email, phone=user.phone,
                 language=user.language or "fr", method=snapshot.method,
                 provider=snapshot.provider, operator=snapshot.operator,
                 payer_phone=snapshot.phone, billing_address_id=snapshot.billing_address_id)


# --- keyset cursors for lists ordered by (created_at desc, id desc) ----------------------------

