"""The demo's pharmacies: three (Yaoundé, Douala), each with a verified staff account that
works its queue at once; the demo patient finds them and sends the demo prescriptions."""

from __future__ import annotations

import httpx
import pytest
from temporalio.worker import Worker

from db.engine import SessionMaker
from db.seed import DEMO_PASSWORD, DEMO_PATIENT_EMAIL, DEMO_PHARMACIES, seed_demo_data

pytestmark = pytest.mark.db


async def _sign_in(api: httpx.AsyncClient, email: str) -> dict[str, str]:
    token = await api.post("/api/v1/auth/token",
                           data={"username": email, "password": DEMO_PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_three_pharmacies_each_with_its_staff(
    sessions: SessionMaker, api: httpx.AsyncClient, worker: Worker
) -> None:
    await seed_demo_data(sessions)
    patient = await _sign_in(api, DEMO_PATIENT_EMAIL)
    cities = {}
    for city in ("Yaoundé", "Douala"):
        found = await api.get("/api/v1/pharmacies", params={"city": city}, headers=patient)
        cities[city] = [p["id"] for p in found.json()["items"]]
    assert len(cities["Yaoundé"]) == 2 and len(cities["Douala"]) == 1

    items = [i["id"] for g in (await api.get("/api/v1/me/prescriptions?status=open",
                                             headers=patient)).json()["items"]
             for i in g["items"]]
    sent = await api.post("/api/v1/proforma-requests", headers=patient, json={
        "pharmacy_id": cities["Douala"][0], "prescription_item_ids": items})
    assert sent.status_code == 201, sent.text
    for pharmacy in DEMO_PHARMACIES:
        staff = await _sign_in(api, pharmacy.staff_email)
        queue = await api.get("/api/v1/pharmacy/requests", headers=staff)
        assert queue.status_code == 200, queue.text
        expected = [sent.json()["id"]] if pharmacy.id == cities["Douala"][0] else []
        assert [o["id"] for o in queue.json()["items"]] == expected
