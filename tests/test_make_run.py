"""`make run` walked through as a new user would: `esame up` (the dev server, the worker and
the API in their own processes, the demo data), then accounts, invitations, doctors,
payments and the record through the HTTP API. At the end no run of the dev server failed
(`temporal workflow list --query "ExecutionStatus='Failed'"` lists nothing), none is stuck
(a workflow task or an activity failing and retried), and each shows its status as
`<process>_<status>` with a summary."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus

from core.settings import TemporalSettings
from core.temporal_client import data_converter
from db.seed import DEMO_PASSWORD
from tests.accounts.flows import PROFILE, delivered, latest_code, new_email, register, token_of
from tests.support.esame_up import EsameUp, esame_up

TEMPORAL = Path(sys.executable).parent / "temporal"
# The prefix of the EsameStatus of each type (the account-exists notice has no status).
STATUS_PREFIX = {
    "AccountValidationWorkflow": "account_",
    "InvitationWorkflow": "invitation_",
    "DoctorLinkWorkflow": "doctor_link_",
    "PaymentWorkflow": "payment_",
    "SubscriptionWorkflow": "subscription_",
    "PurchaseWorkflow": "purchase_",
    "RecordFillWorkflow": "record_fill_",
    # The demo patient's draft opinion request (cli/demo.py), then the care walk.
    "OpinionRequestWorkflow": "opinion_",
    "AppointmentWorkflow": "appointment_",
    "PharmacyOrderWorkflow": "pharmacy_order_",
    "SponsorshipWorkflow": "sponsorship_",
    "AccountExistsNoticeWorkflow": None,
}


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EsameUp]:
    with esame_up(tmp_path_factory.mktemp("make-run")) as running:
        yield running


@pytest.fixture
async def http(up: EsameUp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=up.api_url, timeout=60) as client:
        yield client


async def _sign_in(http: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await http.post("/api/v1/auth/token",
                               data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _new_patient(http: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    """Sign up, follow the validation link, complete the profile, type the code, consent."""
    email = new_email("walk")
    assert (await register(http, email)).status_code == 202
    (link,) = await delivered(http, email, "account_validation")
    validated = await http.post("/api/v1/auth/validate-email", json={"token": token_of(link)})
    assert validated.status_code == 200, validated.text
    headers = {"Authorization": f"Bearer {validated.json()['access_token']}"}
    assert (await http.put("/api/v1/me/profile", json=PROFILE,
                           headers=headers)).status_code == 200
    code = await latest_code(http, email)
    assert (await http.post("/api/v1/me/verification", json={"code": code},
                            headers=headers)).status_code == 200
    consent = await http.post("/api/v1/me/consent", json={"share_medical_data": True},
                              headers=headers)
    assert consent.json()["status"] == "active", consent.text
    return email, headers


async def _pay(http: httpx.AsyncClient, payment: dict[str, Any], outcome: str) -> None:
    """What the payer does on the sandbox's hosted page."""
    path = httpx.URL(payment["checkout_url"]).path
    page = await http.get(path)
    assert page.status_code == 200 and "Pay</button>" in page.text
    assert (await http.post(path, data={"outcome": outcome})).status_code == 200


async def _payment_settles(http: httpx.AsyncClient, headers: dict[str, str],
                           payment_id: str, status: str) -> None:
    deadline = time.monotonic() + 30
    while (await http.get(f"/api/v1/payments/{payment_id}",
                          headers=headers)).json()["status"] != status:
        assert time.monotonic() < deadline, f"payment {payment_id} not {status}"
        await asyncio.sleep(0.1)


async def _walk(http: httpx.AsyncClient) -> None:
    # Accounts: a new patient, a second registration of the same address, a friend invited.
    email, patient = await _new_patient(http)
    assert (await register(http, email)).status_code == 202
    await delivered(http, email, "account_exists")
    friend = new_email("friend")
    invited = await http.post("/api/v1/invitations", json={"email": friend}, headers=patient)
    assert invited.status_code == 202
    await delivered(http, friend, "platform_invitation")

    # Doctors: two demo doctors asked; one accepts, one declines; the patient is told.
    directory = (await http.get("/api/v1/doctors", params={"limit": 50},
                                headers=patient)).json()["items"]
    by_name = {d["last_name"]: d["id"] for d in directory}
    for last_name in ("Mbarga", "Fotso"):
        asked = await http.post("/api/v1/me/doctors", json={"doctor_id": by_name[last_name]},
                                headers=patient)
        assert asked.status_code == 202, asked.text
    for doctor_email, answer in (("dr.mbarga@esame.local", "accept"),
                                 ("dr.fotso@esame.local", "decline")):
        doctor = await _sign_in(http, doctor_email, DEMO_PASSWORD)
        await delivered(http, doctor_email, "doctor_invitation")
        pending = (await http.get("/api/v1/doctor/invitations",
                                  headers=doctor)).json()["items"]
        (request,) = [p for p in pending if p["status"] == "pending"]
        done = await http.post(f"/api/v1/doctor/invitations/{request['id']}/{answer}",
                               headers=doctor)
        assert done.status_code == 200, done.text
    await delivered(http, email, "doctor_invitation_accepted")
    await delivered(http, email, "doctor_invitation_declined")

    # Payments: a subscription paid by card, SMS bought, a purchase declined.
    address = await http.post("/api/v1/me/billing-addresses", json={"use_profile": True},
                              headers=patient)
    assert address.status_code == 201, address.text
    paying = {"billing_address_id": address.json()["id"], "payment_method": "card"}
    subscribed = await http.post("/api/v1/me/subscriptions",
                                 json={"plan_id": "plan-confort", **paying}, headers=patient)
    assert subscribed.status_code == 201, subscribed.text
    await _pay(http, subscribed.json()["payment"], "succeed")
    await _payment_settles(http, patient, subscribed.json()["payment"]["id"], "succeeded")
    bought = await http.post("/api/v1/me/purchases", json={"sms_packs": 1, **paying},
                             headers=patient)
    assert bought.status_code == 201, bought.text
    await _pay(http, bought.json()["payment"], "succeed")
    await _payment_settles(http, patient, bought.json()["payment"]["id"], "succeeded")
    refused = await http.post("/api/v1/me/purchases", json={"storage_gb": 1, **paying},
                              headers=patient)
    assert refused.status_code == 201, refused.text
    await _pay(http, refused.json()["payment"], "fail")
    await _payment_settles(http, patient, refused.json()["payment"]["id"], "failed")
    await delivered(http, email, "subscription_activated")

    # The record: what a patient keeps, and its FHIR export.
    base = "/api/v1/me/record"
    for path, body in (("antecedents", {"category": "medical", "description": "Asthma"}),
                       ("allergies", {"substance": "Pollen", "severity": "mild"}),
                       ("treatments", {"name": "Salbutamol", "dosage": "100 µg"})):
        assert (await http.post(f"{base}/{path}", json=body,
                                headers=patient)).status_code == 201
    measured = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    vital = await http.post("/api/v1/me/vitals", headers=patient,
                            json={"type": "heart_rate", "value": 72, "measured_at": measured})
    assert vital.status_code == 201, vital.text
    fhir = await http.get(f"{base}/fhir", headers=patient)
    assert fhir.status_code == 200, fhir.text


async def _until(http: httpx.AsyncClient, path: str, headers: dict[str, str],
                 status: str) -> dict[str, Any]:
    """The object at `path` once its status is `status` (a process's step); fails after 30 s."""
    deadline = time.monotonic() + 30
    while (found := (await http.get(path, headers=headers)).json())["status"] != status:
        assert time.monotonic() < deadline, f"{path} is {found['status']}, not {status}"
        await asyncio.sleep(0.1)
    return found


def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (response.request.url, response.text)
    body: dict[str, Any] = response.json()
    return body


async def _walk_care(http: httpx.AsyncClient) -> None:
    """The care processes, as the demo patient (two doctors, the Confort plan, a draft
    opinion request and prescriptions, cli/demo.py) and the demo professionals."""
    patient = await _sign_in(http, "patient@esame.local", DEMO_PASSWORD)
    doctor = await _sign_in(http, "dr.mbarga@esame.local", DEMO_PASSWORD)
    staff = await _sign_in(http, "pharmacie.bastos@esame.local", DEMO_PASSWORD)
    sponsor = await _sign_in(http, "parrain@esame.local", DEMO_PASSWORD)
    me = _ok(await http.get("/api/v1/me", headers=patient))
    mbarga = next(d["doctor_id"] for d in _ok(await http.get(
        "/api/v1/me/doctors", headers=patient))["items"] if d["last_name"] == "Mbarga")
    paying = {"billing_address_id": _ok(await http.get(
        "/api/v1/me/billing-addresses", headers=patient))["items"][0]["id"],
        "payment_method": "card"}

    # Appointments: a teleconsultation booked and paid; an office visit the doctor cancels.
    today = datetime.now(UTC).date()
    slots = _ok(await http.get(f"/api/v1/doctors/{mbarga}/slots", headers=patient, params={
        "from": str(today + timedelta(days=2)), "to": str(today + timedelta(days=9))}))
    free = [s for s in slots["items"] if s["status"] == "free"]
    booked = []
    for kind in ("teleconsultation", "office"):
        slot = next(s for s in free if s["type"] == kind)
        free.remove(slot)
        made = _ok(await http.post("/api/v1/appointments", headers=patient, json={
            "doctor_id": mbarga, "start": slot["start"], "type": kind, **paying}), 201)
        await _pay(http, made["payment"], "succeed")
        booked.append(await _until(http, f"/api/v1/appointments/{made['id']}", patient,
                                   "confirmed"))
    canceled = _ok(await http.post(f"/api/v1/appointments/{booked[1]['id']}/cancel",
                                   json={"reason": "Congrès"}, headers=doctor))
    assert canceled["status"] == "canceled", canceled

    # The opinion request drafted by the demo: paid, accepted, answered with a prescription.
    (draft,) = _ok(await http.get("/api/v1/me/opinion-requests", headers=patient))["items"]
    submitted = _ok(await http.post(f"/api/v1/opinion-requests/{draft['id']}/submit",
                                    json=paying, headers=patient), 201)
    await _pay(http, submitted["payment"], "succeed")
    await _until(http, f"/api/v1/opinion-requests/{draft['id']}", patient, "transmitted")
    doctor_url = f"/api/v1/doctor/opinion-requests/{draft['id']}"
    _ok(await http.post(f"{doctor_url}/accept", headers=doctor))
    _ok(await http.post(f"{doctor_url}/answer", headers=doctor, json={
        "opinion": "Bilan conseillé.",
        "prescriptions": [{"name": "Amlodipine 5 mg", "dosage": "1 cp", "quantity": 30}]}))

    # The pharmacy: the demo prescriptions quoted, ordered, validated, paid, collected.
    groups = _ok(await http.get("/api/v1/me/prescriptions", params={"status": "open"},
                                headers=patient))["items"]
    pharmacy = next(p["id"] for p in _ok(await http.get(
        "/api/v1/pharmacies", headers=patient))["items"] if "Bastos" in p["name"])
    asked = _ok(await http.post("/api/v1/proforma-requests", headers=patient, json={
        "pharmacy_id": pharmacy, "prescription_item_ids": [i["id"] for i in groups[-1]["items"]]}),
        201)
    order = asked["id"]
    lines = [{"prescription_item_id": i["id"], "product": i["name"],
              "quantity": 1, "unit_price": {"amount": 2500, "currency": "XAF"},
              "available": True} for i in asked["items"]]
    valid_until = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    _ok(await http.post(f"/api/v1/pharmacy/requests/{order}/proforma", headers=staff,
                        json={"lines": lines, "valid_until": valid_until}))
    _ok(await http.post(f"/api/v1/proformas/{order}/order", json={}, headers=patient))
    _ok(await http.post(f"/api/v1/pharmacy/orders/{order}/validate", headers=staff))
    paid = _ok(await http.post(f"/api/v1/pharmacy-orders/{order}/pay", json=paying,
                               headers=patient), 201)
    await _pay(http, paid["payment"], "succeed")
    (message,) = await delivered(http, "patient@esame.local", "order_paid")
    collected = _ok(await http.post(f"/api/v1/pharmacy/orders/{order}/collect",
                                    json={"code": message["data"]["pickup_code"]},
                                    headers=staff))
    assert collected["status"] == "collected"

    # Sponsorship: the relative in Paris pays, in euros, for a consultation of the patient.
    slot = free[0]
    sponsored = _ok(await http.post("/api/v1/sponsorships", headers=sponsor, json={
        "beneficiary_esame_id": me["esame_id"], "doctor_id": mbarga, "type": slot["type"],
        "start": slot["start"], "billing_address_id": _ok(await http.get(
            "/api/v1/me/billing-addresses", headers=sponsor))["items"][0]["id"],
        "payment_method": "card"}), 201)
    assert sponsored["price"]["currency"] == "EUR"
    await _pay(http, sponsored["payment"], "succeed")
    await _until(http, f"/api/v1/appointments/{sponsored['appointment']['id']}", patient,
                 "confirmed")

    # "Mes demandes" holds each of them once.
    kinds = [r["kind"] for r in _ok(await http.get("/api/v1/me/requests", params={
        "limit": 50}, headers=patient))["items"]]
    assert sorted(set(kinds)) == ["office_appointment", "opinion", "pharmacy", "record_fill",
                                  "teleconsultation"], kinds


def _failed_runs(up: EsameUp) -> list[dict[str, Any]]:
    """`temporal workflow list --query "ExecutionStatus='Failed'"`, as the issue runs it
    (timed out and terminated runs counted too)."""
    query = ("ExecutionStatus='Failed' OR ExecutionStatus='TimedOut' "
             "OR ExecutionStatus='Terminated'")
    listed = subprocess.run(
        [str(TEMPORAL), "workflow", "list", "--address", up.temporal_address, "--query", query,
         "-o", "json"], capture_output=True, text=True, timeout=60, check=True)
    found = json.loads(listed.stdout or "[]")
    return found if isinstance(found, list) else [found]


async def _settled(client: Client, within: float = 30) -> None:
    """Until no run has a workflow task or an activity in hand (the walk's last steps)."""
    deadline = time.monotonic() + within
    while True:
        busy = []
        async for run in client.list_workflows("ExecutionStatus='Running'"):
            raw = (await client.get_workflow_handle(run.id, run_id=run.run_id)
                   .describe()).raw_description
            if raw.pending_activities or raw.HasField("pending_workflow_task"):
                busy.append(run.id)
        if not busy or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.5)


async def test_a_walk_through_make_run_leaves_no_failed_or_stuck_run(
    up: EsameUp, http: httpx.AsyncClient
) -> None:
    await _walk(http)
    await _walk_care(http)
    client = await Client.connect(up.temporal_address,
                                  data_converter=data_converter(TemporalSettings()))
    await _settled(client)

    assert _failed_runs(up) == []
    seen: dict[str, int] = {}
    async for run in client.list_workflows():
        handle = client.get_workflow_handle(run.id, run_id=run.run_id)
        described = await handle.describe()
        raw = described.raw_description
        where = f"{run.workflow_type} {run.id}"
        seen[run.workflow_type] = seen.get(run.workflow_type, 0) + 1
        assert run.status in (WorkflowExecutionStatus.RUNNING,
                              WorkflowExecutionStatus.COMPLETED,
                              WorkflowExecutionStatus.CONTINUED_AS_NEW), where
        # Not stuck: nothing retried, no workflow task that failed on the way.
        assert [a.attempt for a in raw.pending_activities if a.attempt > 1] == [], where
        assert raw.pending_workflow_task.attempt <= 1, where
        failed_tasks = [e.event_id async for e in handle.fetch_history_events()
                        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
        assert failed_tasks == [], where
        # What an admin sees in the UI.
        assert await described.static_summary(), where
        assert run.workflow_type in STATUS_PREFIX, f"{where}: a type the walk does not know"
        prefix = STATUS_PREFIX[run.workflow_type]
        status = {p.key.name: p.value for p in described.typed_search_attributes}.get(
            "EsameStatus")
        if prefix is not None:
            assert isinstance(status, str) and status.startswith(prefix), (where, status)
    # The walk went through every process.
    assert set(seen) == set(STATUS_PREFIX), seen
