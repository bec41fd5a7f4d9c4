"""Nobody but the patient (and a doctor a document is shared with, for reading it) reaches a
patient's record: for every record and document endpoint, another patient, an unrelated
doctor and a pharmacist get 404 or 403, and each attempt on the patient's data is audited."""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core.settings import Settings
from db.engine import SessionMaker
from db.models import AuditEntry
from domain.accounts import Role
from tests.record.conftest import PDF, PNG, link, upload
from tests.support.users import TestUser, make_user

pytestmark = pytest.mark.db


@dataclass
class Owned:
    antecedent: str
    allergy: str
    treatment: str
    attending: str
    document: str
    report: str


async def _fill(client: httpx.AsyncClient, patient: TestUser, doctor: TestUser,
                sessions: SessionMaker) -> Owned:
    h = patient.headers
    base = "/api/v1/me/record"

    async def post(path: str, body: dict[str, Any]) -> str:
        response = await client.post(f"{base}/{path}", headers=h, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    antecedent = await post("antecedents", {"category": "medical", "description": "Asthme"})
    allergy = await post("allergies", {"substance": "Arachide"})
    treatment = await post("treatments", {"name": "Ventoline"})
    attending = await post("attending-doctors", {"new": {"first_name": "A", "last_name": "B"}})
    document = (await upload(client, patient, ("scan.pdf", PDF))).json()["items"][0]["id"]
    await link(sessions, patient, doctor)
    shared = await client.post(f"/api/v1/documents/{document}/shares", headers=h,
                               json={"doctor_id": doctor.id})
    assert shared.status_code == 201
    report = await client.post(f"/api/v1/documents/{document}/reports", headers=h,
                               json={"text": "note"})
    return Owned(antecedent, allergy, treatment, attending, document, report.json()["id"])


async def test_others_get_404_or_403_and_attempts_are_audited(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
    patient: TestUser, doctor: TestUser,
) -> None:
    owned = await _fill(client, patient, doctor, sessions)
    other_patient = await make_user(sessions, settings, Role.patient)
    other_doctor = await make_user(sessions, settings, Role.doctor)
    pharmacist = await make_user(sessions, settings, Role.pharmacist)
    doc = f"/api/v1/documents/{owned.document}"

    # (method, path, body or files) of every endpoint touching this patient's data by id,
    # with the audit action the attempt must leave.
    by_id: list[tuple[str, str, dict[str, Any], str]] = [
        ("DELETE", f"/api/v1/me/record/antecedents/{owned.antecedent}", {},
         "record.antecedents.delete"),
        ("DELETE", f"/api/v1/me/record/allergies/{owned.allergy}", {}, "record.allergies.delete"),
        ("DELETE", f"/api/v1/me/record/treatments/{owned.treatment}", {},
         "record.treatments.delete"),
        ("DELETE", f"/api/v1/me/record/attending-doctors/{owned.attending}", {},
         "record.attending-doctors.delete"),
        ("GET", f"{doc}/content", {}, "document.read"),
        ("DELETE", doc, {}, "document.delete"),
        ("POST", f"{doc}/shares", {"json": {"doctor_id": doctor.id}}, "document.share"),
        ("GET", f"{doc}/shares", {}, "document.shares.read"),
        ("DELETE", f"{doc}/shares/{doctor.id}", {}, "document.unshare"),
        ("POST", f"{doc}/reports", {"json": {"text": "x"}}, "document.report.write"),
        ("GET", f"{doc}/reports", {}, "document.reports.read"),
    ]
    for intruder in (other_patient, other_doctor, pharmacist):
        for method, path, kwargs, action in by_id:
            response = await client.request(method, path, headers=intruder.headers, **kwargs)
            assert response.status_code == 404, (intruder.role, method, path, response.text)
            async with sessions() as session:
                entry = await session.scalar(select(AuditEntry).where(
                    AuditEntry.actor_id == intruder.id, AuditEntry.action == action,
                    AuditEntry.subject_id == patient.id))
            assert entry is not None, (intruder.role, action)
            assert entry.outcome == "denied" and entry.actor_role == intruder.role.value

    # "/me" endpoints answer with the caller's own data, or 403 for other roles.
    own_data: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/v1/me/record", {}),
        ("GET", "/api/v1/me/record/fhir", {}),
        ("GET", "/api/v1/me/documents", {}),
        ("GET", "/api/v1/me/vitals", {}),
        ("POST", "/api/v1/me/record/antecedents", {"json": {"category": "other",
                                                            "description": "x"}}),
        ("POST", "/api/v1/me/record/allergies", {"json": {"substance": "x"}}),
        ("POST", "/api/v1/me/record/treatments", {"json": {"name": "x"}}),
        ("POST", "/api/v1/me/record/attending-doctors", {"json": {"doctor_id": doctor.id}}),
        ("POST", "/api/v1/me/vitals", {"json": {"type": "weight", "value": 70,
                                                "measured_at": "2024-01-01T08:00:00Z"}}),
        ("POST", "/api/v1/me/documents", {"data": {"type": "other"},
                                          "files": [("files", ("a.png", PNG, "image/png"))]}),
    ]
    for intruder in (other_doctor, pharmacist):
        for method, path, kwargs in own_data:
            response = await client.request(method, path, headers=intruder.headers, **kwargs)
            assert response.status_code == 403, (intruder.role, method, path)
    theirs = (await client.get("/api/v1/me/record", headers=other_patient.headers)).json()
    assert all(theirs[k] == [] for k in theirs)
    assert (await client.get("/api/v1/me/documents",
                             headers=other_patient.headers)).json()["items"] == []

    # The doctor's inbox: only for doctors, and an unrelated one sees nothing.
    for intruder in (other_patient, pharmacist):
        response = await client.get("/api/v1/doctor/shared-documents",
                                    headers=intruder.headers)
        assert response.status_code == 403
    unrelated = await client.get("/api/v1/doctor/shared-documents",
                                 headers=other_doctor.headers)
    assert unrelated.json()["items"] == []

    # The doctor it is shared with reads, but may not delete or re-share it.
    owner_only: list[tuple[str, str, dict[str, Any]]] = [
        ("DELETE", doc, {}),
        ("POST", f"{doc}/shares", {"json": {"doctor_id": doctor.id}}),
        ("DELETE", f"{doc}/shares/{doctor.id}", {}),
    ]
    for method, path, kwargs in owner_only:
        response = await client.request(method, path, headers=doctor.headers, **kwargs)
        assert response.status_code == 403, (method, path)
    assert (await client.get(f"{doc}/content", headers=doctor.headers)).status_code == 200

    # A doctor who is no longer the patient's doctor loses access to what was shared.
    async with sessions() as session, session.begin():
        from db.models import CareLink

        link_row = await session.scalar(select(CareLink).where(
            CareLink.patient_id == patient.id, CareLink.doctor_id == doctor.id))
        assert link_row is not None
        link_row.status = "declined"
    assert (await client.get(f"{doc}/content", headers=doctor.headers)).status_code == 404

    # Unauthenticated: 401. And nothing of the patient's was changed by anyone.
    assert (await client.get("/api/v1/me/record")).status_code == 401
    assert (await client.get(f"{doc}/content")).status_code == 401
    record = (await client.get("/api/v1/me/record", headers=patient.headers)).json()
    assert len(record["antecedents"]) == len(record["allergies"]) == 1
    assert len(record["treatments"]) == len(record["attending_doctors"]) == 1
    assert [d["id"] for d in record["documents"]] == [owned.document]
    reports = await client.get(f"{doc}/reports", headers=patient.headers)
    assert [r["id"] for r in reports.json()["items"]] == [owned.report]
