"""Stripe (card): PaymentIntents created with an idempotency key, confirmed by the payer with
Stripe.js (client secret), settled by signed webhooks (`Stripe-Signature`)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

import stripe
from stripe.params import CustomerCreateParams, PaymentIntentCreateParams

from core.settings import PaymentSettings
from domain.payments import PaymentStatus, ProviderName, RefundStatus
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

_EVENTS = {
    "payment_intent.succeeded": PaymentStatus.succeeded,
    "payment_intent.payment_failed": PaymentStatus.failed,
    "payment_intent.canceled": PaymentStatus.failed,
}


def _refund_outcome(refund: Any) -> RefundOutcome:
    # pending / requires_action: the bank has not paid it back yet.
    status = {"succeeded": RefundStatus.succeeded, "failed": RefundStatus.failed,
              "canceled": RefundStatus.failed}.get(refund.status, RefundStatus.pending)
    reason = getattr(refund, "failure_reason", None) if status is RefundStatus.failed else None
    return RefundOutcome(reference=str(refund.id), status=status,
                         reason=str(reason or refund.status) if status is RefundStatus.failed
                         else None)


def _status(intent: Any) -> PaymentStatus:
    if intent.status == "succeeded":
        return PaymentStatus.succeeded
    if intent.status == "canceled":
        return PaymentStatus.failed
    if intent.status == "requires_payment_method" and getattr(
        intent, "last_payment_error", None
    ):
        return PaymentStatus.failed
    return PaymentStatus.pending


class StripeProvider:
    name = ProviderName.stripe

    def __init__(self, settings: PaymentSettings, public_base_url: str) -> None:
        assert settings.stripe_api_key
        self._client = stripe.StripeClient(
            settings.stripe_api_key,
            base_addresses={"api": settings.stripe_api_base},
            http_client=stripe.HTTPXClient(),
            max_network_retries=2,
        )
        self._webhook_secret = settings.stripe_webhook_secret

    async def create(self, request: ChargeRequest) -> ChargeCreated:
        params: PaymentIntentCreateParams = {
            "amount": request.amount.amount,
            "currency": request.amount.currency.lower(),
            # (localstripe, the test peer, knows no `description`: kept in metadata)
            "metadata": {"payment_id": request.payment_id,
                         "description": request.description[:500]},
        }
        if request.customer_id:
            params["customer"] = request.customer_id
        if request.save_card:
            # Stripe attaches the card to the customer once the payment succeeds, ready for
            # charges without the payer (and asks for authentication now, if the bank will).
            params["setup_future_usage"] = "off_session"
        off_session = request.off_session_payment_method is not None
        if request.off_session_payment_method is not None:
            params["payment_method"] = request.off_session_payment_method
            params["off_session"] = True
            params["confirm"] = True
        try:
            intent = await self._client.v1.payment_intents.create_async(
                params, {"idempotency_key": request.idempotency_key})
        except stripe.CardError as err:
            # Off-session: declined, or `authentication_required` (the payer must be there).
            raise ProviderError(f"Stripe refused the card: {err.code or ''} "
                                f"{err.user_message or err}".strip()) from err
        # (an idempotency error: this key was used with other parameters, a bug of ours that
        # no retry fixes)
        except (stripe.InvalidRequestError, stripe.IdempotencyError) as err:
            raise ProviderError(f"Stripe refused the payment: {err.user_message or err}") from err
        if off_session:
            return await self._charged_off_session(intent)
        return ChargeCreated(
            provider_reference=intent.id, status=_status(intent),
            client_secret=intent.client_secret,
            instructions="Confirm the card payment with Stripe.js using client_secret.",
        )

    async def _charged_off_session(self, intent: Any) -> ChargeCreated:
        status = _status(intent)
        if intent.status == "requires_action":
            # The bank wants the payer to authenticate, and nobody is there to: Stripe
            # answers this with an `authentication_required` error, localstripe with the
            # status. Nobody can complete it: cancel it, the payer pays by link instead.
            with contextlib.suppress(stripe.InvalidRequestError):
                await self._client.v1.payment_intents.cancel_async(intent.id)
            raise ProviderError("Stripe refused the card: authentication_required")
        if status is PaymentStatus.failed:
            error = getattr(intent, "last_payment_error", None)
            code = getattr(error, "code", None) if error else None
            raise ProviderError(f"Stripe refused the card: {code or 'declined'}")
        return ChargeCreated(provider_reference=intent.id, status=status)

    async def create_customer(self, user_id: str, email: str | None,
                              idempotency_key: str) -> str:
        params: CustomerCreateParams = {"metadata": {"user_id": user_id}}
        if email:
            params["email"] = email
        customer = await self._client.v1.customers.create_async(
            params, {"idempotency_key": idempotency_key})
        return str(customer.id)

    async def saved_card(self, provider_reference: str) -> tuple[str, str] | None:
        intent = await self._client.v1.payment_intents.retrieve_async(provider_reference)
        if intent.status != "succeeded" or not intent.customer or not intent.payment_method:
            return None
        customer = intent.customer if isinstance(intent.customer, str) else intent.customer.id
        method = (intent.payment_method if isinstance(intent.payment_method, str)
                  else intent.payment_method.id)
        return str(customer), str(method)

    async def status(self, payment_id: str, provider_reference: str | None) -> ChargeStatus:
        if provider_reference is None:
            return ChargeStatus(status=PaymentStatus.pending)
        intent = await self._client.v1.payment_intents.retrieve_async(provider_reference)
        return ChargeStatus(status=_status(intent), provider_reference=intent.id)

    async def refund(self, order: RefundOrder,
                     remember: RememberReference | None = None) -> RefundOutcome:
        if order.provider_reference is None:
            raise ProviderError("no PaymentIntent to refund")
        try:
            refund = await self._client.v1.refunds.create_async(
                {"payment_intent": order.provider_reference},
                {"idempotency_key": order.idempotency_key})
        except (stripe.InvalidRequestError, stripe.IdempotencyError) as err:
            raise ProviderError(f"Stripe refused the refund: {err}") from err
        return _refund_outcome(refund)

    async def refund_status(self, payment_id: str, refund_reference: str | None
                            ) -> RefundOutcome:
        if refund_reference is None:
            raise ProviderError("no Stripe refund to look up")
        return _refund_outcome(await self._client.v1.refunds.retrieve_async(refund_reference))

    async def cancel(self, payment_id: str, provider_reference: str | None) -> None:
        if provider_reference is None:
            return
        intent = await self._client.v1.payment_intents.retrieve_async(provider_reference)
        if intent.status in ("requires_payment_method", "requires_confirmation",
                             "requires_action"):
            # Paid or canceled meanwhile: the check that follows tells which.
            with contextlib.suppress(stripe.InvalidRequestError):
                await self._client.v1.payment_intents.cancel_async(provider_reference)

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes,
                            query: Mapping[str, str],
                            lookup: ReferenceLookup | None = None) -> WebhookEvent:
        if not self._webhook_secret:
            raise InvalidWebhook("no Stripe webhook secret configured")
        try:
            payload = body.decode("utf-8")
            stripe.WebhookSignature.verify_header(
                payload, headers.get("stripe-signature", ""), self._webhook_secret)
            event = json.loads(payload)
            obj = event["data"]["object"]
        except (ValueError, KeyError, TypeError, stripe.SignatureVerificationError) as err:
            raise InvalidWebhook(str(err)) from err
        status = _EVENTS.get(event["type"])
        if obj.get("object") != "payment_intent":
            return WebhookEvent(event_id=event["id"], payment_id=None, status=None)
        metadata = obj.get("metadata") or {}
        return WebhookEvent(event_id=event["id"], payment_id=metadata.get("payment_id"),
                            status=status, provider_reference=obj.get("id"))
