"""Building the configured providers."""

from __future__ import annotations

from core.settings import PaymentSettings
from domain.payments import ProviderName
from providers.payments.base import PaymentProvider, configured_providers
from providers.payments.sandbox import SandboxLedger, SandboxProvider


class PaymentProviders:
    def __init__(self, providers: dict[ProviderName, PaymentProvider]) -> None:
        self._providers = providers

    def get(self, name: ProviderName) -> PaymentProvider:
        try:
            return self._providers[name]
        except KeyError as err:
            raise LookupError(f"payment provider {name} is not configured") from err

    def __contains__(self, name: object) -> bool:
        return name in self._providers


def build_payment_providers(
    settings: PaymentSettings, public_base_url: str, sandbox_ledger: SandboxLedger | None = None
) -> PaymentProviders:
    providers: dict[ProviderName, PaymentProvider] = {
        ProviderName.sandbox: SandboxProvider(settings.sandbox_webhook_secret, public_base_url,
                                              sandbox_ledger),
    }
    configured = configured_providers(settings)
    if ProviderName.stripe in configured:
        from providers.payments.stripe import StripeProvider

        providers[ProviderName.stripe] = StripeProvider(settings, public_base_url)
    if ProviderName.paypal in configured:
        from providers.payments.paypal import PayPalProvider

        providers[ProviderName.paypal] = PayPalProvider(settings, public_base_url)
    if ProviderName.mtn_momo in configured:
        from providers.payments.mtn_momo import MtnMomoProvider

        providers[ProviderName.mtn_momo] = MtnMomoProvider(settings, public_base_url)
    if ProviderName.orange_money in configured:
        from providers.payments.orange_money import OrangeMoneyProvider

        providers[ProviderName.orange_money] = OrangeMoneyProvider(settings, public_base_url)
    return PaymentProviders(providers)
