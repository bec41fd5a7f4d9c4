"""Opinion requests as a patient makes them through the API (the e2e tests, the codec's
representative run and the recorded history use them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from core.settings import Settings
from db.engine import SessionMaker
from tests.opinions.support import People, people
from tests.payments.support import checkout, eventually
from tests.record.conftest import PDF, upload

SUMMARY = {"symptoms": "Oppression thoracique à l'effort depuis deux semaines.",
           "illness_history": "Hypertension connue, traitée depuis 2019."}


@dataclass
class Draft:
    who: People
    id: str
    body: dict[str, Any]
    address_id: str
    allergy_id: str
    document_id: str


async def draft_request(api: httpx.AsyncClient, sessions: SessionMaker,
                        settings: Settings) -> Draft:
    who = await people(sessions, settings)
    p = who.patient.headers
    address = await api.post("/api/v1/me/billing-addresses", json={"use_profile": True},
                             headers=p)
    assert address.status_code == 201, address.text
    allergy = await api.post("/api/v1/me/record/allergies",
                             json={"substance": "Pénicilline", "severity": "severe"}, headers=p)
    assert allergy.status_code == 201, allergy.text
    document = await upload(api, who.patient, ("ecg.pdf", PDF))
    assert document.status_code == 201, document.text
    created = await api.post("/api/v1/opinion-requests", headers=p, json={
        "doctor_id": who.doctor.id, "reason": "Douleurs thoraciques"})
    assert created.status_code == 201, created.text
    body = created.json()
    return Draft(who, body["id"], body, address.json()["id"], allergy.json()["id"],
                 document.json()["items"][0]["id"])


async def status_of(api: httpx.AsyncClient, draft: Draft, status: str, within: float = 20
                    ) -> dict[str, Any]:
    async def seen() -> dict[str, Any] | None:
        got = (await api.get(f"/api/v1/opinion-requests/{draft.id}",
                             headers=draft.who.patient.headers)).json()
        return got if got["status"] == status else None
    return await eventually(seen, within)


async def submitted_request(api: httpx.AsyncClient, sessions: SessionMaker,
                            settings: Settings) -> tuple[Draft, dict[str, Any]]:
    """A complete draft with two attachments, submitted: the draft and the checkout (its
    `payment` not paid yet)."""
    draft = await draft_request(api, sessions, settings)
    p, url = draft.who.patient.headers, f"/api/v1/opinion-requests/{draft.id}"
    assert (await api.patch(url, headers=p, json={**SUMMARY, "vitals": [
        {"type": "blood_pressure", "measured_at": "2026-11-30T08:00:00Z", "systolic": 150,
         "diastolic": 95}]})).status_code == 200
    for kind, item in (("allergy", draft.allergy_id), ("document", draft.document_id)):
        attached = await api.post(f"{url}/attachments", headers=p,
                                  json={"kind": kind, "item_id": item})
        assert attached.status_code == 201, attached.text
    submitted = await api.post(f"{url}/submit", headers=p, json={
        "billing_address_id": draft.address_id, "payment_method": "card"})
    assert submitted.status_code == 201, submitted.text
    body: dict[str, Any] = submitted.json()
    assert body["status"] == "pending_payment"
    assert body["price"] == body["list_price"] == {"amount": 20000, "currency": "XAF"}
    return draft, body


async def paid_request(api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings) -> Draft:
    """A complete draft with two attachments, submitted and paid with the sandbox."""
    draft, body = await submitted_request(api, sessions, settings)
    await checkout(api, body["payment"], "succeed")
    await status_of(api, draft, "transmitted")
    return draft
