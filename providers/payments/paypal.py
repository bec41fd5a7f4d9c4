"""PayPal Orders v2: create the order (PayPal-Request-Id from the payment id), send the payer
to its approve link, capture once approved; webhooks verified by PayPal itself
(`/v1/notifications/verify-webhook-signature`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from core.settings import PaymentSettings
from domain.money import CURRENCY_EXPONENTS, Money
from domain.payments import PaymentStatus, ProviderName, RefundStatus
from providers.payments.access_token import CachedAccessToken
from providers.payments.base import (
    ChargeCreated,
    ChargeRequest,
    ChargeStatus,
    InvalidWebhook,
    ProviderError,
    ReferenceLookup,
    RefundOrder,
    RefundOutcome,
    RememberReference,
    WebhookEvent,
)

_SIGNATURE_HEADERS = {
    "auth_algo": "paypal-auth-algo",
    "cert_url": "paypal-cert-url",
    "transmission_id": "paypal-transmission-id",
    "transmission_sig": "paypal-transmission-sig",
    "transmission_time": "paypal-transmission-time",
}
_EVENTS = {
    "PAYMENT.CAPTURE.COMPLETED": PaymentStatus.succeeded,
    "PAYMENT.CAPTURE.DENIED": PaymentStatus.failed,
    "CHECKOUT.ORDER.VOIDED": PaymentStatus.failed,
    # Approved is not paid: the workflow checks, which captures the order.
    "CHECKOUT.ORDER.APPROVED": PaymentStatus.pending,
}


def _refund_outcome(refund: dict[str, Any]) -> RefundOutcome:
    status = {"COMPLETED": RefundStatus.succeeded, "FAILED": RefundStatus.failed,
              "CANCELLED": RefundStatus.failed}.get(refund.get("status", ""),
                                                     RefundStatus.pending)
    reason = (refund.get("status_details") or {}).get("reason") or refund.get("status")
    return RefundOutcome(reference=str(refund["id"]), status=status,
                         reason=str(reason) if status is RefundStatus.failed else None)


def _value(amount: Money) -> str:
    exponent = CURRENCY_EXPONENTS[amount.currency]
    return str(amount.amount) if exponent == 0 else f"{amount.amount / 10**exponent:.{exponent}f}"


class PayPalProvider:
    name = ProviderName.paypal

    def __init__(self, settings: PaymentSettings, public_base_url: str) -> None:
        assert settings.paypal_client_id and settings.paypal_client_secret
        self._settings = settings
        self._base = settings.paypal_base_url.rstrip("/")
        self._token = CachedAccessToken(
            f"{self._base}/v1/oauth2/token",
            settings.paypal_client_id, settings.paypal_client_secret,
            form={"grant_type": "client_credentials"})

    async def _headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self._token.get(http)}"}

    async def create(self, request: ChargeRequest) -> ChargeCreated:
        async with httpx.AsyncClient(timeout=20) as http:
            response = await http.post(
                f"{self._base}/v2/checkout/orders",
                headers={**await self._headers(http),
                         "PayPal-Request-Id": request.idempotency_key,
                         "Prefer": "return=representation"},
                json={
                    "intent": "CAPTURE",
                    "purchase_units": [{
                        "reference_id": request.payment_id, "custom_id": request.payment_id,
                        "description": request.description[:127],
                        "amount": {"currency_code": request.amount.currency,
                                   "value": _value(request.amount)},
                    }],
                    "payment_source": {"paypal": {"experience_context": {
                        "return_url": request.return_url, "cancel_url": request.return_url,
                        "user_action": "PAY_NOW"}}},
                },
            )
        if 400 <= response.status_code < 500:
            raise ProviderError(f"PayPal refused the order: {response.text[:200]}")
        response.raise_for_status()
        order = response.json()
        approve = next((link["href"] for link in order.get("links", [])
                        if link.get("rel") in ("payer-action", "approve")), None)
        return ChargeCreated(provider_reference=order["id"], checkout_url=approve,
                             instructions="Approve the payment on PayPal.")

    async def _order(self, http: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
        response = await http.get(f"{self._base}/v2/checkout/orders/{order_id}",
                                  headers=await self._headers(http))
        response.raise_for_status()
        order: dict[str, Any] = response.json()
        return order

    async def status(self, payment_id: str, provider_reference: str | None) -> ChargeStatus:
        if provider_reference is None:
            return ChargeStatus(status=PaymentStatus.pending)
        async with httpx.AsyncClient(timeout=20) as http:
            order = await self._order(http, provider_reference)
            if order["status"] == "APPROVED":
                # Capturing is idempotent per PayPal-Request-Id: one capture per payment.
                captured = await http.post(
                    f"{self._base}/v2/checkout/orders/{provider_reference}/capture",
                    headers={**await self._headers(http),
                             "PayPal-Request-Id": f"esame-payment-{payment_id}-capture",
                             "Content-Type": "application/json"})
                if captured.status_code == 422:  # e.g. INSTRUMENT_DECLINED
                    return ChargeStatus(status=PaymentStatus.failed,
                                        provider_reference=provider_reference)
                captured.raise_for_status()
                order = captured.json()
        status = {"COMPLETED": PaymentStatus.succeeded,
                  "VOIDED": PaymentStatus.failed}.get(order["status"], PaymentStatus.pending)
        return ChargeStatus(status=status, provider_reference=provider_reference)

    async def refund(self, order: RefundOrder,
                     remember: RememberReference | None = None) -> RefundOutcome:
        if order.provider_reference is None:
            raise ProviderError("no PayPal order to refund")
        async with httpx.AsyncClient(timeout=20) as http:
            found = await self._order(http, order.provider_reference)
            try:
                capture_id = found["purchase_units"][0]["payments"]["captures"][0]["id"]
            except (KeyError, IndexError) as err:
                raise ProviderError("this PayPal order has no capture to refund") from err
            response = await http.post(
                f"{self._base}/v2/payments/captures/{capture_id}/refund",
                headers={**await self._headers(http), "PayPal-Request-Id": order.idempotency_key,
                         "Content-Type": "application/json"}, json={})
        if 400 <= response.status_code < 500:  # e.g. 422 CAPTURE_FULLY_REFUNDED
            raise ProviderError(f"PayPal refused the refund: {response.text[:200]}")
        response.raise_for_status()
        return _refund_outcome(response.json())

    async def refund_status(self, payment_id: str, refund_reference: str | None
                            ) -> RefundOutcome:
        if refund_reference is None:
            raise ProviderError("no PayPal refund to look up")
        async with httpx.AsyncClient(timeout=20) as http:
            response = await http.get(f"{self._base}/v2/payments/refunds/{refund_reference}",
                                      headers=await self._headers(http))
        response.raise_for_status()
        return _refund_outcome(response.json())

    async def cancel(self, payment_id: str, provider_reference: str | None) -> None:
        # An order never approved simply expires at PayPal.
        return None

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes,
                            query: Mapping[str, str],
                            lookup: ReferenceLookup | None = None) -> WebhookEvent:
        if not self._settings.paypal_webhook_id:
            raise InvalidWebhook("no PayPal webhook id configured")
        signature = {key: headers.get(header) for key, header in _SIGNATURE_HEADERS.items()}
        if not all(signature.values()):
            raise InvalidWebhook("PayPal signature headers missing")
        try:
            event = json.loads(body)
            resource = event["resource"]
        except (ValueError, KeyError, TypeError) as err:
            raise InvalidWebhook("not a PayPal event") from err
        async with httpx.AsyncClient(timeout=20) as http:
            verified = await http.post(
                f"{self._base}/v1/notifications/verify-webhook-signature",
                headers=await self._headers(http),
                json={**signature, "webhook_id": self._settings.paypal_webhook_id,
                      "webhook_event": event})
        if verified.status_code != 200 or verified.json().get(
                "verification_status") != "SUCCESS":
            raise InvalidWebhook("PayPal did not verify this event")
        order_id = resource.get("id") if event.get("resource_type") == "checkout-order" else (
            resource.get("supplementary_data", {}).get("related_ids", {}).get("order_id"))
        payment_id = resource.get("custom_id") or next(
            (unit.get("custom_id") for unit in resource.get("purchase_units", [])), None)
        return WebhookEvent(event_id=str(event.get("id")), payment_id=payment_id,
                            status=_EVENTS.get(event.get("event_type", "")),
                            provider_reference=order_id)
