"""Complete account validations per second through the HTTP API, against a bare Temporal
workflow with the same shape (10 activities, 4 updates) driven by a raw client.

The ratio says what the API, the database, the emails and the real activities add to what
Temporal itself costs for the same process.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlparse

import httpx
from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bench.harness import Result, bare_worker, stack
from db.engine import SessionMaker
from db.models import Message

ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "40"))
WARM_UP = 4
CONCURRENCY = 10
PASSWORD = "bench password 2026"
PROFILE = {"timezone": "Africa/Douala", "currency": "XAF", "country": "CM", "city": "Douala",
           "address_line": "Rue 1, Akwa", "phone": "+237670000001"}


async def _bare_account(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow("BareAccountValidation", uuid.uuid4().hex,
                                         id=f"bare-account-{uuid.uuid4().hex}",
                                         task_queue=task_queue)
    for update in ("validate_email", "profile_saved", "submit_code", "give_consent"):
        await handle.execute_update(update)
    assert await handle.result() == "active"


# --- the real thing, through the HTTP API ----------------------------------------------

async def _first(sessions: SessionMaker, to: str, template: str) -> Message:
    """The message as it reached the user's mailbox: read from the message log directly,
    so that waiting for it costs the API nothing (as a real mailbox would not)."""
    delay = 0.02
    while True:
        async with sessions() as session:
            message = await session.scalar(
                select(Message).where(Message.to == to, Message.template == template,
                                      Message.status == "sent"))
        if message is not None:
            return message
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)


async def _api_account(http: httpx.AsyncClient, sessions: SessionMaker) -> None:
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    response = await http.post("/api/v1/auth/register", json={
        "email": email, "password": PASSWORD, "role": "patient", "first_name": "Bench",
        "last_name": "Mark", "language": "en"})
    assert response.status_code == 202, response.text
    link = await _first(sessions, email, "account_validation")
    token = parse_qs(urlparse(link.data["validation_url"]).query)["token"][0]
    assert (await http.post("/api/v1/auth/validate-email",
                            json={"token": token})).status_code == 200
    signed_in = await http.post("/api/v1/auth/token",
                                data={"username": email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    assert (await http.put("/api/v1/me/profile", json=PROFILE,
                           headers=headers)).status_code == 200
    code = (await _first(sessions, email, "verification_code")).data["code"]
    assert (await http.post("/api/v1/me/verification", json={"code": code},
                            headers=headers)).status_code == 200
    consent = await http.post("/api/v1/me/consent", json={"share_medical_data": True},
                              headers=headers)
    assert consent.json()["status"] == "active", consent.text


async def _rate(make_one: Callable[[], Awaitable[None]]) -> float:
    """Completed processes per second, `CONCURRENCY` at a time, after a short warm-up."""
    for _ in range(WARM_UP):
        await make_one()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one() -> None:
        async with gate:
            await make_one()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(ACCOUNTS)))
    return ACCOUNTS / (time.perf_counter() - started)


async def run(temporal: WorkflowEnvironment) -> list[Result]:
    client = temporal.client
    async with bare_worker(temporal, "bench.bare_account") as task_queue:
        baseline = await _rate(lambda: _bare_account(client, task_queue))

    async with stack(temporal) as s:
        value = await _rate(lambda: _api_account(s.http, s.sessions))

    return [Result(name="account_validations_per_second", value=value, unit="accounts/s",
                   baseline=baseline, goal="ratio >= 0.8", lower_is_better=False)]
