"""The local default: nothing leaves the machine; the message log is the outbox."""

import logging

from providers.email.base import EmailMessage

log = logging.getLogger(__name__)


class OutboxEmailSender:
    name = "outbox"

    async def send(self, message: EmailMessage) -> str | None:
        log.debug("outbox email to %s: %s", message.to, message.subject)
        return None
