"""SMTP adapter (any mail server or relay), on the standard library's smtplib."""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
from email.message import EmailMessage as MimeMessage

from core.settings import EmailSettings
from providers.email.base import EmailMessage


class SmtpEmailSender:
    name = "smtp"

    def __init__(self, settings: EmailSettings) -> None:
        self._settings = settings

    async def send(self, message: EmailMessage) -> str | None:
        # smtplib blocks: keep it off the event loop the worker polls Temporal on.
        return await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> str:
        s = self._settings
        mime = MimeMessage()
        mime["From"] = s.sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        # Same Message-ID for a retried send: receiving servers can drop the duplicate.
        digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
        message_id = f"<{digest}@esame>"
        mime["Message-ID"] = message_id
        mime["X-Esame-Template"] = message.template
        mime.set_content(message.body)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password)
            smtp.send_message(mime)
        return message_id
