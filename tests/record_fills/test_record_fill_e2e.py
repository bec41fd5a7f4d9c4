"""A doctor fills in my record, end to end: the API, the real worker, the dev server, the
sandbox. Paid → the doctor reads and adds (audited, entries with their author) → completed,
the patient told what was added, the doctor's access gone (404); and the authorization
matrix (another doctor, another patient, a pharmacist), each refusal audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import DoctorProfile, RecordFillGrant
from domain.accounts import Role, VerificationStatus
from tests.accounts.flows import delivered
from tests.care.conftest import AMLOR_5
from tests.record_fills.support import (
    ANTECEDENT,
    ask,
    audit_of,
    fill_status,
    paid_fill,
    patient_and_doctor,
    pay,
)
from tests.support.users import make_user

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("worker")]

ALLERGY = {"substance": "Pénicilline", "reaction": "Urticaire", "severity": "severe"}
TREATMENT = {"drug_id": AMLOR_5, "dosage": "1 comprimé le matin"}
SECTIONS = {"antecedents": ANTECEDENT, "allergies": ALLERGY, "treatments": TREATMENT}


async def test_paid_fill_reads_adds_completes_and_access_ends(api, sessions, e2e_settings,
                                                              temporal_env) -> None:
    pair = await patient_and_doctor(sessions, e2e_settings, api)
    patient, doctor = pair.patient, pair.doctor
    record_path = f"/api/v1/patients/{patient.id}/record"

    created = await ask(api, pair, note="Merci de reprendre mes antécédents.")
    assert created.status_code == 201, created.text
    fill = created.json()
    assert fill["status"] == "pending_payment" and fill["reference"].startswith("DOS-")
    assert fill["price"] == fill["list_price"] == {"amount": 8000, "currency": "XAF"}
    assert fill["payment"]["amount"] == {"amount": 8000, "currency": "XAF"}
    # Not paid yet: nothing is open to the doctor, and the doctor's queue shows nothing.
    assert (await api.get(record_path, headers=doctor.headers)).status_code == 404
    queue = await api.get("/api/v1/doctor/record-fill-requests", headers=doctor.headers)
    assert queue.json()["items"] == []
    # In the patient's requests, with its reference.
    mine = (await api.get("/api/v1/me/requests", headers=patient.headers)).json()["items"]
    assert [(i["reference"], i["kind"], i["status"]) for i in mine] == [
        (fill["reference"], "record_fill", "pending_payment")]

    fill = await pay(api, pair, fill)
    (opened,) = await delivered(api, doctor.email, "record_fill_opened")
    assert opened["data"]["reference"] == fill["reference"]
    assert "Hypertension" not in opened["body"]

    # The doctor reads the record (audited) and adds to each section (audited).
    read = await api.get(record_path, headers=doctor.headers)
    assert read.status_code == 200, read.text
    assert read.json()["antecedents"] == []
    written = {}
    for section, body in SECTIONS.items():
        added = await api.post(f"{record_path}/{section}", json=body, headers=doctor.headers)
        assert added.status_code == 201, added.text
        assert added.json()["author"] == {
            "id": doctor.id, "role": "doctor", "first_name": "Doctor",
            "last_name": doctor.id[:6], "record_fill_id": fill["id"]}
        written[section] = added.json()["id"]
    # The same validation as the patient's own routes.
    blank = await api.post(f"{record_path}/antecedents", headers=doctor.headers,
                           json={"category": "medical", "description": "   "})
    assert blank.status_code == 422
    unknown = await api.post(f"{record_path}/treatments", headers=doctor.headers,
                             json={"drug_id": "00000000"})
    assert unknown.status_code == 422
    # The patient's own entry shows the patient as its author.
    own = await api.post("/api/v1/me/record/allergies", headers=patient.headers,
                         json={"substance": "Arachide"})
    assert own.status_code == 201 and own.json()["author"]["role"] == "patient"

    record = (await api.get("/api/v1/me/record", headers=patient.headers)).json()
    assert [a["author"]["id"] for a in record["allergies"]] == [doctor.id, patient.id]
    assert record["treatments"][0]["name"].startswith("AMLOR")
    assert record["treatments"][0]["author"]["role"] == "doctor"
    fhir = (await api.get("/api/v1/me/record/fhir", headers=patient.headers)).json()
    conditions = [e["resource"] for e in fhir["entry"]
                  if e["resource"]["resourceType"] == "Condition"]
    assert conditions[0]["recorder"]["display"] == f"Dr Doctor {doctor.id[:6]}"

    # Both see the request; the doctor's queue has it in progress.
    queue = (await api.get("/api/v1/doctor/record-fill-requests",
                           headers=doctor.headers)).json()["items"]
    assert [(i["id"], i["status"]) for i in queue] == [(fill["id"], "in_progress")]
    assert queue[0]["added"] == {"antecedents": 1, "allergies": 1, "treatments": 1}

    done = await api.post(f"/api/v1/doctor/record-fill-requests/{fill['id']}/complete",
                          json={"note": "Dossier repris, à compléter avec vos bilans."},
                          headers=doctor.headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert done.json()["completion_note"].startswith("Dossier repris")
    (told,) = await delivered(api, patient.email, "record_fill_completed")
    assert (told["data"]["antecedents"], told["data"]["allergies"],
            told["data"]["treatments"]) == (1, 1, 1)
    assert "Pénicilline" not in told["body"]

    # The access ended with the process: refused, and audited as refused.
    assert (await api.get(record_path, headers=doctor.headers)).status_code == 404
    late = await api.post(f"{record_path}/allergies", json=ALLERGY, headers=doctor.headers)
    assert late.status_code == 404
    again = await api.post(f"/api/v1/doctor/record-fill-requests/{fill['id']}/complete",
                           json={}, headers=doctor.headers)
    assert again.status_code == 409
    async with sessions() as session:
        assert (await session.scalars(select(RecordFillGrant))).all() == []
    trail = await audit_of(sessions, doctor)
    assert trail[0] == ("record.read", "denied", "no record fill in progress")
    assert ("record.read", "allowed", f"record fill {fill['id']}") in trail
    assert [a for a, o, _ in trail if o == "allowed"] == [
        "record.read", "record.antecedents.write", "record.allergies.write",
        "record.treatments.write"]
    assert trail[-2:] == [("record.read", "denied", "no record fill in progress"),
                          ("record.allergies.write", "denied", "no record fill in progress")]

    # What the doctor wrote stays the patient's: they may remove it.
    removed = await api.delete(f"/api/v1/me/record/allergies/{written['allergies']}",
                               headers=patient.headers)
    assert removed.status_code == 204
    mine = (await api.get("/api/v1/me/requests", headers=patient.headers)).json()["items"]
    assert [(i["reference"], i["status"]) for i in mine] == [(fill["reference"], "completed")]
    await temporal_env.client.get_workflow_handle(f"record-fill-{fill['id']}").result()


async def test_authorization_matrix_with_audited_refusals(api, sessions,
                                                          e2e_settings) -> None:
    pair = await patient_and_doctor(sessions, e2e_settings, api)
    fill = await paid_fill(api, pair)
    other_doctor = await make_user(sessions, e2e_settings, Role.doctor)
    other_patient = await make_user(sessions, e2e_settings, Role.patient)
    pharmacist = await make_user(sessions, e2e_settings, Role.pharmacist)
    unverified = await make_user(sessions, e2e_settings, Role.doctor,
                                 verification=VerificationStatus.pending)
    record_path = f"/api/v1/patients/{pair.patient.id}/record"
    expected = [(other_doctor, 404), (other_patient, 403), (pharmacist, 403), (unverified, 403)]
    for who, status in expected:
        assert (await api.get(record_path, headers=who.headers)).status_code == status
        for section, body in SECTIONS.items():
            tried = await api.post(f"{record_path}/{section}", json=body, headers=who.headers)
            assert tried.status_code == status, (who.role, section, tried.text)
        # The request itself: someone else's.
        seen = await api.get(f"/api/v1/record-fill-requests/{fill['id']}",
                             headers=who.headers)
        assert seen.status_code == 404
        trail = await audit_of(sessions, who)
        assert [(a, o) for a, o, _ in trail] == [
            ("record.read", "denied"), ("record.antecedents.write", "denied"),
            ("record.allergies.write", "denied"), ("record.treatments.write", "denied"),
            ("record_fill.read", "denied")]
    other_done = await api.post(f"/api/v1/doctor/record-fill-requests/{fill['id']}/complete",
                                json={}, headers=other_doctor.headers)
    assert other_done.status_code == 404
    assert (await audit_of(sessions, other_doctor))[-1][:2] == ("record_fill.complete",
                                                                "denied")
    for who in (other_patient, pharmacist):
        listed = await api.get("/api/v1/doctor/record-fill-requests", headers=who.headers)
        assert listed.status_code == 403
    # The doctor's grant is for this patient only.
    elsewhere = await api.get(f"/api/v1/patients/{other_patient.id}/record",
                              headers=pair.doctor.headers)
    assert elsewhere.status_code == 404
    # Nothing was written by anyone refused.
    record = (await api.get("/api/v1/me/record", headers=pair.patient.headers)).json()
    assert record["antecedents"] == record["allergies"] == record["treatments"] == []
    assert await fill_status(api, pair.patient, fill["id"]) == "in_progress"


async def test_only_an_active_doctor_and_one_fill_at_a_time(api, sessions,
                                                            e2e_settings) -> None:
    pair = await patient_and_doctor(sessions, e2e_settings, api)
    stranger = await make_user(sessions, e2e_settings, Role.doctor)
    refused = await api.post("/api/v1/record-fill-requests", headers=pair.patient.headers,
                             json={"doctor_id": stranger.id, "billing_address_id": pair.address,
                                   "payment_method": "card"})
    assert refused.status_code == 403
    first = await ask(api, pair)
    assert first.status_code == 201, first.text
    second = await ask(api, pair)
    assert second.status_code == 409
    # A doctor cannot ask for a fill.
    as_doctor = await api.post("/api/v1/record-fill-requests", headers=pair.doctor.headers,
                               json={"doctor_id": pair.doctor.id,
                                     "billing_address_id": pair.address,
                                     "payment_method": "card"})
    assert as_doctor.status_code == 403


async def test_a_patient_in_euros_pays_a_fee_in_francs(api, sessions, e2e_settings) -> None:
    pair = await patient_and_doctor(sessions, e2e_settings, api, currency="EUR")
    created = await ask(api, pair)
    assert created.status_code == 201, created.text
    fill = created.json()
    # 8000 XAF / 655.957 = 12.1959... EUR → 12.20 EUR.
    assert fill["list_price"] == {"amount": 8000, "currency": "XAF"}
    assert fill["price"] == fill["payment"]["amount"] == {"amount": 1220, "currency": "EUR"}


async def test_removing_the_doctor_lets_a_paid_fill_go_on(api, sessions,
                                                          e2e_settings) -> None:
    """API.md: "processes already paid go on" when the patient removes the doctor: the
    fill keeps its grant until it is completed or expires (docs/record.md)."""
    pair = await patient_and_doctor(sessions, e2e_settings, api, invited=True)
    fill = await paid_fill(api, pair)
    record_path = f"/api/v1/patients/{pair.patient.id}/record"
    removed = await api.delete(f"/api/v1/me/doctors/{pair.doctor.id}",
                               headers=pair.patient.headers)
    assert removed.status_code == 204, removed.text
    doctors = (await api.get("/api/v1/me/doctors", headers=pair.patient.headers)).json()
    assert doctors["items"] == []
    assert (await api.get(record_path, headers=pair.doctor.headers)).status_code == 200
    done = await api.post(f"/api/v1/doctor/record-fill-requests/{fill['id']}/complete",
                          json={}, headers=pair.doctor.headers)
    assert done.status_code == 200, done.text
    assert (await api.get(record_path, headers=pair.doctor.headers)).status_code == 404
    # No longer their doctor: no new fill.
    assert (await ask(api, pair)).status_code == 403


async def test_the_same_idempotency_key_asks_once(api, sessions, e2e_settings) -> None:
    pair = await patient_and_doctor(sessions, e2e_settings, api)
    body = {"doctor_id": pair.doctor.id, "billing_address_id": pair.address,
            "payment_method": "card"}
    headers = {**pair.patient.headers, "Idempotency-Key": "fill-once-1"}
    first = await api.post("/api/v1/record-fill-requests", json=body, headers=headers)
    again = await api.post("/api/v1/record-fill-requests", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert first.json()["id"] == again.json()["id"]
    mine = await api.get("/api/v1/me/record-fill-requests", headers=pair.patient.headers)
    assert [f["id"] for f in mine.json()["items"]] == [first.json()["id"]]


async def test_a_doctor_without_a_record_fill_fee_cannot_be_asked(api, sessions,
                                                                 e2e_settings) -> None:
    pair = await patient_and_doctor(sessions, e2e_settings, api)
    async with sessions() as session, session.begin():
        profile = await session.get(DoctorProfile, pair.doctor.id)
        assert profile is not None
        profile.fee_record_fill = 0
    refused = await ask(api, pair)
    assert refused.status_code == 422, refused.text
    mine = await api.get("/api/v1/me/record-fill-requests", headers=pair.patient.headers)
    assert mine.json()["items"] == []
