"""Outgoing messages (email and SMS): the activity input and the templates, in fr and en.

A template is named (`account_validation`, ...) and filled from `data`, the same variables a
SendGrid dynamic template would receive.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from domain.activity_ref import ActivityRef
from domain.templates import Templates
from domain.templates.account_settings import ACCOUNT_SETTINGS_TEMPLATES
from domain.templates.accounts import ACCOUNT_TEMPLATES
from domain.templates.appointments import APPOINTMENT_TEMPLATES
from domain.templates.billing import BILLING_TEMPLATES
from domain.templates.opinions import OPINION_TEMPLATES
from domain.templates.pharmacy import PHARMACY_TEMPLATES
from domain.templates.professionals import PROFESSIONAL_TEMPLATES
from domain.templates.record_fills import RECORD_FILL_TEMPLATES
from domain.templates.sponsorships import SPONSORSHIP_TEMPLATES


class Channel(StrEnum):
    email = "email"
    sms = "sms"


class SendMessage(BaseModel):
    """Input of the `send_message` activity."""

    idempotency_key: str = Field(description="Derived from the business id: one send per key.")
    channel: Channel
    to: str
    template: str
    language: str = "fr"
    data: dict[str, Any] = Field(default_factory=dict)
    user_id: str | None = None
    # Values the message shows but the message log keeps sealed (a pickup code): rendered
    # and sent to the provider, stored encrypted, masked in the stored body. Never sent
    # through Temporal: an activity that composes such a message sends it itself.
    secret: dict[str, str] = Field(default_factory=dict)


SECRET_MASK = "••••••••"


class MessageSent(BaseModel):
    """Output of the `send_message` activity."""

    message_id: str
    channel: Channel
    provider: str
    already_sent: bool = False
    note: str | None = None


class RenderedMessage(BaseModel):
    subject: str
    body: str


class OutboxItem(BaseModel):
    channel: Channel
    to: str
    template: str
    data: dict[str, Any]
    subject: str | None
    body: str
    sent_at: datetime | None
    provider: str | None = None
    note: str | None = None


# template -> language -> (subject, body), one module per area. Bodies use str.format
# with `data`.
TEMPLATES: Templates = {
    **ACCOUNT_TEMPLATES,
    **ACCOUNT_SETTINGS_TEMPLATES,
    **BILLING_TEMPLATES,
    **PROFESSIONAL_TEMPLATES,
    **RECORD_FILL_TEMPLATES,
    **OPINION_TEMPLATES,
    **APPOINTMENT_TEMPLATES,
    **PHARMACY_TEMPLATES,
    **SPONSORSHIP_TEMPLATES,
}


class UnknownTemplate(ValueError):
    pass


def render(template: str, language: str, data: dict[str, Any]) -> RenderedMessage:
    """Fill a template in the user's language (English if it has no such translation)."""
    try:
        variants = TEMPLATES[template]
    except KeyError as err:
        raise UnknownTemplate(template) from err
    subject, body = variants.get(language) or variants["en"]

    class _Missing(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    values = _Missing(data)
    return RenderedMessage(subject=subject.format_map(values), body=body.format_map(values))


# --- activity references (name, input, output) ------------------------------------------

SEND_MESSAGE = ActivityRef("send_message", SendMessage, MessageSent)
