"""The worker dies (SIGKILL) in the middle of an account validation; a new one takes over
and the account still becomes active, each of its emails sent once."""

from __future__ import annotations

from collections import Counter

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
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.db


async def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(
    api: httpx.AsyncClient, e2e_settings: Settings
) -> None:
    email = new_email("crash")
    worker = WorkerProcess(e2e_settings)
    worker.start()
    try:
        assert (await register(api, email)).status_code == 202
        (link,) = await delivered(api, email, "account_validation", within=60)
        worker.kill()

        worker.start()
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
    finally:
        worker.stop()

    assert (await api.get("/api/v1/me", headers=headers)).json()["status"] == "active"
    # Every message the account was sent, once each: the link and the code.
    sent = Counter(m["template"] for m in await outbox(api, email))
    assert sent == {"account_validation": 1, "verification_code": 1}
