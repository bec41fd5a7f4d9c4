"""SendGrid adapter: the v3 mail-send API through the official SDK.

A template mapped in settings (`sendgrid_templates`: E-same template name -> SendGrid
dynamic template id) is sent as a dynamic template with `data` as its variables; any other
is sent as the subject and text rendered by E-same.
"""

from __future__ import annotations

import asyncio
from email.utils import parseaddr
from typing import Any

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from core.settings import EmailSettings
from providers.email.base import EmailMessage


class SendGridError(RuntimeError):
    pass


class SendGridEmailSender:
    name = "sendgrid"

    def __init__(self, settings: EmailSettings) -> None:
        if not settings.sendgrid_api_key:
            raise ValueError("ESAME_EMAIL__SENDGRID_API_KEY is required for the SendGrid adapter")
        self._settings = settings
        self._client = SendGridAPIClient(
            api_key=settings.sendgrid_api_key, host=settings.sendgrid_host
        )

    def payload(self, message: EmailMessage) -> dict[str, Any]:
        sender_name, sender_email = parseaddr(self._settings.sender)
        personalization: dict[str, Any] = {"to": [{"email": message.to}]}
        body: dict[str, Any] = {
            "from": {"email": sender_email, "name": sender_name or "E-same"},
            "personalizations": [personalization],
            "custom_args": {"idempotency_key": message.idempotency_key},
            "categories": [message.template],
        }
        template_id = self._settings.sendgrid_templates.get(message.template)
        if template_id:
            body["template_id"] = template_id
            personalization["dynamic_template_data"] = message.data
        else:
            body["subject"] = message.subject
            body["content"] = [{"type": "text/plain", "value": message.body}]
        return body

    async def send(self, message: EmailMessage) -> str | None:
        return await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> str | None:
        try:
            response = self._client.client.mail.send.post(request_body=self.payload(message))
        except HTTPError as err:
            raise SendGridError(f"SendGrid refused the message: {err.status_code} "
                                f"{err.body!r}") from err
        headers = response.headers
        message_id = headers.get("X-Message-Id") if hasattr(headers, "get") else None
        return str(message_id) if message_id else None
