"""Complete account validations per second through the HTTP API, against a bare Temporal
workflow with the same shape (10 activities, 4 updates) driven by a raw client.

The ratio says what the API, the database, the emails and the real activities add to what
Temporal itself costs for the same process.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from bench.bare_account import PATIENT_ID
from bench.harness import Result, bare_worker, rates_abba, stack
from db.models import Message

ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "60"))
CONCURRENCY = 10
PASSWORD = "bench password 2026"
PROFILE = {"timezone": "Africa/Douala", "currency": "XAF", "country": "CM", "city": "Douala",
           "address_line": "Rue 1, Akwa", "phone": "+237670000001"}


async def _bare_account(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow(
        "BareAccountValidationWorkflow", uuid.uuid4().hex, id=f"bare-account-{uuid.uuid4().hex}",
        task_queue=task_queue, static_summary="Account validation of a bare patient",
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(PATIENT_ID, uuid.uuid4().hex)]))
    for update in ("validate_email", "profile_saved", "submit_code", "give_consent"):
        await handle.execute_update(update)
    assert await handle.result() == "active"


# --- the real thing, through the HTTP API ----------------------------------------------

class Mailbox:
    """The users' mailboxes, as messages reach them: one reader of the message log for all
    the accounts in flight (as a mail server would deliver them), so that waiting for an
    email costs the API nothing and the benchmark's own polling stays small."""

    def __init__(self, database_url: str) -> None:
        # A plain synchronous connection: a query of a few rows takes a fraction of a
        # millisecond, far less than the async session's thread hops.
        url = make_url(database_url)
        assert url.get_backend_name() == "sqlite", "the benchmark's database is SQLite"
        self._engine = create_engine(url.set(drivername="sqlite"))
        self._delivered: dict[tuple[str, str], dict[str, Any]] = {}
        self._seen: set[str] = set()
        self._since = datetime(2000, 1, 1, tzinfo=UTC)
        self._waiting: dict[tuple[str, str], asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def first(self, to: str, template: str) -> dict[str, Any]:
        """The data of the first `template` message sent to `to`."""
        key = (to, template)
        if key in self._delivered:
            return self._delivered[key]
        future = self._waiting.setdefault(key, asyncio.get_running_loop().create_future())
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read())
        return await future

    async def _read(self) -> None:
        while self._waiting:
            with self._engine.connect() as connection:
                rows = connection.execute(
                    select(Message.id, Message.to, Message.template, Message.data,
                           Message.sent_at)
                    .where(Message.status == "sent", Message.sent_at >= self._since)).all()
            for message_id, to, template, data, sent_at in rows:
                if message_id in self._seen:
                    continue
                self._seen.add(message_id)
                self._since = max(self._since, sent_at - timedelta(seconds=1))
                self._delivered.setdefault((to, template), data)
                waiter = self._waiting.pop((to, template), None)
                if waiter is not None:
                    waiter.set_result(self._delivered[(to, template)])
            await asyncio.sleep(0.05)


async def api_account(http: httpx.AsyncClient, mailbox: Mailbox) -> None:
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    response = await http.post("/api/v1/auth/register", json={
        "email": email, "password": PASSWORD, "role": "patient", "first_name": "Bench",
        "last_name": "Mark", "language": "en"})
    assert response.status_code == 202, response.text
    link = await mailbox.first(email, "account_validation")
    token = parse_qs(urlparse(link["validation_url"]).query)["token"][0]
    validated = await http.post("/api/v1/auth/validate-email", json={"token": token})
    assert validated.status_code == 200, validated.text
    # The link signed the user in, as it does in the web client.
    headers = {"Authorization": f"Bearer {validated.json()['access_token']}"}
    assert (await http.put("/api/v1/me/profile", json=PROFILE,
                           headers=headers)).status_code == 200
    code = (await mailbox.first(email, "verification_code"))["code"]
    assert (await http.post("/api/v1/me/verification", json={"code": code},
                            headers=headers)).status_code == 200
    consent = await http.post("/api/v1/me/consent", json={"share_medical_data": True},
                              headers=headers)
    assert consent.json()["status"] == "active", consent.text


async def run(temporal: WorkflowEnvironment) -> list[Result]:
    client = temporal.client
    async with bare_worker(temporal, "bench.bare_account") as task_queue, \
            stack(temporal) as s:
        mailbox = Mailbox(s.settings.database_url)
        value, baseline = await rates_abba(
            lambda: _bare_account(client, task_queue), lambda: api_account(s.http, mailbox),
            count=ACCOUNTS, concurrency=CONCURRENCY)

    return [Result(name="account_validations_per_second", value=value, unit="accounts/s",
                   baseline=baseline, goal="ratio >= 0.8", lower_is_better=False)]
