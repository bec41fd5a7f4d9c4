"""Twilio adapter: the Programmable Messaging API through the official SDK (async client)."""

from __future__ import annotations

from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from core.settings import SmsSettings
from providers.sms.base import SmsMessage


class TwilioError(RuntimeError):
    pass


class TwilioSmsSender:
    name = "twilio"

    def __init__(self, settings: SmsSettings) -> None:
        if not all((settings.twilio_account_sid, settings.twilio_auth_token,
                    settings.twilio_from)):
            raise ValueError(
                "ESAME_SMS__TWILIO_ACCOUNT_SID, ESAME_SMS__TWILIO_AUTH_TOKEN and "
                "ESAME_SMS__TWILIO_FROM are required for the Twilio adapter"
            )
        self._settings = settings

    def _client(self) -> Client:
        # A client per send: the aiohttp session behind it belongs to the running loop.
        client = Client(
            self._settings.twilio_account_sid,
            self._settings.twilio_auth_token,
            http_client=AsyncTwilioHttpClient(),
        )
        client.api.base_url = self._settings.twilio_base_url
        return client

    async def send(self, message: SmsMessage) -> str | None:
        client = self._client()
        try:
            sent = await client.messages.create_async(
                to=message.to, from_=self._settings.twilio_from, body=message.body
            )
        except TwilioRestException as err:
            raise TwilioError(f"Twilio refused the SMS: {err.status} {err.msg}") from err
        finally:
            http = client.http_client
            if isinstance(http, AsyncTwilioHttpClient):
                await http.close()
        return sent.sid
