"""The record exported as a FHIR R4B Bundle that fhir.resources validates."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle

from db.engine import SessionMaker
from db.models import User
from tests.record.conftest import PDF, upload
from tests.support.users import TestUser

pytestmark = pytest.mark.db


async def test_the_whole_record_as_a_valid_bundle(
    client: httpx.AsyncClient, sessions: SessionMaker, patient: TestUser
) -> None:
    async with sessions() as session, session.begin():
        user = await session.get(User, patient.id)
        assert user is not None
        user.sex, user.date_of_birth = "female", datetime(1980, 4, 2).date()
        user.phone, user.address_line = "+237670000001", "Rue de la Joie, Akwa"
    h = patient.headers
    base = "/api/v1/me/record"
    at = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    drug = (await client.get("/api/v1/drugs", headers=h, params={"q": "amlor 5"})).json()
    for path, body in [
        ("antecedents", {"category": "medical", "description": "Hypertension",
                         "onset_date": "2015-03-01"}),
        ("antecedents", {"category": "family", "description": "Diabète (mère)"}),
        ("allergies", {"substance": "Pénicilline", "reaction": "œdème", "severity": "severe"}),
        ("allergies", {"substance": "Pollen", "severity": "mild"}),
        ("allergies", {"substance": "Latex"}),
        ("treatments", {"drug_id": drug["items"][0]["id"], "dosage": "5 mg",
                        "frequency": "1/j", "since": "2016-01-01"}),
        ("treatments", {"name": "Kinkeliba"}),
        ("attending-doctors", {"new": {"first_name": "Jean", "last_name": "Mbarga",
                                       "specialty": "cardiologie", "phone": "+237690000000"}}),
    ]:
        assert (await client.post(f"{base}/{path}", headers=h, json=body)).status_code == 201
    for body in [
        {"type": "blood_pressure", "systolic": 135, "diastolic": 85},
        {"type": "heart_rate", "value": 72}, {"type": "temperature", "value": 37.2},
        {"type": "weight", "value": 68.5}, {"type": "height", "value": 165},
        {"type": "spo2", "value": 98}, {"type": "blood_glucose", "value": 95},
    ]:
        created = await client.post("/api/v1/me/vitals", headers=h,
                                    json={"measured_at": at, **body})
        assert created.status_code == 201
    assert (await upload(client, patient, ("bilan.pdf", PDF))).status_code == 201

    response = await client.get(f"{base}/fhir", headers=h)
    assert response.status_code == 200, response.text
    data = response.json()
    bundle = Bundle.model_validate(data)  # raises if the bundle is not valid R4B
    assert bundle.type == "collection"

    resources = [e["resource"] for e in data["entry"]]
    by_type: dict[str, list[dict]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(resource)
    assert {k: len(v) for k, v in by_type.items()} == {
        "Patient": 1, "Condition": 2, "AllergyIntolerance": 3, "MedicationStatement": 2,
        "Observation": 7, "DocumentReference": 1, "Practitioner": 1}
    patient_resource = by_type["Patient"][0]
    assert patient_resource["gender"] == "female" and patient_resource["birthDate"] == "1980-04-02"
    assert patient_resource["telecom"] == [
        {"system": "phone", "value": "+237670000001", "use": "mobile"},
        {"system": "email", "value": patient.email}]
    assert patient_resource["address"] == [{"use": "home", "line": ["Rue de la Joie, Akwa"],
                                            "city": "Douala", "country": "CM"}]
    patient_ref = next(e["fullUrl"] for e in data["entry"]
                       if e["resource"]["resourceType"] == "Patient")
    assert all(r.get("subject", r.get("patient", {})).get("reference") == patient_ref
               for r in resources if r["resourceType"] not in ("Patient", "Practitioner"))
    practitioner_ref = next(e["fullUrl"] for e in data["entry"]
                            if e["resource"]["resourceType"] == "Practitioner")
    assert patient_resource["generalPractitioner"][0]["reference"] == practitioner_ref

    loinc = {o["code"]["coding"][0]["code"]: o for o in by_type["Observation"]}
    assert set(loinc) == {"85354-9", "8867-4", "8310-5", "29463-7", "8302-2", "59408-5",
                          "2339-0"}
    assert all(o["code"]["coding"][0]["system"] == "http://loinc.org" for o in loinc.values())
    bp = loinc["85354-9"]
    assert "valueQuantity" not in bp
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in bp["component"]}
    assert components["8480-6"]["value"] == 135 and components["8462-4"]["value"] == 85
    assert components["8480-6"]["code"] == "mm[Hg]"
    assert loinc["8310-5"]["valueQuantity"] == {
        "value": 37.2, "unit": "°C", "system": "http://unitsofmeasure.org", "code": "Cel"}
    assert all(o["category"][0]["coding"][0]["code"] == "vital-signs"
               for o in by_type["Observation"])

    coded = [m for m in by_type["MedicationStatement"]
             if m["medicationCodeableConcept"].get("coding")]
    assert coded[0]["medicationCodeableConcept"]["coding"][0]["code"] == drug["items"][0]["id"]
    severe = next(a for a in by_type["AllergyIntolerance"] if a["code"]["text"] == "Pénicilline")
    assert severe["criticality"] == "high" and severe["reaction"][0]["severity"] == "severe"
    attachment = by_type["DocumentReference"][0]["content"][0]["attachment"]
    assert attachment["contentType"] == "application/pdf" and attachment["size"] == len(PDF)
