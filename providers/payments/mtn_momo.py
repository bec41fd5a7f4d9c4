"""MTN Mobile Money, Collections API: request-to-pay on the payer's phone; refunds through
the Disbursements product.

The request's `X-Reference-Id` is the payment id (as a UUID), so a retried create is the same
request (MTN answers 409 to a reused reference). MTN signs nothing and retries no callback:
the callback URL carries an HMAC of the reference that the webhook checks, the status is
always confirmed with `GET /requesttopay/{referenceId}`, and PaymentWorkflow also polls it.

A refund is `POST /disbursement/v1_0/refund` naming the request-to-pay it pays back
(`referenceIdToRefund`), with its own `X-Reference-Id`: a UUID derived from our idempotency
key, so a retried refund is the same refund (409 again). It is accepted (202), then PENDING
until MTN pays: PaymentWorkflow polls `GET /disbursement/v1_0/refund/{referenceId}`.
Disbursements is another MTN product: its own subscription key, API user and key, token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from urllib.parse import urlencode

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

_STATUS = {"SUCCESSFUL": PaymentStatus.succeeded, "FAILED": PaymentStatus.failed,
           "REJECTED": PaymentStatus.failed, "TIMEOUT": PaymentStatus.failed,
           "PENDING": PaymentStatus.pending}


# Refund references are name-based UUIDs (v5) of the idempotency key in this namespace.
_REFUND_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://esame.cm/payments/mtn-momo/refund")
_REFUND_STATUS = {"SUCCESSFUL": RefundStatus.succeeded, "FAILED": RefundStatus.failed,
                  "REJECTED": RefundStatus.failed, "PENDING": RefundStatus.pending}


def reference_id(payment_id: str) -> str:
    return str(uuid.UUID(hex=payment_id))


def refund_reference_id(idempotency_key: str) -> str:
    return str(uuid.uuid5(_REFUND_NAMESPACE, idempotency_key))


def _reason(found: dict[str, object]) -> str | None:
    # MTN gives `reason` as a code ("NOT_ENOUGH_FUNDS") or, in older answers, {code, message}.
    reason = found.get("reason")
    if isinstance(reason, dict):
        return str(reason.get("message") or reason.get("code") or "")
    return str(reason) if reason else None


def _decimal(amount: Money) -> str:
    exponent = CURRENCY_EXPONENTS[amount.currency]
    if exponent == 0:
        return str(amount.amount)
    return f"{amount.amount / 10**exponent:.{exponent}f}"


class MtnMomoProvider:
    name = ProviderName.mtn_momo

    def __init__(self, settings: PaymentSettings, public_base_url: str,
                 callback_secret: str | None = None) -> None:
        assert settings.mtn_subscription_key and settings.mtn_api_user and settings.mtn_api_key
        self._settings = settings
        self._base = settings.mtn_base_url.rstrip("/")
        # Without a signature from MTN, our own HMAC in the callback URL says it is ours.
        self._secret = (callback_secret or settings.sandbox_webhook_secret).encode()
        self._token = CachedAccessToken(
            f"{self._base}/collection/token/", settings.mtn_api_user, settings.mtn_api_key,
            headers={"Ocp-Apim-Subscription-Key": settings.mtn_subscription_key or ""})
        self._disbursement_key = settings.mtn_disbursement_subscription_key
        self._disbursement_token = CachedAccessToken(
            f"{self._base}/disbursement/token/", settings.mtn_disbursement_api_user,
            settings.mtn_disbursement_api_key,
            headers={"Ocp-Apim-Subscription-Key": self._disbursement_key or ""})

    @property
    def refunds_configured(self) -> bool:
        s = self._settings
        return bool(s.mtn_disbursement_subscription_key and s.mtn_disbursement_api_user
                    and s.mtn_disbursement_api_key)

    def _sign(self, reference: str) -> str:
        return hmac.new(self._secret, f"mtn:{reference}".encode(), hashlib.sha256).hexdigest()

    async def _headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {await self._token.get(http)}",
            "X-Target-Environment": self._settings.mtn_target_environment,
            "Ocp-Apim-Subscription-Key": self._settings.mtn_subscription_key or "",
        }

    async def _disbursement_headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {await self._disbursement_token.get(http)}",
            "X-Target-Environment": self._settings.mtn_target_environment,
            "Ocp-Apim-Subscription-Key": self._disbursement_key or "",
        }

    async def create(self, request: ChargeRequest) -> ChargeCreated:
        if not request.phone:
            raise ProviderError("MTN MoMo needs the payer's phone number")
        reference = reference_id(request.payment_id)
        signed = urlencode({"ref": reference, "sig": self._sign(reference)})
        callback = f"{request.notify_url}?{signed}"
        async with httpx.AsyncClient(timeout=20) as http:
            headers = await self._headers(http)
            response = await http.post(
                f"{self._base}/collection/v1_0/requesttopay",
                headers={**headers, "X-Reference-Id": reference, "X-Callback-Url": callback},
                json={
                    "amount": _decimal(request.amount), "currency": request.amount.currency,
                    "externalId": request.payment_id,
                    "payer": {"partyIdType": "MSISDN", "partyId": request.phone.lstrip("+")},
                    "payerMessage": request.description[:160],
                    "payeeNote": f"E-same {request.payment_id}",
                },
            )
        # 409: this reference exists already, i.e. our earlier attempt reached MTN.
        if response.status_code not in (202, 409):
            if 400 <= response.status_code < 500:
                raise ProviderError(f"MTN MoMo refused the request: {response.text[:200]}")
            response.raise_for_status()
        return ChargeCreated(
            provider_reference=reference,
            instructions=f"Approve the payment of {_decimal(request.amount)} "
                         f"{request.amount.currency} on your phone {request.phone} "
                         "(MTN MoMo: *126#).",
        )

    async def status(self, payment_id: str, provider_reference: str | None) -> ChargeStatus:
        reference = provider_reference or reference_id(payment_id)
        async with httpx.AsyncClient(timeout=20) as http:
            response = await http.get(f"{self._base}/collection/v1_0/requesttopay/{reference}",
                                      headers=await self._headers(http))
        if response.status_code == 404:
            return ChargeStatus(status=PaymentStatus.pending, provider_reference=reference)
        response.raise_for_status()
        found = response.json().get("status", "PENDING")
        return ChargeStatus(status=_STATUS.get(found, PaymentStatus.pending),
                            provider_reference=reference)

    async def refund(self, order: RefundOrder,
                     remember: RememberReference | None = None) -> RefundOutcome:
        if not self.refunds_configured:
            raise ProviderError(
                "MTN MoMo refunds are disbursements: set ESAME_PAYMENTS__MTN_DISBURSEMENT_"
                "SUBSCRIPTION_KEY, _API_USER and _API_KEY")
        reference = refund_reference_id(order.idempotency_key)
        async with httpx.AsyncClient(timeout=20) as http:
            response = await http.post(
                f"{self._base}/disbursement/v1_0/refund",
                headers={**await self._disbursement_headers(http), "X-Reference-Id": reference},
                json={
                    "amount": _decimal(order.amount), "currency": order.amount.currency,
                    "externalId": order.payment_id,
                    "payerMessage": f"E-same refund {order.payment_id}",
                    "payeeNote": f"E-same refund {order.payment_id}",
                    "referenceIdToRefund": order.provider_reference
                    or reference_id(order.payment_id),
                },
            )
        # 409: this reference exists already, i.e. our earlier attempt reached MTN.
        if response.status_code == 409:
            return await self.refund_status(order.payment_id, reference)
        if 400 <= response.status_code < 500:
            raise ProviderError(f"MTN MoMo refused the refund: {response.text[:200]}")
        response.raise_for_status()
        return RefundOutcome(reference=reference, status=RefundStatus.pending)

    async def refund_status(self, payment_id: str, refund_reference: str | None
                            ) -> RefundOutcome:
        if refund_reference is None:
            raise ProviderError("no MTN MoMo refund to look up")
        async with httpx.AsyncClient(timeout=20) as http:
            response = await http.get(
                f"{self._base}/disbursement/v1_0/refund/{refund_reference}",
                headers=await self._disbursement_headers(http))
        if response.status_code == 404:  # accepted, not yet visible
            return RefundOutcome(reference=refund_reference, status=RefundStatus.pending)
        response.raise_for_status()
        found = response.json()
        status = _REFUND_STATUS.get(str(found.get("status", "PENDING")), RefundStatus.pending)
        return RefundOutcome(
            reference=refund_reference, status=status,
            reason=(_reason(found) or "FAILED") if status is RefundStatus.failed else None)

    async def cancel(self, payment_id: str, provider_reference: str | None) -> None:
        # MTN times a request-to-pay out on its side.
        return None

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes,
                            query: Mapping[str, str],
                            lookup: ReferenceLookup | None = None) -> WebhookEvent:
        reference = query.get("ref", "")
        if not reference or not hmac.compare_digest(self._sign(reference),
                                                    query.get("sig", "")):
            raise InvalidWebhook("MTN callback URL signature missing or wrong")
        try:
            payload = json.loads(body or b"{}")
            payment_id = str(payload["externalId"])
            uuid.UUID(reference)
        except (ValueError, KeyError, TypeError) as err:
            raise InvalidWebhook("not an MTN request-to-pay callback") from err
        if reference_id(payment_id) != reference:
            raise InvalidWebhook("callback does not match its reference")
        # The callback is a hint: MTN's own answer is the status.
        confirmed = await self.status(payment_id, reference)
        final = confirmed.status if confirmed.status is not PaymentStatus.pending else None
        return WebhookEvent(event_id=f"{reference}:{confirmed.status.value}",
                            payment_id=payment_id, status=final, provider_reference=reference)
