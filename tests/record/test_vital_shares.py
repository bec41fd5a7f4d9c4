"""Vital signs shared with a doctor, per doctor and per type: the patient's side, the
doctor's list of patients and the series they read (the API in process; care links stand
for accepted invitations, as in the rest of the record's tests)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from core.settings import Settings
from db.engine import SessionMaker
from db.models import AuditEntry, CareLink, VitalShare, VitalShareType
from domain.accounts import Role
from domain.vitals import VitalType
from tests.record.conftest import PDF, link, upload
from tests.support.users import TestUser, make_user

pytestmark = pytest.mark.db

SHARES = "/api/v1/me/vitals/shares"
ALL_TYPES = [t.value for t in VitalType]


def series(patient: TestUser) -> str:
    return f"/api/v1/doctor/patients/{patient.id}/vitals"


async def measure(client: httpx.AsyncClient, patient: TestUser) -> None:
    """Two types measured over a few days, entered out of order."""
    for body in (
        {"type": "heart_rate", "value": 72, "measured_at": "2026-03-02T08:00:00+01:00"},
        {"type": "heart_rate", "value": 80, "measured_at": "2026-03-01T08:00:00Z"},
        {"type": "heart_rate", "value": 64, "measured_at": "2026-03-03T21:30:00Z"},
        {"type": "blood_pressure", "systolic": 130, "diastolic": 85,
         "measured_at": "2026-03-02T09:00:00Z"},
        {"type": "weight", "value": 71.5, "measured_at": "2026-03-02T07:00:00Z"},
    ):
        response = await client.post("/api/v1/me/vitals", json=body, headers=patient.headers)
        assert response.status_code == 201, response.text


async def audit(sessions: SessionMaker, actor: TestUser) -> list[tuple[str, str, str | None]]:
    async with sessions() as session:
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.actor_id == actor.id)
                                     .order_by(AuditEntry.at, AuditEntry.id))
        return [(row.action, row.outcome, row.detail) for row in rows]


async def test_a_shared_series_reads_as_the_patients_chart_and_each_read_is_audited(
    client: httpx.AsyncClient, sessions: SessionMaker, patient: TestUser, doctor: TestUser
) -> None:
    await link(sessions, patient, doctor)
    await measure(client, patient)
    shared = await client.post(SHARES, headers=patient.headers,
                               json={"doctor_id": doctor.id,
                                     "types": ["heart_rate", "blood_pressure", "heart_rate"]})
    assert shared.status_code == 201, shared.text
    body = shared.json()
    assert body["doctor_id"] == doctor.id and body["types"] == ["blood_pressure", "heart_rate"]

    for type_, params in (("heart_rate", {}), ("blood_pressure", {}),
                          ("heart_rate", {"from": "2026-03-01T12:00:00Z",
                                          "to": "2026-03-03T00:00:00Z"})):
        mine = await client.get("/api/v1/me/vitals", headers=patient.headers,
                                params={"type": type_, **params})
        theirs = await client.get(series(patient), headers=doctor.headers,
                                  params={"type": type_, **params})
        assert theirs.status_code == 200, theirs.text
        assert theirs.json() == mine.json() and theirs.json()["items"]
    # Pages too: the same cursor walk as the patient's.
    first = await client.get(series(patient), headers=doctor.headers,
                             params={"type": "heart_rate", "limit": 2})
    rest = await client.get(series(patient), headers=doctor.headers,
                            params={"type": "heart_rate", "limit": 2,
                                    "cursor": first.json()["next_cursor"]})
    values = [p["value"] for p in first.json()["items"] + rest.json()["items"]]
    assert values == [80, 72, 64] and rest.json()["next_cursor"] is None

    # Weight is measured but not shared.
    weight = await client.get(series(patient), headers=doctor.headers,
                              params={"type": "weight"})
    assert weight.status_code == 404
    assert await audit(sessions, doctor) == [("vitals.read", "allowed", None)] * 5 + [
        ("vitals.read", "denied", "not shared")]


async def test_sharing_again_replaces_the_types_absent_types_share_all_and_revoking_ends_it(
    client: httpx.AsyncClient, sessions: SessionMaker, patient: TestUser, doctor: TestUser,
    settings: Settings,
) -> None:
    other = await make_user(sessions, settings, Role.doctor)
    await link(sessions, patient, doctor)
    await link(sessions, patient, other)
    await measure(client, patient)
    assert (await client.post(SHARES, headers=patient.headers,
                              json={"doctor_id": doctor.id, "types": ["weight"]})
            ).status_code == 201
    everything = await client.post(SHARES, headers=patient.headers,
                                   json={"doctor_id": other.id})
    assert everything.status_code == 201 and everything.json()["types"] == ALL_TYPES
    replaced = await client.post(SHARES, headers=patient.headers,
                                 json={"doctor_id": doctor.id, "types": ["heart_rate"]})
    assert replaced.status_code == 200 and replaced.json()["types"] == ["heart_rate"]
    assert replaced.json()["updated_at"] >= replaced.json()["shared_at"]
    assert (await client.get(series(patient), headers=doctor.headers,
                             params={"type": "weight"})).status_code == 404
    assert (await client.get(series(patient), headers=doctor.headers,
                             params={"type": "heart_rate"})).status_code == 200

    listed = (await client.get(SHARES, headers=patient.headers)).json()
    assert [(s["doctor_id"], s["types"]) for s in listed["items"]] == [
        (other.id, ALL_TYPES), (doctor.id, ["heart_rate"])]
    first = await client.get(SHARES, headers=patient.headers, params={"limit": 1})
    rest = await client.get(SHARES, headers=patient.headers,
                            params={"limit": 1, "cursor": first.json()["next_cursor"]})
    assert [s["doctor_id"] for s in first.json()["items"] + rest.json()["items"]] == [
        other.id, doctor.id]

    assert (await client.delete(f"{SHARES}/{doctor.id}",
                                headers=patient.headers)).status_code == 204
    assert (await client.delete(f"{SHARES}/{doctor.id}",
                                headers=patient.headers)).status_code == 404
    revoked = await client.get(series(patient), headers=doctor.headers,
                               params={"type": "heart_rate"})
    assert revoked.status_code == 404
    assert (await audit(sessions, doctor))[-1] == ("vitals.read", "denied", "not shared")
    assert [s["doctor_id"] for s in (await client.get(SHARES, headers=patient.headers)
                                     ).json()["items"]] == [other.id]
    async with sessions() as session:
        left = await session.scalar(select(func.count()).select_from(VitalShareType))
    assert left == len(ALL_TYPES)  # the revoked share's types went with it


async def test_a_doctor_lists_their_active_patients_with_what_each_shares(
    client: httpx.AsyncClient, sessions: SessionMaker, patient: TestUser, doctor: TestUser,
    settings: Settings,
) -> None:
    second = await make_user(sessions, settings, Role.patient)
    asking = await make_user(sessions, settings, Role.patient)  # not accepted yet
    await link(sessions, patient, doctor)
    await link(sessions, second, doctor)
    await link(sessions, asking, doctor, status="pending")
    await client.post(SHARES, headers=patient.headers,
                      json={"doctor_id": doctor.id, "types": ["spo2", "weight"]})
    document = (await upload(client, patient, ("a.pdf", PDF), ("b.pdf", PDF))).json()["items"]
    for item in document:
        assert (await client.post(f"/api/v1/documents/{item['id']}/shares",
                                  headers=patient.headers,
                                  json={"doctor_id": doctor.id})).status_code == 201

    page = await client.get("/api/v1/doctor/patients", headers=doctor.headers)
    assert page.status_code == 200
    items = {p["patient_id"]: p for p in page.json()["items"]}
    assert set(items) == {patient.id, second.id}
    assert items[patient.id]["shares"] == {"vital_types": ["weight", "spo2"], "documents": 2}
    assert items[patient.id]["esame_id"] == patient.esame_id
    assert items[second.id]["shares"] == {"vital_types": [], "documents": 0}
    first = await client.get("/api/v1/doctor/patients", headers=doctor.headers,
                             params={"limit": 1})
    rest = await client.get("/api/v1/doctor/patients", headers=doctor.headers,
                            params={"limit": 1, "cursor": first.json()["next_cursor"]})
    assert {p["patient_id"] for p in first.json()["items"] + rest.json()["items"]} == set(items)
    assert rest.json()["next_cursor"] is None
    async with sessions() as session:
        listed = (await session.scalars(select(AuditEntry.subject_id).where(
            AuditEntry.actor_id == doctor.id, AuditEntry.action == "doctor.patients.list"))).all()
    assert sorted(str(s) for s in listed) == sorted([patient.id, second.id, *(
        p["patient_id"] for p in first.json()["items"] + rest.json()["items"])])


async def test_bad_input_is_a_clear_422(
    client: httpx.AsyncClient, sessions: SessionMaker, patient: TestUser, doctor: TestUser,
    settings: Settings,
) -> None:
    stranger = await make_user(sessions, settings, Role.doctor)
    await link(sessions, patient, doctor)
    await link(sessions, patient, await make_user(sessions, settings, Role.doctor),
               status="pending")
    bad_shares: list[tuple[dict[str, Any], str]] = [
        ({"doctor_id": stranger.id}, "doctor_id"),  # not the patient's doctor
        ({"doctor_id": patient.id}, "doctor_id"),
        ({"doctor_id": doctor.id, "types": ["cholesterol"]}, "types.0"),
        ({"doctor_id": doctor.id, "types": []}, "types"),
        ({"types": ["weight"]}, "doctor_id"),
    ]
    for body, field in bad_shares:
        response = await client.post(SHARES, headers=patient.headers, json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in response.json()["errors"]], response.json()
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(VitalShare)) == 0

    await client.post(SHARES, headers=patient.headers, json={"doctor_id": doctor.id})
    bad_reads: list[tuple[dict[str, str], str]] = [
        ({"type": "cholesterol"}, "type"),
        ({}, "type"),
        ({"type": "weight", "from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"},
         "from"),
        ({"type": "weight", "from": "yesterday"}, "from"),
        ({"type": "weight", "to": "2026-03-01T00:00:00"}, "to"),  # no offset
    ]
    for params, field in bad_reads:
        response = await client.get(series(patient), headers=doctor.headers, params=params)
        assert response.status_code == 422, params
        assert field in [e["field"] for e in response.json()["errors"]], response.json()
    # The patient's own chart refuses a backwards range the same way.
    backwards = await client.get("/api/v1/me/vitals", headers=patient.headers,
                                 params={"from": "2026-03-02T00:00:00Z",
                                         "to": "2026-03-01T00:00:00Z"})
    assert backwards.status_code == 422
    too_long = await client.get(f"/api/v1/doctor/patients/{'x' * 40}/vitals",
                                headers=doctor.headers, params={"type": "weight"})
    assert too_long.status_code == 422


async def test_only_the_doctor_a_type_is_shared_with_reads_it_and_refusals_are_audited(
    client: httpx.AsyncClient, sessions: SessionMaker, patient: TestUser, doctor: TestUser,
    settings: Settings,
) -> None:
    other_patient = await make_user(sessions, settings, Role.patient)
    unrelated = await make_user(sessions, settings, Role.doctor)
    pharmacist = await make_user(sessions, settings, Role.pharmacist)
    await link(sessions, patient, doctor)
    await measure(client, patient)
    await client.post(SHARES, headers=patient.headers, json={"doctor_id": doctor.id})

    for intruder, status, why in ((other_patient, 403, "not a doctor"),
                                  (pharmacist, 403, "not a doctor"),
                                  (unrelated, 404, "not shared")):
        response = await client.get(series(patient), headers=intruder.headers,
                                    params={"type": "heart_rate"})
        assert response.status_code == status, intruder.role
        async with sessions() as session:
            (entry,) = (await session.scalars(select(AuditEntry).where(
                AuditEntry.actor_id == intruder.id))).all()
        assert (entry.action, entry.outcome, entry.detail, entry.subject_id,
                entry.actor_role) == ("vitals.read", "denied", why, patient.id,
                                      intruder.role.value)
        assert entry.resource == f"patient/{patient.id}/vitals/heart_rate"
        # Nor are the patient's shares or the doctor's list theirs to reach.
        for method, path in (("GET", SHARES), ("POST", SHARES),
                             ("DELETE", f"{SHARES}/{doctor.id}")):
            kwargs: dict[str, Any] = {"json": {"doctor_id": doctor.id}} if method == "POST" \
                else {}
            answer = await client.request(method, path, headers=intruder.headers, **kwargs)
            if intruder.role == Role.patient:
                assert answer.status_code in (200, 404, 422), (method, answer.text)
            else:
                assert answer.status_code == 403, (intruder.role, method)
        listed = await client.get("/api/v1/doctor/patients", headers=intruder.headers)
        if intruder.role == Role.doctor:
            assert listed.status_code == 200 and listed.json()["items"] == []
        else:
            assert listed.status_code == 403
    # The other patient's own list is empty, and the share is untouched.
    assert (await client.get(SHARES, headers=other_patient.headers)).json()["items"] == []
    assert (await client.get(series(patient), headers=doctor.headers,
                             params={"type": "heart_rate"})).status_code == 200

    # No longer the patient's doctor (the link closed): nothing, whatever rows are left.
    async with sessions() as session, session.begin():
        (row,) = (await session.scalars(select(CareLink).where(
            CareLink.doctor_id == doctor.id))).all()
        row.status = "removed"
    gone = await client.get(series(patient), headers=doctor.headers,
                            params={"type": "heart_rate"})
    assert gone.status_code == 404
    assert (await client.get("/api/v1/doctor/patients", headers=doctor.headers)
            ).json()["items"] == []
    assert (await audit(sessions, doctor))[-1] == ("vitals.read", "denied", "not shared")


async def test_the_fhir_export_is_the_patients_alone(
    client: httpx.AsyncClient, sessions: SessionMaker, patient: TestUser, doctor: TestUser
) -> None:
    await link(sessions, patient, doctor)
    await measure(client, patient)
    await client.post(SHARES, headers=patient.headers, json={"doctor_id": doctor.id})
    bundle = await client.get("/api/v1/me/record/fhir", headers=patient.headers)
    assert bundle.status_code == 200
    observations = [e["resource"] for e in bundle.json()["entry"]
                    if e["resource"]["resourceType"] == "Observation"]
    assert len(observations) == 5
    assert (await client.get("/api/v1/me/record/fhir", headers=doctor.headers)
            ).status_code == 403
    for path in (f"/api/v1/doctor/patients/{patient.id}/record/fhir",
                 f"/api/v1/doctor/patients/{patient.id}/fhir"):
        assert (await client.get(path, headers=doctor.headers)).status_code == 404
