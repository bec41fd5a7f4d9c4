"""The FHIR export carries the consultations (Encounter, with the doctor's summary as a
ClinicalImpression) and their prescriptions (MedicationRequest, one group per
consultation), validated by fhir.resources."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.medicationrequest import MedicationRequest
from sqlalchemy import update

from db.base import utcnow
from db.engine import SessionMaker
from db.models import PrescriptionItem
from domain.consultations import ConsultationKind
from tests.care.conftest import AMLOR_5, consultation, draft, item
from tests.support.users import TestUser

pytestmark = pytest.mark.db


async def test_consultations_and_prescriptions_in_the_bundle(
    client: httpx.AsyncClient, sessions: SessionMaker, patient: TestUser, doctor: TestUser
) -> None:
    now = utcnow()
    office = await consultation(
        sessions, patient, doctor, occurred_at=now - timedelta(days=3),
        summary="Hypertension: amlodipine.",
        items=[item(AMLOR_5, frequency="le matin", duration_days=30, quantity=1),
               item(name="Tensiomètre", dosage="matin et soir", quantity=1)])
    opinion = await consultation(sessions, patient, doctor, kind=ConsultationKind.opinion,
                                 occurred_at=now - timedelta(days=1),
                                 items=[item(name="Amoxicilline 1 g", quantity=2)])
    await consultation(sessions, patient, doctor, kind=ConsultationKind.teleconsultation)
    await draft(sessions, patient, doctor, items=[item(name="not yet published")])
    async with sessions() as session, session.begin():
        await session.execute(update(PrescriptionItem).where(
            PrescriptionItem.consultation_id == opinion).values(status="dispensed"))
    assert (await client.post("/api/v1/me/record/allergies", headers=patient.headers,
                              json={"substance": "Pénicilline"})).status_code == 201

    response = await client.get("/api/v1/me/record/fhir", headers=patient.headers)
    assert response.status_code == 200, response.text
    data = response.json()
    Bundle.model_validate(data)  # raises if not valid R4B
    resources = [e["resource"] for e in data["entry"]]
    urls = {e["resource"]["id"]: e["fullUrl"] for e in data["entry"]}
    by_type: dict[str, list[dict]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(resource)
    assert {k: len(v) for k, v in by_type.items()} == {
        "Patient": 1, "AllergyIntolerance": 1, "Encounter": 3, "ClinicalImpression": 3,
        "MedicationRequest": 3}

    encounters = {e["identifier"][0]["value"]: e for e in by_type["Encounter"]}
    assert {office, opinion} <= set(encounters)
    for encounter in encounters.values():
        Encounter.model_validate(encounter)
        assert encounter["status"] == "finished"
        assert encounter["participant"][0]["individual"]["identifier"]["value"] == doctor.id
    assert encounters[office]["class"]["code"] == "AMB"
    assert encounters[opinion]["class"]["code"] == "VR"
    assert encounters[office]["type"][0]["coding"][0]["code"] == "office"

    impression = next(c for c in by_type["ClinicalImpression"]
                      if c["encounter"]["reference"] == urls[office])
    assert impression["summary"] == "Hypertension: amlodipine."

    requests = by_type["MedicationRequest"]
    for request in requests:
        MedicationRequest.model_validate(request)
        assert request["intent"] == "order"
    groups: dict[str, list[dict]] = {}
    for request in requests:
        groups.setdefault(request["groupIdentifier"]["value"], []).append(request)
    assert {k: len(v) for k, v in groups.items()} == {office: 2, opinion: 1}
    assert all(r["encounter"]["reference"] == urls[office] for r in groups[office])
    amlor = next(r for r in groups[office] if r["medicationCodeableConcept"].get("coding"))
    assert amlor["medicationCodeableConcept"]["coding"][0] == {
        "system": "urn:oid:1.2.250.1.213.2.3.1", "code": AMLOR_5,
        "display": "AMLOR 5 mg, gélule"}
    assert amlor["status"] == "active"
    assert amlor["dosageInstruction"][0]["text"] == "1 comprimé, le matin"
    assert amlor["dispenseRequest"]["expectedSupplyDuration"]["value"] == 30
    assert amlor["dispenseRequest"]["quantity"]["value"] == 1
    assert groups[opinion][0]["status"] == "completed"  # dispensed
    assert groups[opinion][0]["dispenseRequest"]["quantity"]["value"] == 2
    patient_url = next(e["fullUrl"] for e in data["entry"]
                       if e["resource"]["resourceType"] == "Patient")
    assert all(r["subject"]["reference"] == patient_url
               for r in by_type["Encounter"] + requests + by_type["ClinicalImpression"])
    assert "not yet published" not in response.text
