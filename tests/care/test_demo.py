"""The demo data of `make run`: the demo patient's doctors and consultation with
prescriptions (the seed), and their plan, subscribed and paid through the API."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.worker import Worker

from cli.demo import ask_demo_record_fill, draft_demo_opinion, subscribe_demo_patient
from db.engine import SessionMaker
from db.models import CareLink, Consultation, Invoice, PrescriptionItem, Subscription, User
from db.seed import DEMO_PASSWORD, DEMO_PATIENT_EMAIL, seed_demo_data

pytestmark = pytest.mark.db


async def _sign_in(http: httpx.AsyncClient, email: str = DEMO_PATIENT_EMAIL) -> dict[str, str]:
    token = await http.post("/api/v1/auth/token",
                            data={"username": email, "password": DEMO_PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_the_demo_patient_has_doctors_and_prescriptions_to_take_to_a_pharmacy(
    sessions: SessionMaker, api: httpx.AsyncClient
) -> None:
    created = await seed_demo_data(sessions)
    assert any("consultation with prescriptions" in line for line in created)
    assert not any("consultation" in line for line in await seed_demo_data(sessions))
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Consultation)) == 1
        assert await session.scalar(select(func.count()).select_from(CareLink).where(
            CareLink.status == "active")) == 2

    headers = await _sign_in(api)
    groups = (await api.get("/api/v1/me/prescriptions?status=open",
                            headers=headers)).json()["items"]
    assert len(groups) == 1 and groups[0]["doctor"]["last_name"] == "Mbarga"
    assert [(i["drug_id"], i["name"]) for i in groups[0]["items"]] == [
        ("63458349", "AMLOR 5 mg, gélule"), ("60234100", "DOLIPRANE 1000 mg, comprimé")]
    doctors = (await api.get("/api/v1/me/doctors", headers=headers)).json()["items"]
    assert sorted(d["status"] for d in doctors) == ["active", "active"]


async def test_the_demo_patient_subscribes_through_the_api_once(
    sessions: SessionMaker, api: httpx.AsyncClient, worker: Worker
) -> None:
    await seed_demo_data(sessions)
    done = await subscribe_demo_patient(api, wait=30)
    assert "subscribed to Confort" in done
    headers = await _sign_in(api)
    entitlements = (await api.get("/api/v1/me/entitlements", headers=headers)).json()
    assert entitlements["plan"] == "confort"
    assert entitlements["teleconsultation"] and entitlements["office_appointment"]
    assert entitlements["opinion_request"]
    subscription = (await api.get("/api/v1/me/subscription", headers=headers)).json()
    assert subscription["status"] == "active" and subscription["auto_renew"]

    assert "already" in await subscribe_demo_patient(api, wait=30)
    async with sessions() as session:
        patient_id = await session.scalar(select(User.id).where(
            User.email == DEMO_PATIENT_EMAIL))
        assert await session.scalar(select(func.count()).select_from(Subscription).where(
            Subscription.user_id == patient_id)) == 1
        # Paid like any subscription: one invoice.
        assert await session.scalar(select(func.count()).select_from(Invoice).where(
            Invoice.user_id == patient_id)) == 1
        assert await session.scalar(select(func.count()).select_from(PrescriptionItem)) == 2


async def test_the_demo_doctor_finds_a_record_to_fill_in(
    sessions: SessionMaker, api: httpx.AsyncClient, worker: Worker
) -> None:
    await seed_demo_data(sessions)
    done = await ask_demo_record_fill(api, wait=30)
    assert "asked Dr Fotso to fill in their record (DOS-" in done
    doctor = await _sign_in(api, "dr.fotso@esame.local")
    (fill,) = (await api.get("/api/v1/doctor/record-fill-requests",
                             headers=doctor)).json()["items"]
    assert fill["status"] == "in_progress" and fill["note"].startswith("Merci")
    record = await api.get(f"/api/v1/patients/{fill['patient']['id']}/record", headers=doctor)
    assert record.status_code == 200, record.text
    assert "already" in await ask_demo_record_fill(api, wait=30)


async def test_the_demo_patient_has_a_draft_opinion_request_to_submit(
    sessions: SessionMaker, api: httpx.AsyncClient, worker: Worker
) -> None:
    await seed_demo_data(sessions)
    await subscribe_demo_patient(api, wait=30)
    done = await draft_demo_opinion(api)
    assert "draft opinion request AVIS-" in done
    headers = await _sign_in(api)
    (draft,) = (await api.get("/api/v1/me/opinion-requests", headers=headers)).json()["items"]
    assert draft["status"] == "draft" and draft["symptoms"] and draft["illness_history"]
    doctors = (await api.get("/api/v1/me/doctors", headers=headers)).json()["items"]
    assert draft["doctor_id"] in {d["doctor_id"] for d in doctors}
    assert "already" in await draft_demo_opinion(api)
