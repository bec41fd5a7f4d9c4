"""The email Protocol and the factory that picks the adapter named in settings."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel

from core.settings import EmailSettings


class EmailMessage(BaseModel):
    to: str
    subject: str
    body: str
    template: str
    data: dict[str, Any] = {}
    idempotency_key: str


class EmailSender(Protocol):
    name: str

    async def send(self, message: EmailMessage) -> str | None:
        """Send; return the provider's message id when it gives one."""
        ...


def build_email_sender(settings: EmailSettings) -> EmailSender:
    if settings.provider == "smtp":
        from providers.email.smtp import SmtpEmailSender

        return SmtpEmailSender(settings)
    if settings.provider == "sendgrid":
        from providers.email.sendgrid import SendGridEmailSender

        return SendGridEmailSender(settings)
    from providers.email.outbox import OutboxEmailSender

    return OutboxEmailSender()
