"""The payment provider Protocol, what crosses it, and the choice of provider per method."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from core.settings import PaymentSettings
from domain.money import Money
from domain.payments import Operator, PaymentMethod, PaymentStatus, ProviderName, RefundStatus


class ChargeRequest(BaseModel):
    payment_id: str
    # Derived from the payment id: a retried create is the same charge at the provider.
    idempotency_key: str
    amount: Money
    method: PaymentMethod
    operator: Operator | None = None
    phone: str | None = None
    description: str
    return_url: str
    notify_url: str
    # Stripe: the payer's Customer. With `save_card` the card used is kept for later
    # (`setup_future_usage=off_session`); with `off_session_payment_method` that kept card
    # is charged now, without the payer.
    customer_id: str | None = None
    save_card: bool = False
    off_session_payment_method: str | None = None


class ChargeCreated(BaseModel):
    provider_reference: str
    status: PaymentStatus = PaymentStatus.pending
    checkout_url: str | None = None
    instructions: str | None = None
    client_secret: str | None = None


class ChargeStatus(BaseModel):
    status: PaymentStatus
    provider_reference: str | None = None


class RefundOrder(BaseModel):
    """Pay a succeeded payment back to the payer, in full."""

    payment_id: str
    provider_reference: str | None
    amount: Money
    # Derived from the payment id: a retried refund is the same refund at the provider.
    idempotency_key: str
    # The payer's phone (Mobile Money), where a provider pays back to a number.
    phone: str | None = None
    notify_url: str = ""
    # What an earlier attempt of this refund kept with `remember` (Orange: its pay token).
    earlier_reference: str | None = None


class RefundOutcome(BaseModel):
    reference: str | None
    status: RefundStatus
    # Why the provider refused it (its own words).
    reason: str | None = None


class WebhookEvent(BaseModel):
    """A verified notification: which payment, and what the provider says of it."""

    event_id: str
    payment_id: str | None
    status: PaymentStatus | None
    provider_reference: str | None = None


# The provider reference we stored for a payment id (for notifications that carry only a
# token to compare with what the provider gave at creation, as Orange Money's).
ReferenceLookup = Callable[[str], Awaitable[str | None]]

# Keep a reference durably before the call that may move money, so a retried attempt finds
# it in `RefundOrder.earlier_reference` (for providers with no idempotency key of their own).
RememberReference = Callable[[str], Awaitable[None]]


class InvalidWebhook(Exception):
    """Bad or missing signature, or a body that is not the provider's."""


class ProviderError(Exception):
    """The provider refused the request for good (not worth retrying)."""


class PaymentProvider(Protocol):
    name: ProviderName

    async def create(self, request: ChargeRequest) -> ChargeCreated: ...

    async def status(self, payment_id: str, provider_reference: str | None) -> ChargeStatus: ...

    async def refund(self, order: RefundOrder,
                     remember: RememberReference | None = None) -> RefundOutcome:
        """Ask for the refund; the same `idempotency_key` again is the same refund. Raises
        ProviderError when the provider refuses it outright."""
        ...

    async def refund_status(self, payment_id: str, refund_reference: str | None
                            ) -> RefundOutcome:
        """Where a refund that was pending stands now."""
        ...

    async def cancel(self, payment_id: str, provider_reference: str | None) -> None:
        """At our deadline: make the payment impossible to complete, when the provider can."""
        ...

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes,
                            query: Mapping[str, str],
                            lookup: ReferenceLookup | None = None) -> WebhookEvent: ...


@runtime_checkable
class SavesCards(Protocol):
    """A provider that keeps a payer's card for off-session charges (Stripe)."""

    async def create_customer(self, user_id: str, email: str | None,
                              idempotency_key: str) -> str:
        """The payer's customer at the provider; the same key again is the same customer."""
        ...

    async def saved_card(self, provider_reference: str) -> tuple[str, str] | None:
        """(customer, payment method) of a succeeded payment made to save its card."""
        ...


def configured_providers(settings: PaymentSettings) -> set[ProviderName]:
    found = {ProviderName.sandbox}
    if settings.stripe_api_key:
        found.add(ProviderName.stripe)
    if settings.paypal_client_id and settings.paypal_client_secret:
        found.add(ProviderName.paypal)
    if settings.mtn_subscription_key and settings.mtn_api_user and settings.mtn_api_key:
        found.add(ProviderName.mtn_momo)
    if settings.orange_client_id and settings.orange_client_secret and (
        settings.orange_merchant_key
    ):
        found.add(ProviderName.orange_money)
    return found


_PROVIDER_FOR = {
    (PaymentMethod.card, None): ProviderName.stripe,
    (PaymentMethod.paypal, None): ProviderName.paypal,
    (PaymentMethod.mobile_money, Operator.mtn): ProviderName.mtn_momo,
    (PaymentMethod.mobile_money, Operator.orange): ProviderName.orange_money,
}


def provider_for(
    settings: PaymentSettings, method: PaymentMethod, operator: Operator | None
) -> ProviderName:
    """The real provider of a method when it has credentials, else the sandbox."""
    wanted = _PROVIDER_FOR.get((method, operator if method is PaymentMethod.mobile_money
                                 else None))
    if wanted is not None and wanted in configured_providers(settings):
        return wanted
    return ProviderName.sandbox
