"""`make run`'s demo: the demo patient books with one of their demo doctors at once (a week
of availability, an active doctor, a plan with every service), pays at the sandbox, and has
a confirmed appointment."""

from __future__ import annotations

import httpx
import pytest
from temporalio.worker import Worker

from cli.demo import subscribe_demo_patient
from db.engine import SessionMaker
from db.models import User
from db.seed import DEMO_PASSWORD, DEMO_PATIENT_DOCTORS, DEMO_PATIENT_EMAIL, seed_demo_data
from tests.appointments.support import eventually, status_is
from tests.payments.support import checkout

pytestmark = pytest.mark.db


async def test_the_demo_patient_books_with_a_demo_doctor_at_once(
    sessions: SessionMaker, api: httpx.AsyncClient, worker: Worker,
) -> None:
    from sqlalchemy import select

    await seed_demo_data(sessions)
    await subscribe_demo_patient(api, wait=30)
    token = (await api.post("/api/v1/auth/token", data={
        "username": DEMO_PATIENT_EMAIL, "password": DEMO_PASSWORD})).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    async with sessions() as session:
        doctor_id = await session.scalar(select(User.id).where(
            User.email == DEMO_PATIENT_DOCTORS[0]))
    slots = (await api.get(f"/api/v1/doctors/{doctor_id}/slots", headers=headers)).json()
    free = [s for s in slots["items"] if s["status"] == "free"]
    assert free, "the demo doctor has free slots this week"
    address = (await api.get("/api/v1/me/billing-addresses", headers=headers)).json()["items"]
    booked = await api.post("/api/v1/appointments", headers=headers, json={
        "doctor_id": doctor_id, "start": free[0]["start"], "type": free[0]["type"],
        "billing_address_id": address[0]["id"], "payment_method": "card"})
    assert booked.status_code == 201, booked.text
    await checkout(api, booked.json()["payment"], "succeed")
    await eventually(status_is(sessions, booked.json()["id"], "confirmed"))
