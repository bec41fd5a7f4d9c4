"""Pharmacy orders completed per second through the HTTP API (request, pro-forma, order,
validation, payment on the sandbox checkout, pickup code by email, collection), against a
bare Temporal workflow of the same shape (`bench.bare_pharmacy`) driven directly, in one
run. Each order is the whole flow a patient and a pharmacy's staff go through."""

from __future__ import annotations

import itertools
import uuid
from collections import deque
from datetime import timedelta

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from bench.bare_payment import PATIENT_ID
from bench.bare_pharmacy import PHARMACY_ID
from bench.harness import (
    Result,
    Stack,
    bare_worker,
    chosen_database,
    rates_abba,
    shows_status,
    stack,
    until,
)
from db.base import utcnow
from domain.accounts import Role
from tests.care.conftest import AMLOR_5, DOLIPRANE_1000, consultation, item
from tests.support.users import TestUser, make_user

ORDERS = 40
CONCURRENCY = 8
WARM_UP = 2


async def _items(s: Stack, patient: TestUser, doctor: TestUser) -> list[str]:
    from sqlalchemy import select

    from db.models import PrescriptionItem

    consultation_id = await consultation(s.sessions, patient, doctor,
                                         items=[item(AMLOR_5, quantity=2), item(DOLIPRANE_1000)])
    async with s.sessions() as session:
        return list(await session.scalars(select(PrescriptionItem.id).where(
            PrescriptionItem.consultation_id == consultation_id)))


async def _orders(s: Stack, count: int) -> tuple[deque[tuple[TestUser, str, list[str]]],
                                                  TestUser]:
    """`count` prescriptions to send, over CONCURRENCY patients, and the pharmacy's staff."""
    staff = await make_user(s.sessions, s.settings, Role.pharmacist)
    doctor = await make_user(s.sessions, s.settings, Role.doctor)
    patients = []
    for _ in range(CONCURRENCY):
        patient = await make_user(s.sessions, s.settings, Role.patient,
                                  address_line="1 rue du Banc", phone="+237670000777")
        address = await s.http.post("/api/v1/me/billing-addresses",
                                    json={"use_profile": True}, headers=patient.headers)
        patients.append((patient, address.json()["id"]))
    work: deque[tuple[TestUser, str, list[str]]] = deque()
    for patient, address in itertools.islice(itertools.cycle(patients), count):
        work.append((patient, address, await _items(s, patient, doctor)))
    return work, staff


async def _api_order(s: Stack, staff: TestUser, work: deque[tuple[TestUser, str, list[str]]]
                     ) -> None:
    patient, address, item_ids = work.popleft()
    http, ph = s.http, patient.headers
    created = await http.post("/api/v1/proforma-requests", headers=ph, json={
        "pharmacy_id": staff.extra["pharmacy_id"], "prescription_item_ids": item_ids})
    assert created.status_code == 201, created.text
    order = created.json()
    oid = order["id"]
    lines = [{"prescription_item_id": i["id"], "product": i["name"], "quantity": i["quantity"],
              "unit_price": {"amount": 1500, "currency": "XAF"}, "available": True}
             for i in order["items"]]
    quoted = await http.post(f"/api/v1/pharmacy/requests/{oid}/proforma", headers=staff.headers,
                             json={"lines": lines,
                                   "valid_until": (utcnow() + timedelta(days=1)).isoformat()})
    assert quoted.status_code == 200, quoted.text
    ordered = await http.post(f"/api/v1/proformas/{oid}/order", json={}, headers=ph)
    assert ordered.status_code == 200, ordered.text
    validated = await http.post(f"/api/v1/pharmacy/orders/{oid}/validate",
                                headers=staff.headers)
    assert validated.status_code == 200, validated.text
    paying = await http.post(f"/api/v1/pharmacy-orders/{oid}/pay", headers=ph, json={
        "billing_address_id": address, "payment_method": "card"})
    assert paying.status_code == 201, paying.text
    payment = paying.json()["payment"]
    approved = await http.post(f"/sandbox/checkout/{payment['id']}", data={"outcome": "succeed"})
    assert approved.status_code == 200, approved.text

    async def code() -> str | None:
        sent = (await http.get("/dev/outbox", params={"to": patient.email})).json()["items"]
        found = [m for m in sent if m["template"] == "order_paid"
                 and m["data"].get("reference") == order["reference"]]
        return found[0]["data"]["pickup_code"] if found else None

    pickup_code = await until(code)
    collected = await http.post(f"/api/v1/pharmacy/orders/{oid}/collect",
                                json={"code": pickup_code}, headers=staff.headers)
    assert collected.status_code == 200 and collected.json()["status"] == "collected", (
        collected.text)


async def _bare_order(client: Client, task_queue: str) -> None:
    order_id = uuid.uuid4().hex
    handle = await client.start_workflow(
        "BarePharmacyOrderWorkflow", order_id, id=f"bare-pharmacy-order-{order_id}",
        task_queue=task_queue, static_summary=f"Pharmacy order of bare patient {order_id}",
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(PATIENT_ID, order_id),
            SearchAttributePair(PHARMACY_ID, order_id)]))
    for update in ("issue_proforma", "order", "validate"):
        await handle.execute_update(update, order_id, result_type=str)
    payment_workflow_id = await handle.execute_update("pay", order_id, result_type=str)
    await client.get_workflow_handle(payment_workflow_id).signal("provider_event", "ok")

    await until(lambda: shows_status(handle, "pharmacy_order_paid"))
    await handle.execute_update("collect", order_id, result_type=str)
    await handle.result()


async def run(temporal: WorkflowEnvironment) -> list[Result]:
    database_url = await chosen_database()
    async with bare_worker(temporal, "bench.bare_pharmacy") as task_queue, \
            stack(temporal, database_url) as s:
        work, staff = await _orders(s, ORDERS + WARM_UP)
        api_rate, bare_rate = await rates_abba(
            lambda: _bare_order(temporal.client, task_queue),
            lambda: _api_order(s, staff, work), count=ORDERS, concurrency=CONCURRENCY,
            warm_up=WARM_UP)
    print(f"  pharmacy orders through the API: {api_rate:.2f}/s, bare Temporal: "
          f"{bare_rate:.2f}/s")
    return [Result(name="pharmacy_orders_per_second", value=api_rate, unit="orders/s",
                   baseline=bare_rate, goal="ratio >= 0.8", lower_is_better=False)]
