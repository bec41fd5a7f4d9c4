"""Orange Money web payment: OAuth token, `webpayment` (order id = payment id) answering a
`payment_url` to send the payer to, a `pay_token` and a `notif_token`; the notification
Orange posts carries that notif_token, which we compare with the one given at creation, and
`transactionstatus` tells the status (also polled by PaymentWorkflow)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from urllib.parse import urlencode

import httpx

from core.settings import PaymentSettings
from domain.payments import PaymentStatus, ProviderName
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

_STATUS = {"SUCCESS": PaymentStatus.succeeded, "FAILED": PaymentStatus.failed,
           "EXPIRED": PaymentStatus.failed, "INITIATED": PaymentStatus.pending,
           "PENDING": PaymentStatus.pending}


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def pack_reference(pay_token: str, amount: int, notif_token: str) -> str:
    # transactionstatus needs the pay_token and the amount; the notif_token is kept only as
    # a digest, enough to check a notification.
    return f"{pay_token}|{amount}|{_digest(notif_token)}"


def unpack_reference(reference: str) -> tuple[str, int, str]:
    pay_token, amount, notif_digest = reference.split("|")
    return pay_token, int(amount), notif_digest


class OrangeMoneyProvider:
    name = ProviderName.orange_money

    def __init__(self, settings: PaymentSettings, public_base_url: str) -> None:
        assert settings.orange_client_id and settings.orange_client_secret
        self._settings = settings
        self._base = settings.orange_base_url.rstrip("/")
        self._api = self._base + settings.orange_webpayment_path
        self._secret = settings.sandbox_webhook_secret.encode()
        self._token = CachedAccessToken(
            f"{self._base}/oauth/v3/token",
            settings.orange_client_id, settings.orange_client_secret,
            form={"grant_type": "client_credentials"})

    def _sign(self, payment_id: str) -> str:
        return hmac.new(self._secret, f"orange:{payment_id}".encode(),
                        hashlib.sha256).hexdigest()

    async def _headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self._token.get(http)}",
                "Accept": "application/json"}

    async def create(self, request: ChargeRequest) -> ChargeCreated:
        if request.amount.currency != "XAF":
            raise ProviderError("Orange Money Cameroon takes XAF only")
        signed = urlencode({"order": request.payment_id, "sig": self._sign(request.payment_id)})
        async with httpx.AsyncClient(timeout=20) as http:
            response = await http.post(f"{self._api}/webpayment", headers=await self._headers(http),
                                       json={
                "merchant_key": self._settings.orange_merchant_key,
                "currency": request.amount.currency,
                "order_id": request.payment_id,
                "amount": request.amount.amount,
                "return_url": request.return_url,
                "cancel_url": request.return_url,
                "notif_url": f"{request.notify_url}?{signed}",
                "lang": "fr",
                "reference": "E-same",
            })
        if 400 <= response.status_code < 500:
            raise ProviderError(f"Orange Money refused the payment: {response.text[:200]}")
        response.raise_for_status()
        data = response.json()
        return ChargeCreated(
            provider_reference=pack_reference(data["pay_token"], request.amount.amount,
                                              data["notif_token"]),
            checkout_url=data["payment_url"],
            instructions="Pay on the Orange Money page (or #150*50# on your phone).")

    async def status(self, payment_id: str, provider_reference: str | None) -> ChargeStatus:
        if provider_reference is None:
            return ChargeStatus(status=PaymentStatus.pending)
        pay_token, amount, _ = unpack_reference(provider_reference)
        async with httpx.AsyncClient(timeout=20) as http:
            response = await http.post(
                f"{self._api}/transactionstatus", headers=await self._headers(http),
                json={"order_id": payment_id, "amount": amount, "pay_token": pay_token})
        response.raise_for_status()
        found = response.json().get("status", "PENDING")
        return ChargeStatus(status=_STATUS.get(found, PaymentStatus.pending),
                            provider_reference=provider_reference)

    async def refund(self, order: RefundOrder,
                     remember: RememberReference | None = None) -> RefundOutcome:
        raise ProviderError("Orange Money web payments are refunded by a cash-in "
                            "(not supported yet)")

    async def refund_status(self, payment_id: str, refund_reference: str | None
                            ) -> RefundOutcome:
        raise ProviderError("no refund to look up")

    async def cancel(self, payment_id: str, provider_reference: str | None) -> None:
        # Orange expires an unpaid web payment on its side.
        return None

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes,
                            query: Mapping[str, str],
                            lookup: ReferenceLookup | None = None) -> WebhookEvent:
        payment_id = query.get("order", "")
        if not payment_id or not hmac.compare_digest(self._sign(payment_id),
                                                     query.get("sig", "")):
            raise InvalidWebhook("Orange notification URL signature missing or wrong")
        try:
            notification = json.loads(body)
            notif_token = str(notification["notif_token"])
            status = str(notification["status"])
        except (ValueError, KeyError, TypeError) as err:
            raise InvalidWebhook("not an Orange Money notification") from err
        reference = await lookup(payment_id) if lookup else None
        if reference is None:
            raise InvalidWebhook("unknown Orange Money payment")
        if not hmac.compare_digest(unpack_reference(reference)[2], _digest(notif_token)):
            raise InvalidWebhook("notif_token does not match the payment's")
        return WebhookEvent(event_id=f"{payment_id}:{notification.get('txnid', '')}:{status}",
                            payment_id=payment_id, status=_STATUS.get(status),
                            provider_reference=reference)
