"""Account settings end to end: my details, my password, and a password reset by email
link (the HTTP API, the real worker on the dev server, links read from the dev outbox)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from db.engine import SessionMaker
from db.models import Message, PasswordReset, PasswordResetAttempt, User
from domain.accounts import AccountStatus, Role
from domain.ids import password_reset_workflow_id
from tests.accounts.flows import activate, delivered, new_email, outbox
from tests.support.users import PASSWORD, make_user

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("worker")]

NEW_PASSWORD = "a brand new passphrase"
RESET = "/api/v1/auth/password-reset"


async def sign_in(api: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await api.post("/api/v1/auth/token", data={"username": email, "password": password})


def bearer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def reset_token(message: dict[str, Any]) -> str:
    url = urlparse(message["data"]["reset_url"])
    assert url.path.endswith("/reset-password")
    return parse_qs(url.query)["token"][0]


async def _user_row(sessions: SessionMaker, user_id: str) -> User:
    async with sessions() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user


# --- my details -------------------------------------------------------------------------

async def test_patch_me_changes_the_details_given_and_keeps_the_rest(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings
) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient, phone="+237670000001",
                           address_line="Rue 1")
    changed = await api.patch("/api/v1/me", headers=user.headers, json={
        "first_name": "  Aïcha ", "phone": "+33 6 12 34 56 78", "city": "Lyon",
        "language": "fr", "timezone": "Africa/Douala", "currency": "xaf"})
    assert changed.status_code == 200, changed.text
    me = changed.json()
    assert me["first_name"] == "Aïcha" and me["last_name"] == user.id[:6]
    assert me["profile"]["phone"] == "+33612345678" and me["profile"]["city"] == "Lyon"
    assert me["profile"]["language"] == "fr"
    assert (me["profile"]["timezone"], me["profile"]["currency"]) == ("Africa/Douala", "XAF")
    assert me["profile"]["address_line"] == "Rue 1" and me["profile"]["country"] == "CM"
    assert (await api.get("/api/v1/me", headers=user.headers)).json() == me
    assert (await api.patch("/api/v1/me", headers=user.headers, json={})).json() == me


async def test_patch_me_refuses_fixed_fields_changed_and_bad_values(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings
) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient)
    before = (await api.get("/api/v1/me", headers=user.headers)).json()
    for body in ({"timezone": "Europe/Paris"}, {"currency": "EUR"},
                 {"first_name": "Awa", "currency": "EUR"}):
        refused = await api.patch("/api/v1/me", headers=user.headers, json=body)
        assert refused.status_code == 409, body
        assert refused.headers["content-type"] == "application/problem+json"
    bad: list[tuple[dict[str, Any], str]] = [
        ({"phone": "670000001"}, "phone"), ({"first_name": "   "}, "first_name"),
        ({"language": "de"}, "language"), ({"email": "new@example.com"}, "email"),
        ({"phone": None}, "phone"), ({"last_name": "x" * 101}, "last_name"),
    ]
    for body, field in bad:
        response = await api.patch("/api/v1/me", headers=user.headers, json=body)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json()["errors"]] == [field], response.json()
    assert (await api.get("/api/v1/me", headers=user.headers)).json() == before
    assert (await api.patch("/api/v1/me", json={"city": "Kribi"})).status_code == 401

    # Before the profile is saved there is no timezone to keep: it is set with the profile.
    newcomer = await make_user(sessions, e2e_settings, Role.patient,
                               status=AccountStatus.email_validated)
    early = await api.patch("/api/v1/me", headers=newcomer.headers,
                            json={"timezone": "Africa/Douala"})
    assert early.status_code == 409 and "/me/profile" in early.json()["detail"]
    renamed = await api.patch("/api/v1/me", headers=newcomer.headers, json={"last_name": "Bell"})
    assert renamed.status_code == 200 and renamed.json()["last_name"] == "Bell"


# --- my password ------------------------------------------------------------------------

async def test_a_password_change_ends_earlier_sessions_and_keeps_the_account(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings
) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient)
    other_session = bearer(await sign_in(api, user.email, PASSWORD))
    before = (await api.get("/api/v1/me", headers=user.headers)).json()

    wrong = await api.post("/api/v1/me/password", headers=user.headers,
                           json={"current_password": "not it", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 400
    same = await api.post("/api/v1/me/password", headers=user.headers,
                          json={"current_password": PASSWORD, "new_password": PASSWORD})
    assert same.status_code == 422
    short = await api.post("/api/v1/me/password", headers=user.headers,
                           json={"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "new_password"
    assert (await api.get("/api/v1/me", headers=other_session)).status_code == 200

    changed = await api.post("/api/v1/me/password", headers=user.headers,
                             json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 204
    for earlier in (user.headers, other_session):
        assert (await api.get("/api/v1/me", headers=earlier)).status_code == 401
    assert (await sign_in(api, user.email, PASSWORD)).status_code == 401
    fresh = bearer(await sign_in(api, user.email, NEW_PASSWORD))
    assert (await api.get("/api/v1/me", headers=fresh)).json() == before


async def test_wrong_current_passwords_are_limited(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings
) -> None:
    user = await make_user(sessions, e2e_settings, Role.doctor)
    body = {"current_password": "guess", "new_password": NEW_PASSWORD}
    for _ in range(e2e_settings.limits.login_failures_per_window):
        assert (await api.post("/api/v1/me/password", headers=user.headers,
                               json=body)).status_code == 400
    limited = await api.post("/api/v1/me/password", headers=user.headers,
                             json={**body, "current_password": PASSWORD})
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert (await sign_in(api, user.email, PASSWORD)).status_code == 200


# --- password reset ---------------------------------------------------------------------

async def test_a_reset_link_sets_a_new_password_once_and_ends_earlier_sessions(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    temporal_env: WorkflowEnvironment,
) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient)
    before_row = await _user_row(sessions, user.id)
    before = (await api.get("/api/v1/me", headers=user.headers)).json()
    asked = await api.post(RESET, json={"email": user.email.upper()})
    assert asked.status_code == 202
    (message,) = await delivered(api, user.email, "password_reset")
    assert message["data"]["reset_url"].startswith(
        f"{e2e_settings.public_base_url}/reset-password?token=")
    assert message["data"]["expires_at"]
    token = reset_token(message)

    confirmed = await api.post(f"{RESET}/confirm",
                               json={"token": token, "new_password": NEW_PASSWORD})
    assert confirmed.status_code == 204, confirmed.text
    assert (await api.get("/api/v1/me", headers=user.headers)).status_code == 401
    assert (await sign_in(api, user.email, PASSWORD)).status_code == 401
    fresh = bearer(await sign_in(api, user.email, NEW_PASSWORD))
    assert (await api.get("/api/v1/me", headers=fresh)).json() == before
    after_row = await _user_row(sessions, user.id)
    assert after_row.session_version == before_row.session_version + 1
    for column in ("email", "status", "esame_id", "first_name", "timezone", "currency",
                   "consent_at", "activated_at"):
        assert getattr(after_row, column) == getattr(before_row, column), column

    again = await api.post(f"{RESET}/confirm",
                           json={"token": token, "new_password": "yet another password"})
    assert again.status_code == 400 and "used" in again.json()["detail"]
    assert (await sign_in(api, user.email, NEW_PASSWORD)).status_code == 200

    async with sessions() as session:
        (reset,) = (await session.scalars(select(PasswordReset).where(
            PasswordReset.user_id == user.id))).all()
    assert reset.status == "used"
    assert reset.token_hash and token not in reset.token_hash
    client: Client = temporal_env.client
    handle = client.get_workflow_handle(password_reset_workflow_id(reset.id))
    assert (await handle.result())["status"] == "used"
    description = await handle.describe()
    attributes = {p.key.name: p.value for p in description.typed_search_attributes
                  if p.key.name.startswith("Esame")}
    assert attributes == {"EsameStatus": "password_reset_used", "EsamePatientId": user.id}
    assert user.esame_id in (await description.static_summary() or "")


async def test_an_unknown_address_gets_the_same_answer_and_no_email(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings
) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient)
    unknown = new_email("nobody")
    known = await api.post(RESET, json={"email": user.email})
    stranger = await api.post(RESET, json={"email": unknown})
    assert (known.status_code, stranger.status_code) == (202, 202)
    assert known.content == stranger.content
    assert {k: v for k, v in known.headers.items() if k != "date"} == {
        k: v for k, v in stranger.headers.items() if k != "date"}
    await delivered(api, user.email, "password_reset")
    assert await outbox(api, unknown) == []
    async with sessions() as session:
        resets = (await session.scalars(select(PasswordReset))).all()
    assert [r.user_id for r in resets] == [user.id]

    bad = await api.post(RESET, json={"email": "not an address"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "email"


async def test_reset_requests_are_limited_per_address_and_per_client_alike(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings
) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient)
    unknown = new_email("nobody")
    limits = e2e_settings.limits
    for address in (user.email, unknown):
        answers = [(await api.post(RESET, json={"email": address})).status_code
                   for _ in range(limits.password_resets_per_address + 1)]
        assert answers == [202] * limits.password_resets_per_address + [429]
    # Per client: many addresses from the same client.
    sent = 2 * limits.password_resets_per_address
    answers = [(await api.post(RESET, json={"email": new_email()})).status_code
               for _ in range(limits.password_resets_per_client - sent + 1)]
    assert answers[-1] == 429 and set(answers[:-1]) == {202}
    limited = await api.post(RESET, json={"email": new_email()})
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    # The owner got one link per accepted request, each replacing the one before.
    assert len(await delivered(api, user.email, "password_reset",
                               count=limits.password_resets_per_address)) == (
        limits.password_resets_per_address)


async def test_only_the_latest_link_works_and_a_wrong_token_is_400(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings
) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient)
    await api.post(RESET, json={"email": user.email})
    (first,) = await delivered(api, user.email, "password_reset")
    await api.post(RESET, json={"email": user.email})
    latest = (await delivered(api, user.email, "password_reset", count=2))[0]
    assert reset_token(latest) != reset_token(first)

    async def superseded() -> None:
        for _ in range(200):
            async with sessions() as session:
                statuses = (await session.scalars(select(PasswordReset.status).where(
                    PasswordReset.user_id == user.id))).all()
            if sorted(statuses) == ["pending", "superseded"]:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the first link is still {statuses}")

    await superseded()
    old = await api.post(f"{RESET}/confirm",
                         json={"token": reset_token(first), "new_password": NEW_PASSWORD})
    assert old.status_code == 400 and "newer" in old.json()["detail"]
    for token in ("not-a-token", reset_token(latest)[:-2] + "xx"):
        wrong = await api.post(f"{RESET}/confirm",
                               json={"token": token, "new_password": NEW_PASSWORD})
        assert wrong.status_code == 400
    for body in ({"token": reset_token(latest), "new_password": "short"}, {"token": ""},
                 {"new_password": NEW_PASSWORD}):
        assert (await api.post(f"{RESET}/confirm", json=body)).status_code == 422
    assert (await sign_in(api, user.email, PASSWORD)).status_code == 200
    assert (await api.post(f"{RESET}/confirm", json={
        "token": reset_token(latest), "new_password": NEW_PASSWORD})).status_code == 204


async def test_two_uses_of_a_link_at_the_same_instant_set_one_password(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings
) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient)
    await api.post(RESET, json={"email": user.email})
    token = reset_token((await delivered(api, user.email, "password_reset"))[0])
    passwords = ["first new password", "second new password"]
    answers = await asyncio.gather(*(
        api.post(f"{RESET}/confirm", json={"token": token, "new_password": p})
        for p in passwords))
    codes = sorted(a.status_code for a in answers)
    assert codes == [204, 400], [a.text for a in answers]
    winner = passwords[[a.status_code for a in answers].index(204)]
    assert (await sign_in(api, user.email, winner)).status_code == 200
    loser = passwords[1 - passwords.index(winner)]
    assert (await sign_in(api, user.email, loser)).status_code == 401
    async with sessions() as session:  # no password hash left but the account's
        assert await session.scalar(select(PasswordResetAttempt.id)) is None


async def test_an_account_registered_through_the_api_resets_its_password(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    temporal_env: WorkflowEnvironment,
) -> None:
    """As a new user would: registered through the API, active, and the password forgotten."""
    email, headers = await activate(api)
    await api.post(RESET, json={"email": email})
    (message,) = await delivered(api, email, "password_reset")
    assert message["subject"] and reset_token(message) in message["body"]
    assert (await api.post(f"{RESET}/confirm", json={
        "token": reset_token(message), "new_password": NEW_PASSWORD})).status_code == 204
    assert (await api.get("/api/v1/me", headers=headers)).status_code == 401
    me = (await api.get("/api/v1/me", headers=bearer(await sign_in(api, email, NEW_PASSWORD))))
    assert me.json()["status"] == "active"
    async with sessions() as session:
        sent = (await session.scalars(select(Message.template).where(Message.to == email))).all()
    assert sorted(sent) == ["account_validation", "password_reset", "verification_code"]
    reset_id = (await _reset_ids(sessions, me.json()["id"]))[0]
    description = await temporal_env.client.get_workflow_handle(
        password_reset_workflow_id(reset_id)).describe()
    assert description.status == WorkflowExecutionStatus.COMPLETED


async def _reset_ids(sessions: SessionMaker, user_id: str) -> list[str]:
    async with sessions() as session:
        return list((await session.scalars(select(PasswordReset.id).where(
            PasswordReset.user_id == user_id))).all())
