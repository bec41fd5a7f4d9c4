"""Appointments confirmed per second through the HTTP API (hold a slot, pay on the sandbox
checkout, confirmed by AppointmentWorkflow), against a bare Temporal workflow of the same
shape (`bench.bare_appointment`) driven directly, in one run. Each appointment is a
different patient of one doctor taking a different office slot."""

from __future__ import annotations

import uuid
from collections import deque
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment

from bench.bare_payment import DOCTOR_ID, PATIENT_ID, STATUS
from bench.harness import Result, Stack, against_bare, rate_result, shows_status, until
from db.base import utcnow
from tests.appointments.support import World, a_doctor, a_patient_of, book
from tests.payments.support import checkout

APPOINTMENTS = 40
CONCURRENCY = 8
WARM_UP = 2


async def _bookings(s: Stack, count: int) -> deque[tuple[World, str]]:
    """`count` patients of one doctor, each with a free office slot of their own."""
    doctor = await a_doctor(s.sessions, s.settings)
    patients = [await a_patient_of(s.sessions, s.settings, s.http, doctor)
                for _ in range(count)]
    first = (utcnow() + timedelta(days=3)).date()
    listed = await s.http.get(f"/api/v1/doctors/{doctor.id}/slots",
                              headers=patients[0][0].headers,
                              params={"from": first.isoformat(), "type": "office",
                                      "to": (first + timedelta(days=7)).isoformat()})
    assert listed.status_code == 200, listed.text
    slots = [slot["start"] for slot in listed.json()["items"] if slot["status"] == "free"]
    assert len(slots) >= count, len(slots)
    work: deque[tuple[World, str]] = deque(
        (World(patient, doctor, address_id), start)
        for (patient, address_id), start in zip(patients, slots, strict=False))
    return work


async def _api_appointment(s: Stack, work: deque[tuple[World, str]]) -> None:
    world, start = work.popleft()
    booking = await book(s.http, world, start=start)
    assert booking.status_code == 201, booking.body
    await checkout(s.http, booking.payment, "succeed")

    async def confirmed() -> bool:
        seen = await s.http.get(f"/api/v1/appointments/{booking.id}",
                                headers=world.patient.headers)
        return bool(seen.json()["status"] == "confirmed")

    await until(confirmed)


async def _bare_appointment(client: Client, task_queue: str) -> None:
    appointment_id = uuid.uuid4().hex
    workflow_id = f"bare-appointment-{appointment_id}"
    start: WithStartWorkflowOperation[Any, str] = WithStartWorkflowOperation(
        "BareAppointmentWorkflow", appointment_id, result_type=str, id=workflow_id,
        task_queue=task_queue, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"Office appointment {appointment_id} of bare patient with bare doctor",
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(PATIENT_ID, appointment_id),
            SearchAttributePair(DOCTOR_ID, appointment_id),
            SearchAttributePair(STATUS, "appointment_pending_payment")]))
    payment_workflow_id = await client.execute_update_with_start_workflow(
        "checkout", start_workflow_operation=start, result_type=str)
    await client.get_workflow_handle(payment_workflow_id).signal("provider_event", "ok")
    handle = client.get_workflow_handle(workflow_id)
    await until(lambda: shows_status(handle, "appointment_confirmed"))


async def run(temporal: WorkflowEnvironment) -> list[Result]:
    rates = await against_bare(
        temporal, "bench.bare_appointment", lambda s: _bookings(s, APPOINTMENTS + WARM_UP),
        _bare_appointment, _api_appointment,
        count=APPOINTMENTS, concurrency=CONCURRENCY, warm_up=WARM_UP)
    return rate_result("appointments_per_second", "appointments/s", "appointments", rates)
