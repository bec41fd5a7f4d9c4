"""Payments completed per second through the API with the sandbox provider (buy, approve on
the sandbox checkout page, webhook, invoice, credit), against a bare Temporal workflow of the
same shape driven directly, in one run."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
)
from temporalio.testing import WorkflowEnvironment

from bench.bare_payment import PATIENT_ID, STATUS
from bench.harness import Result, Stack, bare_worker, chosen_database, rates_abba, stack
from domain.accounts import Role
from tests.support.users import make_user

PAYMENTS = 60
CONCURRENCY = 12


async def _payers(s: Stack) -> list[tuple[dict[str, str], str]]:
    payers = []
    for _ in range(CONCURRENCY):
        user = await make_user(s.sessions, s.settings, Role.patient,
                               address_line="1 rue du Banc")
        address = await s.http.post("/api/v1/me/billing-addresses", json={"use_profile": True},
                                    headers=user.headers)
        payers.append((user.headers, address.json()["id"]))
    return payers


async def _api_payment(s: Stack, payer: tuple[dict[str, str], str]) -> None:
    headers, address = payer
    created = await s.http.post("/api/v1/me/purchases", headers=headers, json={
        "sms_packs": 1, "billing_address_id": address, "payment_method": "card"})
    assert created.status_code == 201, created.text
    payment = created.json()["payment"]
    approved = await s.http.post(f"/sandbox/checkout/{payment['id']}", data={"outcome": "succeed"})
    assert approved.status_code == 200, approved.text
    handle = s.temporal.get_workflow_handle(f"purchase-{created.json()['purchase_id']}")
    await handle.result()


async def _bare_payment(client: Client, task_queue: str) -> None:
    purchase_id = uuid.uuid4().hex
    start: WithStartWorkflowOperation[Any, str] = WithStartWorkflowOperation(
        "BarePurchaseWorkflow", purchase_id, result_type=str, id=f"bare-purchase-{purchase_id}",
        task_queue=task_queue, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"Purchase by bare patient {purchase_id}: 1 SMS pack",
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(PATIENT_ID, purchase_id),
            SearchAttributePair(STATUS, "purchase_pending_payment")]))
    payment_workflow_id = await client.execute_update_with_start_workflow(
        "checkout", start_workflow_operation=start, result_type=str)
    await client.get_workflow_handle(payment_workflow_id).signal("provider_event", "ok")
    await client.get_workflow_handle(f"bare-purchase-{purchase_id}").result()


async def run(temporal: WorkflowEnvironment) -> list[Result]:
    database_url = await chosen_database()
    async with bare_worker(temporal, "bench.bare_payment") as task_queue, \
            stack(temporal, database_url) as s:
        payers = itertools.cycle(await _payers(s))
        api_rate, bare_rate = await rates_abba(
            lambda: _bare_payment(temporal.client, task_queue),
            lambda: _api_payment(s, next(payers)), count=PAYMENTS, concurrency=CONCURRENCY)
    print(f"  payments through the API: {api_rate:.2f}/s, bare Temporal: {bare_rate:.2f}/s")
    return [Result(name="payments_per_second", value=api_rate, unit="payments/s",
                   baseline=bare_rate, goal="ratio >= 0.8", lower_is_better=False)]
