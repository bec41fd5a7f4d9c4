"""The worker dies (SIGKILL) in the middle of an account validation; a new one takes over
and the account still becomes active, each of its emails sent once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from tests.accounts.flows import (
    PROFILE,
    delivered,
    latest_code,
    new_email,
    outbox,
    register,
    sign_in,
    token_of,
)

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def worker_process(settings: Settings) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {
        **os.environ,
        "ESAME_DATABASE_URL": settings.database_url,
        "ESAME_TEMPORAL__ADDRESS": settings.temporal.address,
        "ESAME_TEMPORAL__TASK_QUEUE": settings.temporal.task_queue,
        "ESAME_SECRET_KEY": settings.secret_key,
        "ESAME_PUBLIC_BASE_URL": settings.public_base_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "worker", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(
    api: httpx.AsyncClient, e2e_settings: Settings
) -> None:
    email = new_email("crash")
    async with worker_process(e2e_settings) as first:
        assert (await register(api, email)).status_code == 202
        (link,) = await delivered(api, email, "account_validation", within=60)
        first.send_signal(signal.SIGKILL)
        assert await first.wait() == -signal.SIGKILL

    async with worker_process(e2e_settings):
        # The process resumes on the new worker: the link sent before the crash works.
        validated = await api.post("/api/v1/auth/validate-email",
                                   json={"token": token_of(link)}, timeout=60)
        assert validated.status_code == 200, validated.text
        headers = await sign_in(api, email)
        saved = await api.put("/api/v1/me/profile", json=PROFILE, headers=headers, timeout=60)
        assert saved.status_code == 200, saved.text
        code = await latest_code(api, email)
        assert (await api.post("/api/v1/me/verification", json={"code": code},
                               headers=headers, timeout=60)).status_code == 200
        consent = await api.post("/api/v1/me/consent", json={"share_medical_data": True},
                                 headers=headers, timeout=60)
        assert consent.status_code == 200 and consent.json()["status"] == "active"

    assert (await api.get("/api/v1/me", headers=headers)).json()["status"] == "active"
    # Every message the account was sent, once each: the link and the code.
    sent = Counter(m["template"] for m in await outbox(api, email))
    assert sent == {"account_validation": 1, "verification_code": 1}
