"""The email and SMS adapters against local peers that speak the real protocols:
an aiosmtpd SMTP server, and HTTP servers answering as SendGrid v3 mail-send and Twilio's
Messages API do."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from temporalio.testing import ActivityEnvironment
from werkzeug import Request, Response

from activities.messaging import MessagingActivities
from core.settings import EmailSettings, SmsSettings
from db.models import Message
from domain.messages import Channel, SendMessage
from providers.email import EmailMessage, build_email_sender
from providers.email.sendgrid import SendGridError
from providers.sms import SmsMessage, build_sms_sender
from providers.sms.outbox import OutboxSmsSender
from providers.sms.twilio import TwilioError


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _email(key: str = "account-1:validation") -> EmailMessage:
    return EmailMessage(to="amina@example.test", subject="Confirmez votre compte E-same",
                        body="Bonjour Amina,\nhttps://esame/validate?token=abc",
                        template="account_validation",
                        data={"validation_url": "https://esame/validate?token=abc"},
                        idempotency_key=key)


async def test_smtp_adapter_delivers_to_a_real_smtp_server(smtp_server) -> None:
    inbox, port = smtp_server
    sender = build_email_sender(EmailSettings(provider="smtp", smtp_port=port,
                                              sender="E-same <no-reply@esame.cm>"))
    message_id = await sender.send(_email())
    mail_from, rcpts, content = inbox.envelopes[0]
    assert mail_from == "no-reply@esame.cm" and rcpts == ["amina@example.test"]
    parsed = message_from_bytes(content)
    assert parsed["Subject"] == "Confirmez votre compte E-same"
    assert parsed["Message-ID"] == message_id
    # The same message retried carries the same Message-ID, so a duplicate can be dropped.
    assert await sender.send(_email()) == message_id
    payload = parsed.get_payload(decode=True)
    assert isinstance(payload, bytes) and b"token=abc" in payload


async def test_smtp_adapter_fails_loudly_when_no_server_answers() -> None:
    sender = build_email_sender(EmailSettings(provider="smtp", smtp_port=_free_port()))
    with pytest.raises(OSError):
        await sender.send(_email())


def _sendgrid_settings(httpserver: HTTPServer, **extra: object) -> EmailSettings:
    return EmailSettings(provider="sendgrid", sendgrid_api_key="SG.test-key",
                         sendgrid_host=httpserver.url_for("").rstrip("/"),
                         sender="E-same <no-reply@esame.cm>", **extra)  # type: ignore[arg-type]


async def test_sendgrid_adapter_posts_v3_mail_send(httpserver: HTTPServer) -> None:
    received: list[dict] = []

    def mail_send(request: Request) -> Response:
        assert request.headers["Authorization"] == "Bearer SG.test-key"
        received.append(json.loads(request.data))
        return Response("", status=202, headers={"X-Message-Id": "sg-msg-42"})

    httpserver.expect_request("/v3/mail/send", method="POST").respond_with_handler(mail_send)
    sender = build_email_sender(_sendgrid_settings(httpserver))
    assert await sender.send(_email()) == "sg-msg-42"
    body = received[0]
    assert body["from"] == {"email": "no-reply@esame.cm", "name": "E-same"}
    assert body["personalizations"][0]["to"] == [{"email": "amina@example.test"}]
    assert body["subject"] == "Confirmez votre compte E-same"
    assert body["content"][0]["value"].startswith("Bonjour Amina")


async def test_sendgrid_adapter_sends_mapped_templates_as_dynamic_templates(
    httpserver: HTTPServer,
) -> None:
    received: list[dict] = []

    def mail_send(request: Request) -> Response:
        received.append(json.loads(request.data))
        return Response("", status=202, headers={"X-Message-Id": "sg-msg-43"})

    httpserver.expect_request("/v3/mail/send", method="POST").respond_with_handler(mail_send)
    settings = _sendgrid_settings(
        httpserver, sendgrid_templates={"account_validation": "d-1234567890"})
    await build_email_sender(settings).send(_email())
    body = received[0]
    assert body["template_id"] == "d-1234567890"
    assert body["personalizations"][0]["dynamic_template_data"] == {
        "validation_url": "https://esame/validate?token=abc"}
    assert "content" not in body


async def test_sendgrid_rejection_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v3/mail/send", method="POST").respond_with_json(
        {"errors": [{"message": "The from address does not match a verified Sender"}]},
        status=403)
    with pytest.raises(SendGridError, match="403"):
        await build_email_sender(_sendgrid_settings(httpserver)).send(_email())


def _twilio_settings(httpserver: HTTPServer) -> SmsSettings:
    return SmsSettings(provider="twilio", twilio_account_sid="AC123", twilio_auth_token="tok",
                       twilio_from="+15005550006",
                       twilio_base_url=httpserver.url_for("").rstrip("/"))


async def test_twilio_adapter_creates_a_message(httpserver: HTTPServer) -> None:
    received: list[dict] = []

    def create_message(request: Request) -> Response:
        auth = base64.b64decode(request.headers["Authorization"].split()[1]).decode()
        assert auth == "AC123:tok"
        received.append(dict(request.form))
        return Response(json.dumps({
            "sid": "SM0123456789abcdef0123456789abcdef", "status": "queued",
            "to": request.form["To"], "from": request.form["From"], "body": request.form["Body"],
            "account_sid": "AC123", "num_segments": "1", "direction": "outbound-api",
        }), status=201, content_type="application/json")

    httpserver.expect_request("/2010-04-01/Accounts/AC123/Messages.json",
                              method="POST").respond_with_handler(create_message)
    sender = build_sms_sender(_twilio_settings(httpserver))
    sid = await sender.send(SmsMessage(to="+237670000001", body="Votre code E-same : 123456",
                                       idempotency_key="k"))
    assert sid == "SM0123456789abcdef0123456789abcdef"
    assert received == [{"To": "+237670000001", "From": "+15005550006",
                         "Body": "Votre code E-same : 123456"}]


async def test_twilio_error_is_raised(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/2010-04-01/Accounts/AC123/Messages.json",
                              method="POST").respond_with_json(
        {"code": 21211, "message": "The 'To' number is not a valid phone number.",
         "status": 400}, status=400)
    with pytest.raises(TwilioError, match="400"):
        await build_sms_sender(_twilio_settings(httpserver)).send(
            SmsMessage(to="+0", body="x", idempotency_key="k"))


@pytest.mark.db
async def test_send_message_activity_sends_once_per_key(sessions, smtp_server) -> None:
    inbox, port = smtp_server
    activities = MessagingActivities(
        sessions, build_email_sender(EmailSettings(provider="smtp", smtp_port=port)),
        OutboxSmsSender())
    command = SendMessage(idempotency_key="account-u1:validation", channel=Channel.email,
                          to="amina@example.test", template="account_validation",
                          language="fr", data={"first_name": "Amina",
                                               "validation_url": "https://x/?token=t",
                                               "expires_at": "2026-12-03"})
    env = ActivityEnvironment()
    first = await env.run(activities.send_message, command)
    second = await env.run(activities.send_message, command)
    assert not first.already_sent and second.already_sent
    assert first.message_id == second.message_id
    assert len(inbox.envelopes) == 1
    async with sessions() as session:
        stored = (await session.scalars(select(Message))).all()
    assert [(m.status, m.provider, m.subject) for m in stored] == [
        ("sent", "smtp", "Confirmez votre compte E-same")]
