"""Idempotency-Key: a retry gets the first answer as soon as the client has it; 409 only
while the first request is really still running; nothing is created twice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import func, select

from api.app import create_app
from api.idempotency import IdempotencyMiddleware, _record_key
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import BillingAddress, IdempotencyRecord
from domain.accounts import Role
from tests.support.users import TestUser, make_user

pytestmark = pytest.mark.db

ADDRESS = {"line1": "8 rue Paris", "city": "Lyon", "country": "FR"}
PATH = "/api/v1/me/billing-addresses"


async def asgi_post(
    app: Any, path: str, headers: dict[str, str], body: bytes,
    on_answer: Callable[[], Awaitable[None]] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One POST straight through the ASGI app. `on_answer` runs the moment the whole
    answer has reached the client, before the app's `send` returns: what a client that
    retries at once after reading the answer does, with no delay at all."""
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": raw_headers,
             "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    sent = False
    status, answer_headers, chunks = 0, {}, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the app runs
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            answer_headers.update({k.decode(): v.decode() for k, v in message["headers"]})
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body") and on_answer is not None:
                await on_answer()

    await app(scope, receive, send)
    return status, answer_headers, b"".join(chunks)


async def addresses(sessions: SessionMaker, user: TestUser) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(BillingAddress)
                                        .where(BillingAddress.user_id == user.id)) or 0)


@pytest.fixture
async def patient(sessions: SessionMaker, settings: Settings) -> TestUser:
    return await make_user(sessions, settings, Role.patient)


async def test_a_retry_the_instant_the_answer_arrives_gets_that_answer(
    settings: Settings, sessions: SessionMaker, patient: TestUser
) -> None:
    app = create_app(settings, sessions=sessions)
    headers = {**patient.headers, "Idempotency-Key": "k-instant",
               "Content-Type": "application/json"}
    body = json.dumps(ADDRESS).encode()
    retried: list[tuple[int, dict[str, str], bytes]] = []

    async def retry_at_once() -> None:
        retried.append(await asgi_post(app, PATH, headers, body))

    status, _, first = await asgi_post(app, PATH, headers, body, on_answer=retry_at_once)
    assert status == 201
    (again_status, again_headers, again), = retried
    assert again_status == 201, again
    assert again_headers["idempotent-replayed"] == "true"
    assert json.loads(again) == json.loads(first)
    assert await addresses(sessions, patient) == 1


async def test_concurrent_duplicates_create_one_thing(
    settings: Settings, sessions: SessionMaker, patient: TestUser
) -> None:
    app = create_app(settings, sessions=sessions)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        headers = {**patient.headers, "Idempotency-Key": "k-concurrent"}
        answers = await asyncio.gather(*(client.post(PATH, json=ADDRESS, headers=headers)
                                         for _ in range(4)))
    created = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code == 409]
    assert len(created) + len(refused) == 4, [a.text for a in answers]
    assert len({a.json()["id"] for a in created}) == 1  # replays of the one answer
    assert all(a.json()["detail"].startswith("A request with this Idempotency-Key is still")
               for a in refused)
    assert await addresses(sessions, patient) == 1


async def test_409_only_while_the_first_request_runs(
    settings: Settings, sessions: SessionMaker
) -> None:
    """A first request held at a gate: duplicates get 409 while it runs, its stored answer
    after, and a different body 422."""
    gate, inside = asyncio.Event(), asyncio.Event()
    calls = 0
    app = FastAPI()

    @app.post("/things", status_code=201)
    async def make_thing(request: Request) -> dict[str, int]:
        nonlocal calls
        calls += 1
        inside.set()
        await gate.wait()
        return {"thing": calls, "size": len(await request.body())}

    wrapped = IdempotencyMiddleware(app, settings=settings, sessions=sessions)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped),
                                 base_url="http://testserver") as client:
        key = {"Idempotency-Key": "k-gate"}
        first = asyncio.create_task(client.post("/things", json={"a": 1}, headers=key))
        await asyncio.wait_for(inside.wait(), 10)
        running = await client.post("/things", json={"a": 1}, headers=key)
        assert running.status_code == 409
        assert running.headers["content-type"] == "application/problem+json"
        gate.set()
        done = await first
        assert done.status_code == 201 and done.json() == {"thing": 1, "size": 7}
        after = await client.post("/things", json={"a": 1}, headers=key)
        assert after.status_code == 201 and after.json() == done.json()
        other = await client.post("/things", json={"a": 2}, headers=key)
        assert other.status_code == 422
    assert calls == 1


async def test_a_key_held_by_a_dead_request_is_free_after_the_lease(
    settings: Settings, sessions: SessionMaker, patient: TestUser
) -> None:
    """A process that died mid-request left its key held: the retry is not refused for
    ever."""
    app = create_app(settings, sessions=sessions)
    headers = {**patient.headers, "Idempotency-Key": "k-dead"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        probe = await client.post(PATH, json=ADDRESS,
                                  headers={**headers, "Idempotency-Key": "k-probe"})
        assert probe.status_code == 201
        # The record of "k-probe" tells us the request hash the same body has.
        async with sessions() as session:
            probe_record = await session.get(
                IdempotencyRecord, _record_key(f"user:{patient.id}", PATH, "k-probe"))
            assert probe_record is not None
            request_hash = probe_record.request_hash
        lease = settings.limits.idempotency_lease
        record_key = _record_key(f"user:{patient.id}", PATH, "k-dead")
        async with sessions() as session, session.begin():
            session.add(IdempotencyRecord(key=record_key, request_hash=request_hash,
                                          created_at=utcnow() - lease / 2))
        recent = await client.post(PATH, json=ADDRESS, headers=headers)
        assert recent.status_code == 409  # may still be running
        async with sessions() as session, session.begin():
            held = await session.get(IdempotencyRecord, record_key)
            assert held is not None
            held.created_at = utcnow() - lease - timedelta(seconds=1)
        retried = await client.post(PATH, json=ADDRESS, headers=headers)
        assert retried.status_code == 201, retried.text
    assert await addresses(sessions, patient) == 2  # the probe's and the retry's
