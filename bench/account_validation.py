"""Complete account validations per second through the HTTP API, against a bare Temporal
workflow with the same shape (10 activities, 4 updates) driven by a raw client.

The ratio says what the API, the database, the emails and the real activities add to what
Temporal itself costs for the same process.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    import httpx
    from temporalio.client import Client
    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

    from bench.harness import Result, stack

ACCOUNTS = 40
WARM_UP = 4
CONCURRENCY = 10
PASSWORD = "bench password 2026"
PROFILE = {"timezone": "Africa/Douala", "currency": "XAF", "country": "CM", "city": "Douala",
           "address_line": "Rue 1, Akwa", "phone": "+237670000001"}


# --- the baseline: the same process with nothing but Temporal -----------------------------

@activity.defn(name="bare_step")
async def bare_step(step: str) -> str:
    return step


@workflow.defn(name="BareAccountValidation")
class BareAccountValidation:
    """Seven activities in the main flow, three in update handlers, four updates: as
    AccountValidationWorkflow does on the way to `active`."""

    def __init__(self) -> None:
        self._done: set[str] = set()

    @workflow.run
    async def run(self, user_id: str) -> str:
        await self._step("open_account")
        await self._step("send_validation_link")
        await workflow.wait_condition(lambda: "email" in self._done, timeout=timedelta(days=7))
        await self._step("set_status_email_validated")
        await self._step("find_pending_invitations")
        await workflow.wait_condition(lambda: "profile" in self._done)
        await self._step("set_status_profile_completed")
        await self._step("send_verification_code")
        self._done.add("code_sent")
        await workflow.wait_condition(lambda: {"code", "consent"} <= self._done)
        await self._step("set_status_active")
        self._done.add("active")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return "active"

    @workflow.update
    async def validate_email(self) -> str:
        self._done.add("email")
        await workflow.wait_condition(lambda: "set_status_email_validated" in self._done)
        return "email_validated"

    @workflow.update
    async def profile_saved(self) -> str:
        self._done.add("profile")
        await workflow.wait_condition(lambda: "code_sent" in self._done)
        return "profile_completed"

    @workflow.update
    async def submit_code(self) -> str:
        await self._step("check_verification_code")
        await self._step("record_code_verified")
        self._done.add("code")
        return "ok"

    @workflow.update
    async def give_consent(self) -> str:
        await self._step("record_consent")
        self._done.add("consent")
        await workflow.wait_condition(lambda: "active" in self._done)
        return "active"

    async def _step(self, name: str) -> None:
        await workflow.execute_activity(bare_step, name,
                                        start_to_close_timeout=timedelta(seconds=30))
        self._done.add(name)


async def _bare_account(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow(BareAccountValidation.run, uuid.uuid4().hex,
                                         id=f"bare-account-{uuid.uuid4().hex}",
                                         task_queue=task_queue)
    for update in ("validate_email", "profile_saved", "submit_code", "give_consent"):
        await handle.execute_update(update)
    assert await handle.result() == "active"


# --- the real thing, through the HTTP API ----------------------------------------------

async def _first(http: httpx.AsyncClient, to: str, template: str) -> dict:
    while True:
        items = (await http.get("/dev/outbox", params={"to": to})).json()["items"]
        found = [m for m in items if m["template"] == template]
        if found:
            message: dict = found[0]
            return message
        await asyncio.sleep(0.1)  # polling costs the server CPU the accounts need


async def _api_account(http: httpx.AsyncClient) -> None:
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    response = await http.post("/api/v1/auth/register", json={
        "email": email, "password": PASSWORD, "role": "patient", "first_name": "Bench",
        "last_name": "Mark", "language": "en"})
    assert response.status_code == 202, response.text
    link = await _first(http, email, "account_validation")
    token = parse_qs(urlparse(link["data"]["validation_url"]).query)["token"][0]
    assert (await http.post("/api/v1/auth/validate-email",
                            json={"token": token})).status_code == 200
    signed_in = await http.post("/api/v1/auth/token",
                                data={"username": email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    assert (await http.put("/api/v1/me/profile", json=PROFILE,
                           headers=headers)).status_code == 200
    code = (await _first(http, email, "verification_code"))["data"]["code"]
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
    task_queue = f"bench-bare-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[BareAccountValidation],
                      activities=[bare_step]):
        baseline = await _rate(lambda: _bare_account(client, task_queue))

    async with stack(temporal) as s:
        value = await _rate(lambda: _api_account(s.http))

    return [Result(name="account_validations_per_second", value=value, unit="accounts/s",
                   baseline=baseline, goal="ratio >= 0.8", lower_is_better=False)]
