"""The local default: nothing leaves the machine; the message log is the outbox."""

import logging

from providers.sms.base import SmsMessage

log = logging.getLogger(__name__)


class OutboxSmsSender:
    name = "outbox"

    async def send(self, message: SmsMessage) -> str | None:
        log.debug("outbox sms to %s", message.to)
        return None
