"""Sending email and SMS, exactly once per idempotency key."""

from __future__ import annotations

from sqlalchemy import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.base import utcnow
from db.engine import SessionMaker
from db.models import Message
from domain.ids import new_id
from domain.messages import Channel, MessageSent, SendMessage, UnknownTemplate, render
from providers.email import EmailMessage, EmailSender
from providers.sms import SmsMessage, SmsSender


class MessagingActivities:
    def __init__(self, sessions: SessionMaker, email: EmailSender, sms: SmsSender) -> None:
        self._sessions = sessions
        self._email = email
        self._sms = sms

    @activity.defn(name="send_message")
    async def send_message(self, command: SendMessage) -> MessageSent:
        try:
            rendered = render(command.template, command.language, command.data)
        except UnknownTemplate as err:
            raise ApplicationError(
                f"unknown message template {err}", type="UnknownTemplate", non_retryable=True
            ) from err
        provider = self._email.name if command.channel is Channel.email else self._sms.name

        async with self._sessions() as session, session.begin():
            message = await session.scalar(
                select(Message).where(Message.idempotency_key == command.idempotency_key)
            )
            if message is not None and message.status == "sent":
                return MessageSent(
                    message_id=message.id,
                    channel=Channel(message.channel),
                    provider=message.provider,
                    already_sent=True,
                )
            if message is None:
                message = Message(
                    id=new_id(),
                    idempotency_key=command.idempotency_key,
                    channel=command.channel.value,
                    to=command.to,
                    user_id=command.user_id,
                    template=command.template,
                    language=command.language,
                    data=command.data,
                    subject=rendered.subject if command.channel is Channel.email else None,
                    body=rendered.body,
                    provider=provider,
                    status="sending",
                )
                session.add(message)
            message_id = message.id

        if command.channel is Channel.email:
            provider_id = await self._email.send(
                EmailMessage(
                    to=command.to,
                    subject=rendered.subject,
                    body=rendered.body,
                    template=command.template,
                    data=command.data,
                    idempotency_key=command.idempotency_key,
                )
            )
        else:
            provider_id = await self._sms.send(
                SmsMessage(
                    to=command.to, body=rendered.body, idempotency_key=command.idempotency_key
                )
            )

        async with self._sessions() as session, session.begin():
            stored = await session.get(Message, message_id)
            assert stored is not None
            stored.status = "sent"
            stored.sent_at = utcnow()
            stored.provider_message_id = provider_id
        return MessageSent(message_id=message_id, channel=command.channel, provider=provider)
