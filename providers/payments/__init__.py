"""Payment providers: a Protocol, the sandbox default and the real adapters (Stripe, PayPal,
MTN MoMo, Orange Money)."""

from providers.payments.base import (
    ChargeCreated,
    ChargeRequest,
    ChargeStatus,
    InvalidWebhook,
    PaymentProvider,
    ProviderError,
    RefundOrder,
    RefundOutcome,
    RememberReference,
    SavesCards,
    WebhookEvent,
    configured_providers,
    provider_for,
)
from providers.payments.factory import PaymentProviders, build_payment_providers
from providers.payments.sandbox import SandboxLedger, SandboxProvider

__all__ = [
    "ChargeCreated",
    "ChargeRequest",
    "ChargeStatus",
    "InvalidWebhook",
    "PaymentProvider",
    "PaymentProviders",
    "ProviderError",
    "RefundOrder",
    "RefundOutcome",
    "SavesCards",
    "RememberReference",
    "SandboxLedger",
    "SandboxProvider",
    "WebhookEvent",
    "build_payment_providers",
    "configured_providers",
    "provider_for",
]
