"""A patient fills every section of the record, finds drugs, uploads documents, shares one
with their doctor, who reads it and writes a report; then the share is revoked."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from core.settings import Settings
from db.engine import SessionMaker
from db.models import AuditEntry
from domain.accounts import Role
from tests.record.conftest import JPEG, PDF, PNG, link, upload
from tests.support.users import TestUser, make_user

pytestmark = pytest.mark.db


async def test_patient_fills_the_record_and_shares_a_document(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
    patient: TestUser, doctor: TestUser,
) -> None:
    h = patient.headers
    base = "/api/v1/me/record"

    # Sections
    antecedent = await client.post(f"{base}/antecedents", headers=h, json={
        "category": "surgical", "description": "Appendicectomie", "onset_date": "2009-05-01"})
    assert antecedent.status_code == 201, antecedent.text
    assert antecedent.json()["id"] and antecedent.json()["category"] == "surgical"
    allergy = await client.post(f"{base}/allergies", headers=h, json={
        "substance": "Pénicilline", "reaction": "urticaire", "severity": "severe"})
    assert allergy.status_code == 201 and allergy.json()["severity"] == "severe"

    found = await client.get("/api/v1/drugs", headers=h, params={"q": "doliprane 1000"})
    assert found.status_code == 200
    drug = found.json()["items"][0]
    assert drug["name"].startswith("DOLIPRANE 1000") and drug["strength"] == "1000 mg"
    treatment = await client.post(f"{base}/treatments", headers=h, json={
        "drug_id": drug["id"], "dosage": "1 comprimé", "frequency": "3 fois par jour",
        "since": "2025-01-10"})
    assert treatment.status_code == 201
    assert treatment.json()["name"] == drug["name"]
    typed = await client.post(f"{base}/treatments", headers=h, json={"name": "Tisane maison"})
    assert typed.status_code == 201 and typed.json()["drug_id"] is None

    registered = await client.post(f"{base}/attending-doctors", headers=h,
                                   json={"doctor_id": doctor.id})
    assert registered.status_code == 201 and registered.json()["registered"] is True
    assert registered.json()["specialty"] == "cardiology"
    typed_in = await client.post(f"{base}/attending-doctors", headers=h, json={"new": {
        "first_name": "Jean", "last_name": "Mbarga", "specialty": "généraliste",
        "phone": "+237690000000"}})
    assert typed_in.status_code == 201
    assert typed_in.json()["registered"] is False and typed_in.json()["doctor_id"] is None

    # Documents: three files in one upload
    uploaded = await upload(client, patient, ("bilan.pdf", PDF), ("radio.png", PNG),
                            ("ordonnance.jpg", JPEG))
    assert uploaded.status_code == 201, uploaded.text
    items = uploaded.json()["items"]
    assert [i["content_type"] for i in items] == ["application/pdf", "image/png", "image/jpeg"]
    assert items[0]["size"] == len(PDF) and len(items[0]["sha256"]) == 64
    assert {"id", "type", "filename", "content_type", "size", "sha256",
            "uploaded_at"} <= set(items[0])
    pdf_id = items[0]["id"]

    record = (await client.get(base, headers=h)).json()
    assert len(record["antecedents"]) == 1 and len(record["allergies"]) == 1
    assert len(record["treatments"]) == 2 and len(record["attending_doctors"]) == 2
    assert len(record["documents"]) == 3

    listed = await client.get("/api/v1/me/documents", headers=h, params={"limit": 2})
    assert len(listed.json()["items"]) == 2 and listed.json()["next_cursor"]
    rest = await client.get("/api/v1/me/documents", headers=h,
                            params={"limit": 2, "cursor": listed.json()["next_cursor"]})
    assert len(rest.json()["items"]) == 1 and rest.json()["next_cursor"] is None
    seen = {i["id"] for i in listed.json()["items"] + rest.json()["items"]}
    assert seen == {i["id"] for i in items}

    own = await client.get(f"/api/v1/documents/{pdf_id}/content", headers=h)
    assert own.status_code == 200 and own.content == PDF
    assert own.headers["content-type"] == "application/pdf"

    # Sharing needs the doctor to be an active doctor of the patient.
    not_yet = await client.post(f"/api/v1/documents/{pdf_id}/shares", headers=h,
                                json={"doctor_id": doctor.id})
    assert not_yet.status_code == 422
    await link(sessions, patient, doctor)
    shared = await client.post(f"/api/v1/documents/{pdf_id}/shares", headers=h,
                               json={"doctor_id": doctor.id})
    assert shared.status_code == 201 and shared.json()["doctor_id"] == doctor.id

    inbox = await client.get("/api/v1/doctor/shared-documents", headers=doctor.headers)
    assert [d["id"] for d in inbox.json()["items"]] == [pdf_id]
    assert inbox.json()["items"][0]["patient_id"] == patient.id
    read = await client.get(f"/api/v1/documents/{pdf_id}/content", headers=doctor.headers)
    assert read.status_code == 200 and read.content == PDF
    not_shared = await client.get(f"/api/v1/documents/{items[1]['id']}/content",
                                  headers=doctor.headers)
    assert not_shared.status_code == 404

    report = await client.post(f"/api/v1/documents/{pdf_id}/reports", headers=doctor.headers,
                               json={"text": "Bilan normal, contrôle dans 6 mois."})
    assert report.status_code == 201 and report.json()["author_role"] == "doctor"
    mine = await client.post(f"/api/v1/documents/{pdf_id}/reports", headers=h,
                             json={"text": "Fait à jeun."})
    assert mine.status_code == 201
    reports = await client.get(f"/api/v1/documents/{pdf_id}/reports", headers=h)
    assert [x["author_id"] for x in reports.json()["items"]] == [doctor.id, patient.id]

    # Revoked: the doctor loses the document.
    revoked = await client.delete(f"/api/v1/documents/{pdf_id}/shares/{doctor.id}", headers=h)
    assert revoked.status_code == 204
    gone = await client.get(f"/api/v1/documents/{pdf_id}/content", headers=doctor.headers)
    assert gone.status_code == 404
    assert (await client.get("/api/v1/doctor/shared-documents",
                             headers=doctor.headers)).json()["items"] == []
    again = await client.delete(f"/api/v1/documents/{pdf_id}/shares/{doctor.id}", headers=h)
    assert again.status_code == 404

    # The doctor's reads are in the audit log, the denied one after revocation too.
    async with sessions() as session:
        entries = list(await session.scalars(
            select(AuditEntry).where(AuditEntry.actor_id == doctor.id).order_by(AuditEntry.at)))
    seen_actions = [(e.action, e.outcome, e.subject_id) for e in entries]
    assert ("document.read", "allowed", patient.id) in seen_actions
    assert ("document.report.write", "allowed", patient.id) in seen_actions
    assert ("documents.list_shared", "allowed", patient.id) in seen_actions
    assert seen_actions[-1] == ("document.read", "denied", patient.id)

    # An admin reads the log of this patient, and that reading is logged too.
    admin = await make_user(sessions, settings, Role.admin)
    log = await client.get("/api/v1/admin/audit", headers=admin.headers,
                           params={"subject_id": patient.id})
    assert log.status_code == 200
    assert {e["actor_id"] for e in log.json()["items"]} == {doctor.id}
    async with sessions() as session:
        admin_reads = await session.scalar(select(AuditEntry).where(
            AuditEntry.actor_id == admin.id, AuditEntry.subject_id == patient.id))
    assert admin_reads is not None and admin_reads.action == "audit.read"
    denied_admin = await client.get("/api/v1/admin/audit", headers=doctor.headers)
    assert denied_admin.status_code == 403

    # Removing entries and a document.
    for section, item in [("antecedents", antecedent), ("allergies", allergy),
                          ("treatments", treatment), ("attending-doctors", typed_in)]:
        deleted = await client.delete(f"{base}/{section}/{item.json()['id']}", headers=h)
        assert deleted.status_code == 204, section
    assert (await client.delete(f"{base}/nonsense/x", headers=h)).status_code == 404
    record = (await client.get(base, headers=h)).json()
    assert record["antecedents"] == [] and record["allergies"] == []
    assert [t["name"] for t in record["treatments"]] == ["Tisane maison"]
    assert [d["registered"] for d in record["attending_doctors"]] == [True]

    assert (await client.delete(f"/api/v1/documents/{pdf_id}", headers=h)).status_code == 204
    assert (await client.get(f"/api/v1/documents/{pdf_id}/content",
                             headers=h)).status_code == 404
    assert len((await client.get(base, headers=h)).json()["documents"]) == 2

    # Vitals are part of the record's export; the rest of their checks is in test_vitals.
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    bp = await client.post("/api/v1/me/vitals", headers=h, json={
        "type": "blood_pressure", "measured_at": at, "systolic": 128, "diastolic": 82})
    assert bp.status_code == 201


async def test_sections_validate_their_input(
    client: httpx.AsyncClient, patient: TestUser, doctor: TestUser,
    sessions: SessionMaker, settings: Settings,
) -> None:
    h = patient.headers
    base = "/api/v1/me/record"
    pharmacist = await make_user(sessions, settings, Role.pharmacist)
    bad: list[tuple[str, dict[str, object]]] = [
        ("antecedents", {"category": "astrological", "description": "x"}),
        ("antecedents", {"category": "medical"}),
        ("antecedents", {"category": "medical", "description": "x", "onset_date": "soon"}),
        ("allergies", {"reaction": "rash"}),
        ("allergies", {"substance": "x", "severity": "apocalyptic"}),
        ("treatments", {"dosage": "1/j"}),
        ("treatments", {"drug_id": "00000000"}),
        ("attending-doctors", {}),
        ("attending-doctors", {"doctor_id": doctor.id, "new": {"first_name": "A",
                                                                "last_name": "B"}}),
        ("attending-doctors", {"new": {"first_name": "A"}}),
        ("attending-doctors", {"new": {"first_name": "A", "last_name": "B", "email": "nope"}}),
        ("attending-doctors", {"doctor_id": "no-such-doctor"}),
        ("attending-doctors", {"doctor_id": pharmacist.id}),
    ]
    for section, body in bad:
        response = await client.post(f"{base}/{section}", headers=h, json=body)
        assert response.status_code == 422, (section, body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    first = await client.post(f"{base}/attending-doctors", headers=h,
                              json={"doctor_id": doctor.id})
    assert first.status_code == 201
    twice = await client.post(f"{base}/attending-doctors", headers=h,
                              json={"doctor_id": doctor.id})
    assert twice.status_code == 409
    record = (await client.get(base, headers=h)).json()
    assert len(record["attending_doctors"]) == 1 and record["antecedents"] == []
