""""My requests" latency through the real HTTP API: a patient with 500 requests of every kind
(and five other patients with as many, in the same index), `GET /me/requests` against a
plain `GET /me` in the same run (auth, one primary-key read, JSON).

The list is asked for in turn as the app asks for it: the first page, a page filtered by
kind, a page filtered by status, and the page after the first (its cursor). Goal: the
list's p99 within 3 times `GET /me`'s p99. Requests alternate between the two so both see
the same machine load. The index rows are written directly (as `record_request` writes
them), not by running 3000 processes.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from bench.harness import (
    POSTGRES_URL,
    Result,
    Stack,
    percentile,
    postgres_available,
    stack,
    timed_get,
)
from db.base import utcnow
from db.queries.requests import record_request
from domain.accounts import Role
from domain.ids import new_id
from domain.references import format_reference
from domain.requests import REQUEST_KINDS, RequestEntry, RequestKind
from tests.support.users import TestUser, make_user

REQUESTS = 500
OTHER_PATIENTS = 5
ROUNDS = 400
WARMUP = 40


async def _requests_of(s: Stack, patient: TestUser, doctor: TestUser, pharmacy_id: str,
                       numbers: itertools.count[int]) -> None:
    """REQUESTS entries for `patient`, every kind and status in turn, one a minute back."""
    kinds = itertools.cycle(REQUEST_KINDS.values())
    now = utcnow()
    async with s.sessions() as session, session.begin():
        for n in range(REQUESTS):
            spec = next(kinds)
            await record_request(session, RequestEntry(
                user_id=patient.id, reference=format_reference(spec.reference, now.year,
                                                               next(numbers)),
                kind=spec.kind, status=spec.statuses[n % len(spec.statuses)],
                process_id=new_id(),
                doctor_id=None if spec.kind is RequestKind.pharmacy else doctor.id,
                pharmacy_id=pharmacy_id if spec.kind is RequestKind.pharmacy else None,
                title_data={"beneficiary": "Awa N."} if spec.kind is RequestKind.sponsorship
                else {}, at=now - timedelta(minutes=n)))


async def _measure(label: str, temporal: WorkflowEnvironment, url: str | None) -> list[Result]:
    async with stack(temporal, url) as s:
        doctor = await make_user(s.sessions, s.settings, Role.doctor)
        pharmacist = await make_user(s.sessions, s.settings, Role.pharmacist)
        numbers = itertools.count(1)
        patient = await make_user(s.sessions, s.settings, Role.patient)
        await _requests_of(s, patient, doctor, pharmacist.extra["pharmacy_id"], numbers)
        for _ in range(OTHER_PATIENTS):
            other = await make_user(s.sessions, s.settings, Role.patient)
            await _requests_of(s, other, doctor, pharmacist.extra["pharmacy_id"], numbers)
        headers = patient.headers

        async def timed(path: str, params: dict[str, str] | None = None) -> tuple[float, Any]:
            return await timed_get(s.http, path, headers, params)

        list_path, me_path = "/api/v1/me/requests", "/api/v1/me"
        _, first = await timed(list_path)
        assert len(first["items"]) == 20 and first["next_cursor"], first
        shapes = itertools.cycle([{}, {"kind": "opinion"}, {"status": "confirmed"},
                                  {"cursor": first["next_cursor"]}])
        for _ in range(WARMUP):
            await timed(list_path, next(shapes))
            await timed(me_path)
        lists: list[float] = []
        reads: list[float] = []
        for _ in range(ROUNDS):
            lists.append((await timed(list_path, next(shapes)))[0])
            reads.append((await timed(me_path))[0])

    return [Result(f"my_requests_p{pct}_ms_{label}", percentile(lists, pct), "ms",
                   baseline=percentile(reads, pct), goal="p99 <= 3x GET /me",
                   lower_is_better=True)
            for pct in (50, 99)]


async def run(temporal: WorkflowEnvironment) -> list[Result]:
    results = await _measure("sqlite", temporal, None)
    if await postgres_available():
        results += await _measure("postgresql", temporal, POSTGRES_URL)
    return results
