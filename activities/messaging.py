"""Sending email and SMS, exactly once per idempotency key."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.exceptions import ApplicationError

from activities.defn import implements
from core.security import seal
from db.base import utcnow
from db.engine import SessionMaker
from db.models import Balance, Message, User
from db.queries.entitlements import load_facts
from domain.entitlements import sms_to_consume
from domain.ids import new_id
from domain.messages import (
    SECRET_MASK,
    SEND_MESSAGE,
    Channel,
    MessageSent,
    SendMessage,
    UnknownTemplate,
    render,
)
from providers.email import EmailMessage, EmailSender
from providers.sms import SmsMessage, SmsSender


class MessagingActivities:
    def __init__(self, sessions: SessionMaker, email: EmailSender, sms: SmsSender,
                 secret_key: str | None = None) -> None:
        self._sessions = sessions
        self._email = email
        self._sms = sms
        # Seals a message's `secret` values in the log (core.security.seal).
        self._secret_key = secret_key

    @implements(SEND_MESSAGE)
    async def send_message(self, command: SendMessage) -> MessageSent:
        try:
            render(command.template, command.language, command.data)
        except UnknownTemplate as err:
            raise ApplicationError(
                f"unknown message template {err}", type="UnknownTemplate", non_retryable=True
            ) from err

        async with self._sessions() as session, session.begin():
            message = await session.scalar(
                select(Message).where(Message.idempotency_key == command.idempotency_key)
            )
            note = None
            if message is None and command.channel is Channel.sms and command.user_id:
                command, note = await self._consume_sms(session, command)
            if message is not None:
                note = message.note
                # A retry: send what was recorded (the SMS balance was settled then).
                command = command.model_copy(update={"channel": Channel(message.channel),
                                                     "to": message.to})
            rendered = render(command.template, command.language,
                              {**command.data, **command.secret})
            logged = rendered if not command.secret else render(
                command.template, command.language,
                {**command.data, **dict.fromkeys(command.secret, SECRET_MASK)})
            provider = (self._email.name if command.channel is Channel.email
                        else self._sms.name)
            if message is not None and message.status == "sent":
                return MessageSent(
                    message_id=message.id,
                    channel=Channel(message.channel),
                    provider=message.provider,
                    already_sent=True,
                    note=message.note,
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
                    data={**command.data, **self._sealed(command.secret)},
                    subject=logged.subject if command.channel is Channel.email else None,
                    body=logged.body,
                    provider=provider,
                    status="sending",
                    note=note,
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
            await session.execute(
                update(Message).where(Message.id == message_id)
                .values(status="sent", sent_at=utcnow(), provider_message_id=provider_id))
        return MessageSent(message_id=message_id, channel=command.channel, provider=provider,
                           note=note)

    def _sealed(self, secret: dict[str, str]) -> dict[str, str]:
        if not secret:
            return {}
        if self._secret_key is None:
            raise ApplicationError("a message with secret values needs the server secret",
                                   type="NoSecretKey", non_retryable=True)
        return {name: seal(self._secret_key, value) for name, value in secret.items()}

    async def _consume_sms(
        self, session: AsyncSession, command: SendMessage
    ) -> tuple[SendMessage, str | None]:
        """Take one SMS from the user's balance, or turn the message into an email."""
        assert command.user_id is not None
        facts, balances = await load_facts(session, command.user_id)
        source = sms_to_consume(facts, balances, utcnow())
        column = {"plan": Balance.sms_plan, "purchased": Balance.sms_purchased}.get(
            source or "")
        if column is not None:
            taken = await session.execute(
                update(Balance).where(Balance.user_id == command.user_id, column > 0)
                .values({column: column - 1}))
            if taken.rowcount:  # type: ignore[attr-defined]
                return command, None
        email = await session.scalar(select(User.email).where(User.id == command.user_id))
        if not email:
            return command, "No SMS balance left and no email address: SMS sent anyway."
        return (command.model_copy(update={"channel": Channel.email, "to": email}),
                f"No SMS balance left: sent by email instead of SMS to {command.to}.")
