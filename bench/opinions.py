"""Medical opinions answered per second through the HTTP API (the patient's draft, submitted
and paid on the sandbox checkout, transmitted, the doctor's answer), against a bare
Temporal workflow of the same shape (`bench.bare_opinion`) driven directly, in one run.
Each opinion is a different patient asking one of their doctors."""

from __future__ import annotations

import uuid
from collections import deque

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from bench.bare_payment import DOCTOR_ID, PATIENT_ID
from bench.harness import Result, Stack, against_bare, rate_result, shows_status, until
from tests.opinions.flows import SUMMARY
from tests.opinions.support import People, people
from tests.payments.support import checkout

OPINIONS = 40
CONCURRENCY = 8
WARM_UP = 2


async def _askers(s: Stack, count: int) -> deque[tuple[People, str]]:
    """`count` patients, each with one of their doctors and a billing address."""
    work: deque[tuple[People, str]] = deque()
    for _ in range(count):
        who = await people(s.sessions, s.settings)
        address = await s.http.post("/api/v1/me/billing-addresses", json={"use_profile": True},
                                    headers=who.patient.headers)
        assert address.status_code == 201, address.text
        work.append((who, address.json()["id"]))
    return work


async def _api_opinion(s: Stack, work: deque[tuple[People, str]]) -> None:
    who, address_id = work.popleft()
    http, p = s.http, who.patient.headers
    drafted = await http.post("/api/v1/opinion-requests", headers=p, json={
        "doctor_id": who.doctor.id, "reason": "Douleurs thoraciques", **SUMMARY})
    assert drafted.status_code == 201, drafted.text
    url = f"/api/v1/opinion-requests/{drafted.json()['id']}"
    submitted = await http.post(f"{url}/submit", headers=p, json={
        "billing_address_id": address_id, "payment_method": "card"})
    assert submitted.status_code == 201, submitted.text
    await checkout(http, submitted.json()["payment"], "succeed")

    async def transmitted() -> bool:
        seen = await http.get(url, headers=p)
        return bool(seen.json()["status"] == "transmitted")

    await until(transmitted)
    answered = await http.post(f"/api/v1/doctor/opinion-requests/{drafted.json()['id']}/answer",
                               headers=who.doctor.headers,
                               json={"opinion": "Angor probable : épreuve d'effort à faire."})
    assert answered.status_code == 200 and answered.json()["status"] == "answered", (
        answered.text)


async def _bare_opinion(client: Client, task_queue: str) -> None:
    request_id = uuid.uuid4().hex
    handle = await client.start_workflow(
        "BareOpinionWorkflow", request_id, id=f"bare-opinion-{request_id}",
        task_queue=task_queue,
        static_summary=f"Bare patient asks Dr Bare for a medical opinion ({request_id})",
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(PATIENT_ID, request_id),
            SearchAttributePair(DOCTOR_ID, request_id)]))
    payment_workflow_id = await handle.execute_update("submit", request_id, result_type=str)
    await client.get_workflow_handle(payment_workflow_id).signal("provider_event", "ok")
    await until(lambda: shows_status(handle, "opinion_transmitted"))
    answered = await handle.execute_update("answer", request_id, result_type=str)
    assert answered == "answered", answered


async def run(temporal: WorkflowEnvironment) -> list[Result]:
    rates = await against_bare(
        temporal, "bench.bare_opinion", lambda s: _askers(s, OPINIONS + WARM_UP),
        _bare_opinion, _api_opinion,
        count=OPINIONS, concurrency=CONCURRENCY, warm_up=WARM_UP)
    return rate_result("opinions_per_second", "opinions/s", "opinions", rates)
