"""The codec endpoint (Temporal's codec server protocol): admins decode, nobody else does in
production, bad input is a 400, browsers of the configured Temporal UIs may call it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.app import create_app
from api.routers.temporal_codec import PREFIX, SESSION_COOKIE
from core.payload_codec import ENCODING, KEY_ID, EncryptionCodec
from core.settings import Settings
from db.engine import SessionMaker
from db.models import AuditEntry
from domain.accounts import AccountStatus, Role
from tests.codec.support import (
    KEY_A,
    KEY_B,
    as_protobuf_json,
    from_protobuf_json,
    json_payload,
    production,
)
from tests.support.users import make_user

pytestmark = pytest.mark.db

PATIENT_DATA = {"first_name": "Awa", "reason": "chest pain for three days"}
NAMESPACE = {"X-Namespace": "default"}


@pytest.fixture
def prod_settings(settings: Settings) -> Settings:
    return production(settings)


@pytest.fixture
async def prod_api(prod_settings: Settings,
                   sessions: SessionMaker) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(prod_settings, sessions=sessions)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="https://api.esame.test") as client:
        yield client


def _encrypted(value: Any = PATIENT_DATA, codec: EncryptionCodec | None = None) -> Any:
    return (codec or EncryptionCodec([KEY_A])).encrypt(json_payload(value))


async def _decode(api: httpx.AsyncClient, body: Any, **headers: str) -> httpx.Response:
    return await api.post(f"{PREFIX}/decode", json=body, headers={**NAMESPACE, **headers})


async def test_an_admin_decodes_and_the_read_is_audited(prod_api, prod_settings,
                                                         sessions) -> None:
    admin = await make_user(sessions, prod_settings, Role.admin)
    clear = json_payload("kept as it is")  # a payload of a history older than the codec
    response = await _decode(prod_api, as_protobuf_json(_encrypted(), clear), **admin.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert from_protobuf_json(response.json()) == [json_payload(PATIENT_DATA), clear]
    async with sessions() as session:
        (entry,) = (await session.scalars(select(AuditEntry))).all()
    assert (entry.actor_id, entry.action, entry.outcome) == (
        admin.id, "temporal.decode", "allowed")


async def test_encode_then_decode_round_trips_with_the_newest_key(
        prod_api, prod_settings, sessions) -> None:
    admin = await make_user(sessions, prod_settings, Role.admin)
    encoded = await prod_api.post(f"{PREFIX}/encode", headers={**NAMESPACE, **admin.headers},
                                  json=as_protobuf_json(json_payload(PATIENT_DATA)))
    assert encoded.status_code == 200, encoded.text
    (payload,) = from_protobuf_json(encoded.json())
    assert payload.metadata["encoding"] == ENCODING and payload.metadata[KEY_ID] == b"2026-a"
    assert b"chest pain" not in payload.data
    decoded = await _decode(prod_api, encoded.json(), **admin.headers)
    assert from_protobuf_json(decoded.json()) == [json_payload(PATIENT_DATA)]


@pytest.mark.parametrize("role", [Role.patient, Role.doctor, Role.pharmacist])
async def test_no_one_else_decodes_in_production(prod_api, prod_settings, sessions,
                                                 role: Role) -> None:
    user = await make_user(sessions, prod_settings, role)
    for path in ("decode", "encode", "session"):
        response = await prod_api.post(f"{PREFIX}/{path}", headers={**NAMESPACE, **user.headers},
                                       json=as_protobuf_json(_encrypted()))
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "chest pain" not in response.text
    async with sessions() as session:
        entries = (await session.scalars(select(AuditEntry))).all()
    assert {(e.actor_id, e.outcome) for e in entries} == {(user.id, "denied")}


async def test_no_token_a_bad_token_or_an_inactive_admin(prod_api, prod_settings,
                                                         sessions) -> None:
    body = as_protobuf_json(_encrypted())
    assert (await _decode(prod_api, body)).status_code == 401
    assert (await _decode(prod_api, body, Authorization="Bearer not-a-token")).status_code == 401
    other_secret = production(prod_settings.model_copy(update={"secret_key": "o" * 48}))
    forged = await make_user(sessions, other_secret, Role.admin)
    assert (await _decode(prod_api, body, **forged.headers)).status_code == 401
    pending = await make_user(sessions, prod_settings, Role.admin,
                              status=AccountStatus.email_validated)
    assert (await _decode(prod_api, body, **pending.headers)).status_code == 403


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"payloads": "x"}', b'{"payloads": [{"data": "%%%"}]}',
    b'{"payloads": [{"metadata": {"encoding": 3}}]}', b'{"unknown": 1}', b"[" * 5000,
    b'{"payloads": [{"data": "AAAA"',
], ids=["text", "list", "not-a-list", "bad-base64", "bad-metadata", "unknown-field",
        "deep", "truncated"])
async def test_bad_protobuf_json_is_a_400(prod_api, prod_settings, sessions,
                                          body: bytes) -> None:
    admin = await make_user(sessions, prod_settings, Role.admin)
    response = await prod_api.post(f"{PREFIX}/decode", content=body, headers={
        **NAMESPACE, **admin.headers, "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_payloads_that_do_not_decrypt_are_a_400(prod_api, prod_settings,
                                                      sessions) -> None:
    admin = await make_user(sessions, prod_settings, Role.admin)
    unknown_key = _encrypted(codec=EncryptionCodec([KEY_B]))
    tampered = _encrypted()
    tampered.data = tampered.data[:-1] + bytes([tampered.data[-1] ^ 1])
    for payload in (unknown_key, tampered):
        response = await _decode(prod_api, as_protobuf_json(payload), **admin.headers)
        assert response.status_code == 400, response.text
        assert "2027-b" in response.text or "does not decrypt" in response.text


async def test_another_namespace_or_content_type_is_refused(prod_api, prod_settings,
                                                            sessions) -> None:
    admin = await make_user(sessions, prod_settings, Role.admin)
    body = as_protobuf_json(_encrypted())
    other = await _decode(prod_api, body, **{**admin.headers, "X-Namespace": "payroll"})
    assert other.status_code == 400 and "'default'" in other.json()["detail"]
    # The namespace may also be left out (a client that only knows the URL).
    ours = await prod_api.post(f"{PREFIX}/decode", json=body, headers=admin.headers)
    assert ours.status_code == 200
    form = await prod_api.post(f"{PREFIX}/decode", content=b"payloads=x", headers={
        **admin.headers, **NAMESPACE, "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415


async def test_the_configured_temporal_ui_may_call_it_from_a_browser(prod_api, prod_settings,
                                                                     sessions) -> None:
    cloud = "https://cloud.temporal.io"
    preflight = await prod_api.options(f"{PREFIX}/decode", headers={
        "Origin": cloud, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace,authorization"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == cloud
    assert preflight.headers["access-control-allow-credentials"] == "true"
    allowed = {h.strip() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-namespace", "authorization"} <= allowed
    assert "POST" in preflight.headers["access-control-allow-methods"]

    # An error still tells the UI what happened (it can read the 401).
    refused = await _decode(prod_api, as_protobuf_json(_encrypted()), Origin=cloud)
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == cloud

    elsewhere = "https://evil.example"
    assert (await prod_api.options(f"{PREFIX}/decode", headers={
        "Origin": elsewhere, "Access-Control-Request-Method": "POST"})).status_code == 403
    admin = await make_user(sessions, prod_settings, Role.admin)
    answered = await _decode(prod_api, as_protobuf_json(_encrypted()), Origin=elsewhere,
                             **admin.headers)
    assert "access-control-allow-origin" not in answered.headers


async def test_a_browser_session_lets_the_ui_send_a_cookie(prod_api, prod_settings,
                                                           sessions) -> None:
    admin = await make_user(sessions, prod_settings, Role.admin)
    assert (await prod_api.post(f"{PREFIX}/session")).status_code == 401
    opened = await prod_api.post(f"{PREFIX}/session", headers=admin.headers)
    assert opened.status_code == 204
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and f"Path={PREFIX}" in cookie
    for attribute in ("HttpOnly", "Secure", "SameSite=none"):
        assert attribute.lower() in cookie.lower()
    # The client now holds the cookie, as the browser would: no Authorization header.
    decoded = await _decode(prod_api, as_protobuf_json(_encrypted()))
    assert decoded.status_code == 200, decoded.text
    closed = await prod_api.delete(f"{PREFIX}/session")
    assert closed.status_code == 204
    assert (await _decode(prod_api, as_protobuf_json(_encrypted()))).status_code == 401


async def test_in_dev_the_dev_servers_ui_decodes_without_signing_in(api, settings,
                                                                    sessions) -> None:
    """`make run`: the dev server's UI calls the endpoint with no token; the dev key is
    public anyway. A token, when one is sent, must still be an admin's."""
    dev = EncryptionCodec(settings.temporal.codec.keys)
    ui = f"http://127.0.0.1:{settings.dev_server.ui_port}"
    response = await _decode(api, as_protobuf_json(_encrypted(codec=dev)), Origin=ui)
    assert response.status_code == 200, response.text
    assert from_protobuf_json(response.json()) == [json_payload(PATIENT_DATA)]
    assert response.headers["access-control-allow-origin"] == ui
    preflight = await api.options(f"{PREFIX}/decode", headers={
        "Origin": f"http://localhost:{settings.dev_server.ui_port}",
        "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    patient = await make_user(sessions, settings, Role.patient)
    assert (await _decode(api, as_protobuf_json(_encrypted(codec=dev)),
                          **patient.headers)).status_code == 403
    patient = await make_user(sessions, settings, Role.patient)
    assert (await _decode(api, as_protobuf_json(_encrypted(codec=dev)),
                          **patient.headers)).status_code == 403
