"""The SMS Protocol and the factory that picks the adapter named in settings."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from core.settings import SmsSettings


class SmsMessage(BaseModel):
    to: str
    body: str
    idempotency_key: str


class SmsSender(Protocol):
    name: str

    async def send(self, message: SmsMessage) -> str | None:
        """Send; return the provider's message id when it gives one."""
        ...


def build_sms_sender(settings: SmsSettings) -> SmsSender:
    if settings.provider == "twilio":
        from providers.sms.twilio import TwilioSmsSender

        return TwilioSmsSender(settings)
    from providers.sms.outbox import OutboxSmsSender

    return OutboxSmsSender()
