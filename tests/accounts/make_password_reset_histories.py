"""Record the histories of PasswordResetWorkflow the replay tests check:
`uv run python -m tests.accounts.make_password_reset_histories`.

Each path runs to its end on the time-skipping server, through the API (the reset is asked
for and redeemed as a person would) with the real activities on a throwaway SQLite
database, and is written under tests/accounts/histories/ as `password_reset_<path>.json`:
a link used, a link replaced by a newer one, a link expired. Record again (and commit) only
when a change is meant to be incompatible with links under way.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.settings import Settings, TemporalSettings
from core.temporal_client import data_converter, ensure_search_attributes
from db.engine import SessionMaker, make_engine, make_sessionmaker
from db.migrate import upgrade
from db.models import PasswordReset
from domain.accounts import Role
from domain.ids import password_reset_workflow_id
from tests.accounts.make_histories import _messages
from tests.accounts.test_account_settings_e2e import NEW_PASSWORD, RESET, reset_token
from tests.support.users import TestUser, make_user
from workers.main import WorkerDeps, build_worker

BIN = Path(sys.executable).parent
HISTORIES = Path(__file__).with_name("histories")


async def _resets(sessions: SessionMaker, user: TestUser) -> list[PasswordReset]:
    async with sessions() as session:
        return list((await session.scalars(select(PasswordReset).where(
            PasswordReset.user_id == user.id).order_by(PasswordReset.created_at))).all())


async def _ask(api: httpx.AsyncClient, sessions: SessionMaker, user: TestUser,
               count: int) -> str:
    """Ask for a link (the `count`-th to this person) and answer its token."""
    assert (await api.post(RESET, json={"email": user.email})).status_code == 202
    messages = await _messages(sessions, user.email, "password_reset", count)
    return reset_token({"data": messages[-1].data})


async def _write(client: Client, reset: PasswordReset, name: str) -> None:
    handle = client.get_workflow_handle(password_reset_workflow_id(reset.id))
    await handle.result()
    history = await handle.fetch_history()
    path = HISTORIES / f"password_reset_{name}.json"
    path.write_text(history.to_json() + "\n")
    print(f"wrote {path.name} ({len(history.events)} events)")


async def _used_and_replaced(env: WorkflowEnvironment, api: httpx.AsyncClient,
                             sessions: SessionMaker, settings: Settings) -> None:
    user = await make_user(sessions, settings, Role.patient)
    await _ask(api, sessions, user, 1)
    token = await _ask(api, sessions, user, 2)
    confirmed = await api.post(f"{RESET}/confirm",
                               json={"token": token, "new_password": NEW_PASSWORD})
    assert confirmed.status_code == 204, confirmed.text
    first, second = await _resets(sessions, user)
    await env.sleep(settings.durations.password_reset_expires_after + timedelta(minutes=1))
    await _write(env.client, first, "superseded")
    await _write(env.client, second, "used")


async def _expired(env: WorkflowEnvironment, api: httpx.AsyncClient,
                   sessions: SessionMaker, settings: Settings) -> None:
    user = await make_user(sessions, settings, Role.patient)
    await _ask(api, sessions, user, 1)
    await env.sleep(settings.durations.password_reset_expires_after + timedelta(minutes=1))
    (reset,) = await _resets(sessions, user)
    await _write(env.client, reset, "expired")


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="esame-histories-"))
    url = f"sqlite+aiosqlite:///{folder}/h.sqlite"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    # Dev: its public payload key encrypts the recording, and the replay test reads it.
    settings = Settings(env="dev", database_url=url, secret_key="h" * 48,
                        public_base_url="http://testserver", data_dir=folder,
                        temporal=TemporalSettings(address="unused:0", task_queue="histories"))
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(settings.temporal),
        test_server_existing_path=str(BIN / "temporal-test-server"))
    await ensure_search_attributes(env.client, settings)
    HISTORIES.mkdir(exist_ok=True)
    app = create_app(settings, sessions=sessions, temporal=env.client)
    try:
        async with build_worker(env.client, WorkerDeps.from_settings(settings, sessions)), \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://testserver") as api:
            await _used_and_replaced(env, api, sessions, settings)
            await _expired(env, api, sessions, settings)
    finally:
        await env.shutdown()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
