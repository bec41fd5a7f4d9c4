"""The password reset link's expiry is its process's timer: on the time-skipping server, the
API and the real activities on the test database, a link is refused once its time is up,
and works until then."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from activities.messaging import MessagingActivities
from activities.password_resets import PasswordResetActivities
from api.app import create_app
from core.security import hash_password
from core.settings import Settings
from db.engine import SessionMaker
from db.models import PasswordReset, PasswordResetAttempt, User
from domain.accounts import Role
from domain.ids import password_reset_workflow_id
from domain.password_resets import ApplyPasswordReset
from tests.accounts.test_account_settings_e2e import NEW_PASSWORD, RESET, reset_token
from tests.accounts.test_workflows_time_skipping import _messages
from tests.support.users import TestUser, make_user
from workers.main import WorkerDeps

pytestmark = pytest.mark.db


@pytest.fixture
async def api(env: WorkflowEnvironment, settings: Settings,
              sessions: SessionMaker) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, sessions=sessions, temporal=env.client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        yield client


async def _link(api: httpx.AsyncClient, sessions: SessionMaker, user: TestUser) -> str:
    assert (await api.post(RESET, json={"email": user.email})).status_code == 202
    (message,) = await _messages(sessions, user.email, "password_reset")
    return reset_token({"data": message.data})


async def _reset(sessions: SessionMaker, user: TestUser) -> PasswordReset:
    async with sessions() as session:
        (reset,) = (await session.scalars(select(PasswordReset).where(
            PasswordReset.user_id == user.id))).all()
    return reset


async def test_an_expired_link_is_refused_and_the_password_stays(
    env: WorkflowEnvironment, api: httpx.AsyncClient, settings: Settings,
    sessions: SessionMaker,
) -> None:
    user = await make_user(sessions, settings, Role.patient)
    token = await _link(api, sessions, user)
    handle = env.client.get_workflow_handle(
        password_reset_workflow_id((await _reset(sessions, user)).id))
    await env.sleep(settings.durations.password_reset_expires_after + timedelta(minutes=1))
    assert (await handle.result())["status"] == "expired"

    late = await api.post(f"{RESET}/confirm", json={"token": token,
                                                    "new_password": NEW_PASSWORD})
    assert late.status_code == 400 and "expired" in late.json()["detail"]
    reset = await _reset(sessions, user)
    assert reset.status == "expired" and reset.closed_at is not None
    async with sessions() as session:
        stored = await session.get(User, user.id)
    assert stored is not None and stored.session_version == 0
    assert (await api.get("/api/v1/me", headers=user.headers)).status_code == 200


async def test_a_link_works_until_just_before_it_expires(
    env: WorkflowEnvironment, api: httpx.AsyncClient, settings: Settings,
    sessions: SessionMaker,
) -> None:
    user = await make_user(sessions, settings, Role.patient)
    token = await _link(api, sessions, user)
    await env.sleep(settings.durations.password_reset_expires_after - timedelta(minutes=1))
    used = await api.post(f"{RESET}/confirm", json={"token": token,
                                                    "new_password": NEW_PASSWORD})
    assert used.status_code == 204
    handle = env.client.get_workflow_handle(
        password_reset_workflow_id((await _reset(sessions, user)).id))
    assert (await handle.result())["status"] == "used"
    assert (await api.get("/api/v1/me", headers=user.headers)).status_code == 401


async def test_a_replayed_apply_changes_nothing_more(
    settings: Settings, sessions: SessionMaker,
) -> None:
    """A worker that dies after the password is written retries the activity: the link is
    found used, the session version rises once."""
    user = await make_user(sessions, settings, Role.patient)
    staged = hash_password(NEW_PASSWORD)
    reset = PasswordReset(user_id=user.id, status="pending")
    async with sessions() as session, session.begin():
        session.add(reset)
        await session.flush()
        attempt = PasswordResetAttempt(reset_id=reset.id, password_hash=staged)
        session.add(attempt)
    deps = WorkerDeps.from_settings(settings, sessions)
    resets = PasswordResetActivities(settings, sessions,
                                     MessagingActivities(sessions, deps.email, deps.sms))
    command = ApplyPasswordReset(reset_id=reset.id, attempt_id=attempt.id)
    assert (await resets.apply_password_reset(command)).changed
    assert not (await resets.apply_password_reset(command)).changed
    async with sessions() as session:
        stored = await session.get(User, user.id)
    assert stored is not None and stored.session_version == 1
    assert stored.password_hash == staged
    async with sessions() as session:
        assert await session.get(PasswordResetAttempt, attempt.id) is None
