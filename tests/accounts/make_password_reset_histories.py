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
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from db.engine import SessionMaker
from db.models import PasswordReset
from domain.accounts import Role
from domain.ids import password_reset_workflow_id
from tests.accounts.make_histories import _messages
from tests.accounts.test_account_settings_e2e import NEW_PASSWORD, RESET, reset_token
from tests.support.recording import RecordingStack, recording_stack, save_history
from tests.support.users import TestUser, make_user

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


async def _write(stack: RecordingStack, reset: PasswordReset, name: str) -> None:
    handle = stack.client.get_workflow_handle(password_reset_workflow_id(reset.id))
    await save_history(handle, HISTORIES / f"password_reset_{name}.json")


async def _used_and_replaced(stack: RecordingStack, api: httpx.AsyncClient) -> None:
    sessions, settings = stack.sessions, stack.settings
    user = await make_user(sessions, settings, Role.patient)
    await _ask(api, sessions, user, 1)
    token = await _ask(api, sessions, user, 2)
    confirmed = await api.post(f"{RESET}/confirm",
                               json={"token": token, "new_password": NEW_PASSWORD})
    assert confirmed.status_code == 204, confirmed.text
    first, second = await _resets(sessions, user)
    await stack.env.sleep(settings.durations.password_reset_expires_after + timedelta(minutes=1))
    await _write(stack, first, "superseded")
    await _write(stack, second, "used")


async def _expired(stack: RecordingStack, api: httpx.AsyncClient) -> None:
    sessions, settings = stack.sessions, stack.settings
    user = await make_user(sessions, settings, Role.patient)
    await _ask(api, sessions, user, 1)
    await stack.env.sleep(settings.durations.password_reset_expires_after + timedelta(minutes=1))
    (reset,) = await _resets(sessions, user)
    await _write(stack, reset, "expired")


async def main() -> None:
    async with recording_stack() as stack, stack.api() as api:
        await _used_and_replaced(stack, api)
        await _expired(stack, api)


if __name__ == "__main__":
    asyncio.run(main())
