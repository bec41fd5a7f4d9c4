"""The platform itself: health, sign-in, problem details, idempotency, the outbox."""

from datetime import timedelta

import httpx
import pytest

from core.security import create_access_token
from domain.accounts import AccountStatus, Role
from tests.support.users import PASSWORD, make_user

pytestmark = pytest.mark.db


async def test_health_reports_db_and_temporal(api: httpx.AsyncClient) -> None:
    response = await api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "db": "ok", "temporal": "ok"}


async def test_sign_in_gives_a_bearer_token(api, sessions, e2e_settings) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient)
    response = await api.post("/api/v1/auth/token",
                              data={"username": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"


async def test_wrong_password_and_unknown_email_answer_alike(api, sessions, e2e_settings) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient)
    wrong = await api.post("/api/v1/auth/token",
                           data={"username": user.email, "password": "nope"})
    unknown = await api.post("/api/v1/auth/token",
                             data={"username": "ghost@example.test", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_sign_in_is_rate_limited(api, sessions, e2e_settings) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient)
    for _ in range(e2e_settings.limits.login_failures_per_window):
        r = await api.post("/api/v1/auth/token", data={"username": user.email, "password": "x"})
        assert r.status_code == 401
    blocked = await api.post("/api/v1/auth/token",
                             data={"username": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["status"] == 429


async def test_invalid_input_is_a_422_problem_with_field_errors(api) -> None:
    response = await api.post("/api/v1/auth/token", data={"username": "a"})
    assert response.status_code == 422
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert body["title"] and body["status"] == 422
    assert any(e["field"] == "password" for e in body["errors"])


@pytest.mark.parametrize("token", ["nonsense", "EXPIRED", "OTHER-SECRET", "SIGNED-NO-ONE"])
async def test_a_bad_token_is_401(api, sessions, e2e_settings, token: str) -> None:
    """Malformed, expired, signed with another key, or naming nobody: 401 on a protected
    route, with the Bearer challenge; the good token of the same user works."""
    user = await make_user(sessions, e2e_settings, Role.patient)
    secret, ttl = e2e_settings.secret_key, e2e_settings.access_token_ttl
    token = {
        "EXPIRED": create_access_token(secret, user.id, "patient", -timedelta(seconds=1)),
        "OTHER-SECRET": create_access_token("another-secret-" + "y" * 40, user.id, "patient",
                                            ttl),
        "SIGNED-NO-ONE": create_access_token(secret, "0" * 32, "patient", ttl),
    }.get(token, token)
    response = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert (await api.get("/api/v1/me", headers=user.headers)).status_code == 200
    unknown = await api.get("/api/v1/does-not-exist")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


async def test_idempotency_key_replays_the_first_answer(api, sessions, e2e_settings) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient,
                           status=AccountStatus.email_validated)
    form = {"username": user.email, "password": PASSWORD}
    first = await api.post("/api/v1/auth/token", data=form, headers={"Idempotency-Key": "k1"})
    again = await api.post("/api/v1/auth/token", data=form, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await api.post("/api/v1/auth/token", data={**form, "password": "other"},
                           headers={"Idempotency-Key": "k1"})
    assert other.status_code == 422
