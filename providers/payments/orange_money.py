"""Orange Money web payment: OAuth token, `webpayment` (order id = payment id) answering a
`payment_url` to send the payer to, a `pay_token` and a `notif_token`; the notification
Orange posts carries that notif_token, which we compare with the one given at creation, and
`transactionstatus` tells the status (also polled by PaymentWorkflow).

The web payment API has no refund. Orange Money Cameroon pays a customer with a cash-in of
its OM core APIs (another gateway, `api-s1.orange.cm`, with its own consumer key, an
X-AUTH-TOKEN and the merchant's channel user MSISDN and PIN): `cashin/init` gives a pay
token, `cashin/pay` with that token credits the payer's number, and
`cashin/paymentstatus/{payToken}` tells where it stands. Orange takes no idempotency key;
a pay token pays once, so the token is kept (`remember`) before `pay` is called, and a retried
refund looks it up instead of starting a second cash-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from core.settings import PaymentSettings
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

_STATUS = {"SUCCESS": PaymentStatus.succeeded, "FAILED": PaymentStatus.failed,
           "EXPIRED": PaymentStatus.failed, "INITIATED": PaymentStatus.pending,
           "PENDING": PaymentStatus.pending}


# Cash-in statuses (Orange spells its success "SUCCESSFULL").
_CASHIN_STATUS = {"SUCCESSFULL": RefundStatus.succeeded, "SUCCESSFUL": RefundStatus.succeeded,
                  "FAILED": RefundStatus.failed, "CANCELLED": RefundStatus.failed,
                  "EXPIRED": RefundStatus.failed, "PENDING": RefundStatus.pending}


def national_msisdn(phone: str) -> str:
    """Orange Cameroon's APIs take the 9-digit national number (6XXXXXXXX)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[3:] if digits.startswith("237") and len(digits) == 12 else digits


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def pack_reference(pay_token: str, amount: int, notif_token: str) -> str:
    # transactionstatus needs the pay_token and the amount; the notif_token is kept only as
    # a digest, enough to check a notification.
    return f"{pay_token}|{amount}|{_digest(notif_token)}"


def unpack_reference(reference: str) -> tuple[str, int, str]:
    pay_token, amount, notif_digest = reference.split("|")
    return pay_token, int(amount), notif_digest


def _cashin_outcome(pay_token: str, data: dict[str, Any]) -> RefundOutcome:
    status = _CASHIN_STATUS.get(str(data.get("status", "PENDING")), RefundStatus.pending)
    reason = data.get("confirmtxnmessage") or data.get("inittxnmessage") or data.get("status")
    return RefundOutcome(reference=pay_token, status=status,
                         reason=str(reason) if status is RefundStatus.failed else None)


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
        self._cashin = (settings.orange_cashin_base_url.rstrip("/")
                        + settings.orange_cashin_path.rstrip("/"))
        self._cashin_token = CachedAccessToken(
            f"{settings.orange_cashin_base_url.rstrip('/')}/token",
            settings.orange_cashin_client_id, settings.orange_cashin_client_secret,
            form={"grant_type": "client_credentials"})

    @property
    def refunds_configured(self) -> bool:
        s = self._settings
        return bool(s.orange_cashin_client_id and s.orange_cashin_client_secret
                    and s.orange_cashin_username and s.orange_cashin_password
                    and s.orange_cashin_channel_msisdn and s.orange_cashin_pin)

    def _sign(self, payment_id: str) -> str:
        return hmac.new(self._secret, f"orange:{payment_id}".encode(),
                        hashlib.sha256).hexdigest()

    async def _headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self._token.get(http)}",
                "Accept": "application/json"}

    async def _cashin_headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        s = self._settings
        auth = base64.b64encode(
            f"{s.orange_cashin_username}:{s.orange_cashin_password}".encode()).decode()
        return {"Authorization": f"Bearer {await self._cashin_token.get(http)}",
                "X-AUTH-TOKEN": auth, "Accept": "application/json"}

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
        if not self.refunds_configured:
            raise ProviderError(
                "Orange Money refunds are cash-ins: set ESAME_PAYMENTS__ORANGE_CASHIN_CLIENT_ID,"
                " _CLIENT_SECRET, _USERNAME, _PASSWORD, _CHANNEL_MSISDN and _PIN")
        if order.amount.currency != "XAF":
            raise ProviderError("Orange Money Cameroon pays back XAF only")
        if not order.phone:
            raise ProviderError("no payer phone number to pay the Orange Money refund back to")
        async with httpx.AsyncClient(timeout=20) as http:
            pay_token = order.earlier_reference
            if pay_token is not None:
                # An earlier attempt got this token: if its cash-in went through, that is
                # the refund; a token pays once, so paying with it again cannot pay twice.
                earlier = await self._cashin_status(http, pay_token)
                if earlier is not None:
                    return earlier
            else:
                pay_token = await self._cashin_init(http)
                if remember is not None:
                    await remember(pay_token)
            signed = urlencode({"refund": order.payment_id,
                                "sig": self._sign(f"refund:{order.payment_id}")})
            response = await http.post(
                f"{self._cashin}/cashin/pay",
                headers={**await self._cashin_headers(http), "Content-Type": "application/json"},
                json={
                    "channelUserMsisdn": self._settings.orange_cashin_channel_msisdn,
                    "pin": self._settings.orange_cashin_pin,
                    "subscriberMsisdn": national_msisdn(order.phone),
                    "amount": order.amount.amount,
                    "orderId": f"R{order.payment_id}",
                    "description": f"E-same refund {order.payment_id}",
                    "notifUrl": f"{order.notify_url}?{signed}",
                    "payToken": pay_token,
                })
            if 400 <= response.status_code < 500:
                # Our own earlier pay with this token may be why it is refused.
                earlier = await self._cashin_status(http, pay_token)
                if earlier is not None:
                    return earlier
                raise ProviderError(f"Orange Money refused the refund: {response.text[:200]}")
            response.raise_for_status()
            return _cashin_outcome(pay_token, response.json().get("data") or {})

    async def refund_status(self, payment_id: str, refund_reference: str | None
                            ) -> RefundOutcome:
        if refund_reference is None:
            raise ProviderError("no Orange Money cash-in to look up")
        async with httpx.AsyncClient(timeout=20) as http:
            found = await self._cashin_status(http, refund_reference)
        return found or RefundOutcome(reference=refund_reference, status=RefundStatus.pending)

    async def _cashin_init(self, http: httpx.AsyncClient) -> str:
        response = await http.post(f"{self._cashin}/cashin/init",
                                   headers=await self._cashin_headers(http))
        if 400 <= response.status_code < 500:
            raise ProviderError(f"Orange Money refused the cash-in: {response.text[:200]}")
        response.raise_for_status()
        return str(response.json()["data"]["payToken"])

    async def _cashin_status(self, http: httpx.AsyncClient, pay_token: str
                             ) -> RefundOutcome | None:
        """The cash-in paid with this token, or None when no pay went through with it."""
        response = await http.get(f"{self._cashin}/cashin/paymentstatus/{pay_token}",
                                  headers=await self._cashin_headers(http))
        if response.status_code in (400, 404):
            return None
        response.raise_for_status()
        data = response.json().get("data") or {}
        if data.get("status") in (None, "", "INITIATED") and not data.get("txnid"):
            return None  # initialised, never paid
        return _cashin_outcome(pay_token, data)

    async def cancel(self, payment_id: str, provider_reference: str | None) -> None:
        # Orange expires an unpaid web payment on its side.
        return None

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes,
                            query: Mapping[str, str],
                            lookup: ReferenceLookup | None = None) -> WebhookEvent:
        if "refund" in query:
            # A cash-in (refund) notification: a hint only, the workflow polls the status.
            refunded = query.get("refund", "")
            if not hmac.compare_digest(self._sign(f"refund:{refunded}"), query.get("sig", "")):
                raise InvalidWebhook("Orange notification URL signature missing or wrong")
            return WebhookEvent(event_id=f"refund:{refunded}", payment_id=None, status=None)
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
