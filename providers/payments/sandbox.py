"""The sandbox provider: no account needed. Its checkout pages are served by the API
(`/sandbox/checkout/{payment_id}`); approving or declining there settles the charge in its
ledger and sends a webhook signed with the sandbox secret to `/api/v1/webhooks/sandbox`,
through the same verification path as a real provider."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from typing import Protocol

from pydantic import BaseModel, ValidationError

from domain.money import Money
from domain.payments import PaymentStatus, ProviderName, RefundStatus, SandboxCharge
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

SIGNATURE_HEADER = "sandbox-signature"
TOLERANCE_SECONDS = 300


class SandboxLedger(Protocol):
    """Where the sandbox keeps its charges (a real provider keeps them on its side)."""

    async def open(self, idempotency_key: str, payment_id: str, amount: Money) -> SandboxCharge:
        """Create the charge for this key, or return the one already created."""
        ...

    async def get(self, payment_id: str) -> SandboxCharge | None: ...

    async def settle(self, payment_id: str, status: str) -> SandboxCharge | None:
        """Set the outcome once; later calls leave a settled charge as it is."""
        ...


_STATUS = {
    "requires_action": PaymentStatus.pending,
    "succeeded": PaymentStatus.succeeded,
    "failed": PaymentStatus.failed,
    "refunded": PaymentStatus.refunded,
    "canceled": PaymentStatus.expired,
}


def payment_status(charge_status: str) -> PaymentStatus:
    """A sandbox charge's status in the words of our payments (`requires_action` is
    `pending`, `canceled` is `expired`)."""
    return _STATUS[charge_status]


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def webhook_body(payment_id: str, outcome: str, event_id: str | None = None) -> bytes:
    return json.dumps({
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "type": f"payment.{outcome}",
        "data": {"payment_id": payment_id, "status": outcome},
    }).encode()


class SandboxProvider:
    name = ProviderName.sandbox

    def __init__(self, secret: str, public_base_url: str,
                 ledger: SandboxLedger | None = None) -> None:
        self._secret = secret
        self._base = public_base_url.rstrip("/")
        self._ledger = ledger

    @property
    def ledger(self) -> SandboxLedger:
        if self._ledger is None:
            raise RuntimeError("this sandbox provider has no ledger (webhook verification only)")
        return self._ledger

    async def create(self, request: ChargeRequest) -> ChargeCreated:
        charge = await self.ledger.open(request.idempotency_key, request.payment_id,
                                        request.amount)
        return ChargeCreated(
            provider_reference=f"sbx_{request.payment_id}",
            status=_STATUS[charge.status],
            checkout_url=f"{self._base}/sandbox/checkout/{request.payment_id}",
            instructions="Open the checkout page to approve or decline this sandbox payment.",
        )

    async def status(self, payment_id: str, provider_reference: str | None) -> ChargeStatus:
        charge = await self.ledger.get(payment_id)
        if charge is None:
            return ChargeStatus(status=PaymentStatus.pending)
        return ChargeStatus(status=_STATUS[charge.status], provider_reference=provider_reference)

    async def refund(self, order: RefundOrder,
                     remember: RememberReference | None = None) -> RefundOutcome:
        charge = await self.ledger.get(order.payment_id)
        if charge is None or charge.status not in ("succeeded", "refunded"):
            raise ProviderError("only a succeeded sandbox charge can be refunded")
        await self.ledger.settle(order.payment_id, "refunded")
        return RefundOutcome(reference=f"sbx_refund_{order.payment_id}",
                             status=RefundStatus.succeeded)

    async def refund_status(self, payment_id: str, refund_reference: str | None
                            ) -> RefundOutcome:
        charge = await self.ledger.get(payment_id)
        refunded = charge is not None and charge.status == "refunded"
        return RefundOutcome(reference=refund_reference,
                             status=RefundStatus.succeeded if refunded else RefundStatus.failed)

    async def cancel(self, payment_id: str, provider_reference: str | None) -> None:
        await self.ledger.settle(payment_id, "canceled")

    def signature(self, body: bytes) -> str:
        return sign(self._secret, body)

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes,
                            query: Mapping[str, str],
                            lookup: ReferenceLookup | None = None) -> WebhookEvent:
        header = headers.get(SIGNATURE_HEADER, "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        try:
            ts = int(parts["t"])
        except (KeyError, ValueError) as err:
            raise InvalidWebhook("missing sandbox signature") from err
        expected = sign(self._secret, body, ts).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise InvalidWebhook("bad sandbox signature")
        if abs(time.time() - ts) > TOLERANCE_SECONDS:
            raise InvalidWebhook("sandbox signature too old")
        try:
            event = _SandboxEvent.model_validate_json(body)
        except ValidationError as err:
            raise InvalidWebhook("not a sandbox event") from err
        status = {"succeeded": PaymentStatus.succeeded, "failed": PaymentStatus.failed,
                  "refunded": PaymentStatus.refunded}.get(event.data.status)
        return WebhookEvent(event_id=event.id, payment_id=event.data.payment_id, status=status,
                            provider_reference=f"sbx_{event.data.payment_id}")


class _SandboxEventData(BaseModel):
    payment_id: str
    status: str


class _SandboxEvent(BaseModel):
    id: str
    type: str
    data: _SandboxEventData
