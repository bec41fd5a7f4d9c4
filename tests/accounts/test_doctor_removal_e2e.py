"""A patient removes a doctor, end to end: the HTTP API, the real worker, the dev server.

The link ends through its `doctor-link-<id>` process (the run an accepted link keeps open,
or one started for a link whose run has ended), and every share with that doctor ends with
it: documents and vitals, for this patient and this doctor only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import Appointment, AuditEntry, CareLink, DocumentShare, VitalShare
from domain.accounts import DoctorLinkState, Role
from domain.ids import doctor_link_workflow_id
from tests.accounts.flows import delivered
from tests.record.conftest import PDF, upload
from tests.support.users import TestUser, make_user

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("worker", "accepted_template")]


def _handle(temporal_env: WorkflowEnvironment, link_id: str,
            run_id: str | None = None) -> WorkflowHandle[Any, Any]:
    client: Client = temporal_env.client
    return client.get_workflow_handle(doctor_link_workflow_id(link_id), run_id=run_id)


async def _attributes(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    description = await handle.describe()
    return {p.key.name: p.value for p in description.typed_search_attributes}


async def _accepted_link(api: httpx.AsyncClient, patient: TestUser, doctor: TestUser) -> str:
    asked = await api.post("/api/v1/me/doctors", json={"doctor_id": doctor.id},
                           headers=patient.headers)
    assert asked.status_code == 202, asked.text
    link_id: str = asked.json()["id"]
    accepted = await api.post(f"/api/v1/doctor/invitations/{link_id}/accept",
                              headers=doctor.headers)
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    return link_id


async def _share_everything(api: httpx.AsyncClient, patient: TestUser,
                            doctor: TestUser) -> str:
    document = (await upload(api, patient, ("scan.pdf", PDF))).json()["items"][0]["id"]
    shared = await api.post(f"/api/v1/documents/{document}/shares", headers=patient.headers,
                            json={"doctor_id": doctor.id})
    assert shared.status_code == 201
    vitals = await api.post("/api/v1/me/vitals/shares", headers=patient.headers,
                            json={"doctor_id": doctor.id})
    assert vitals.status_code == 201
    return str(document)


async def _vitals(api: httpx.AsyncClient, doctor: TestUser, patient: TestUser,
                  type_: str) -> httpx.Response:
    return await api.get(f"/api/v1/doctor/patients/{patient.id}/vitals",
                         params={"type": type_}, headers=doctor.headers)


async def test_shares_end_with_the_doctor_removed_through_the_links_open_run(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    temporal_env: WorkflowEnvironment,
) -> None:
    doctor = await make_user(sessions, e2e_settings, Role.doctor)
    patient = await make_user(sessions, e2e_settings, Role.patient)
    link_id = await _accepted_link(api, patient, doctor)
    await delivered(api, patient.email, "doctor_invitation_accepted")
    run_id = (await _handle(temporal_env, link_id).describe()).run_id
    for body in ({"type": "heart_rate", "value": 70, "measured_at": "2026-03-01T08:00:00Z"},
                 {"type": "heart_rate", "value": 75, "measured_at": "2026-03-02T08:00:00Z"},
                 {"type": "temperature", "value": 37.2,
                  "measured_at": "2026-03-01T09:00:00Z"},
                 {"type": "weight", "value": 70, "measured_at": "2026-03-01T07:00:00Z"}):
        assert (await api.post("/api/v1/me/vitals", json=body,
                               headers=patient.headers)).status_code == 201

    # Two types shared: the doctor reads one as the patient's chart shows it, not a third.
    shared = await api.post("/api/v1/me/vitals/shares", headers=patient.headers,
                            json={"doctor_id": doctor.id,
                                  "types": ["heart_rate", "temperature"]})
    assert shared.status_code == 201
    chart = await api.get("/api/v1/me/vitals", params={"type": "heart_rate"},
                          headers=patient.headers)
    read = await _vitals(api, doctor, patient, "heart_rate")
    assert read.status_code == 200 and read.json() == chart.json()
    assert [p["value"] for p in read.json()["items"]] == [70, 75]
    assert (await _vitals(api, doctor, patient, "weight")).status_code == 404
    # Revoked: 404.
    assert (await api.delete(f"/api/v1/me/vitals/shares/{doctor.id}",
                             headers=patient.headers)).status_code == 204
    assert (await _vitals(api, doctor, patient, "heart_rate")).status_code == 404

    document = await _share_everything(api, patient, doctor)
    assert (await api.get(f"/api/v1/documents/{document}/content",
                          headers=doctor.headers)).status_code == 200
    assert (await _vitals(api, doctor, patient, "weight")).status_code == 200
    mine = (await api.get("/api/v1/doctor/patients", headers=doctor.headers)).json()["items"]
    assert [(p["patient_id"], p["shares"]["documents"]) for p in mine] == [(patient.id, 1)]
    # The accepted link's run is still open, waiting for the link to end.
    open_run = _handle(temporal_env, link_id)
    assert (await open_run.describe()).status == WorkflowExecutionStatus.RUNNING
    assert (await _attributes(open_run))["EsameStatus"] == "active"

    removed = await api.delete(f"/api/v1/me/doctors/{doctor.id}", headers=patient.headers)
    assert removed.status_code == 204
    # Ended by the run the link had from its start.
    outcome = await _handle(temporal_env, link_id, run_id).result()
    assert DoctorLinkState.model_validate(outcome).status == "removed"
    assert (await _handle(temporal_env, link_id).describe()).run_id == run_id
    assert (await _attributes(open_run))["EsameStatus"] == "removed"

    assert (await api.get("/api/v1/me/doctors", headers=patient.headers)).json()["items"] == []
    assert (await api.get(f"/api/v1/documents/{document}/content",
                          headers=doctor.headers)).status_code == 404
    assert (await api.get("/api/v1/doctor/shared-documents",
                          headers=doctor.headers)).json()["items"] == []
    assert (await _vitals(api, doctor, patient, "weight")).status_code == 404
    assert (await api.get("/api/v1/doctor/patients", headers=doctor.headers)
            ).json()["items"] == []
    assert (await api.get("/api/v1/me/vitals/shares", headers=patient.headers)
            ).json()["items"] == []
    assert (await api.get(f"/api/v1/documents/{document}/shares", headers=patient.headers)
            ).json()["items"] == []
    async with sessions() as session:
        denied = (await session.execute(select(AuditEntry.action, AuditEntry.detail).where(
            AuditEntry.actor_id == doctor.id, AuditEntry.outcome == "denied")
            .order_by(AuditEntry.at))).all()
    assert [tuple(row) for row in denied] == [
        ("vitals.read", "not shared"), ("vitals.read", "not shared"),
        ("document.read", "not shared"), ("vitals.read", "not shared")]

    # Asked and accepted again, the doctor starts from nothing: the shares ended.
    await _accepted_link(api, patient, doctor)
    assert (await api.get(f"/api/v1/documents/{document}/content",
                          headers=doctor.headers)).status_code == 404
    assert (await _vitals(api, doctor, patient, "heart_rate")).status_code == 404


async def test_a_request_not_yet_answered_is_withdrawn(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    temporal_env: WorkflowEnvironment,
) -> None:
    doctor = await make_user(sessions, e2e_settings, Role.doctor)
    patient = await make_user(sessions, e2e_settings, Role.patient)
    asked = await api.post("/api/v1/me/doctors", json={"doctor_id": doctor.id},
                           headers=patient.headers)
    link_id = asked.json()["id"]
    await delivered(api, doctor.email, "doctor_invitation")
    assert (await api.delete(f"/api/v1/me/doctors/{doctor.id}",
                             headers=patient.headers)).status_code == 204
    handle = _handle(temporal_env, link_id)
    assert DoctorLinkState.model_validate(await handle.result()).status == "removed"
    assert (await _attributes(handle))["EsameStatus"] == "removed"
    assert (await api.get("/api/v1/doctor/invitations", headers=doctor.headers)
            ).json()["items"] == []
    late = await api.post(f"/api/v1/doctor/invitations/{link_id}/accept",
                          headers=doctor.headers)
    assert late.status_code == 409
    assert (await api.get("/api/v1/me/doctors", headers=patient.headers)).json()["items"] == []
    # Nobody is told of an outcome: the patient withdrew it themself.
    assert await delivered(api, patient.email, "doctor_invitation_declined", within=0.3) == []
    assert await delivered(api, patient.email, "doctor_invitation_expired", within=0.3) == []


@pytest.mark.parametrize("history", ["no run", "run ended"])
async def test_a_link_whose_run_has_ended_gets_a_run_that_ends_it(
    history: str, api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    temporal_env: WorkflowEnvironment,
) -> None:
    """Links accepted before an accepted link's run stayed open (and the demo data's) have
    no open run: the removal starts one, already active, which takes it at once."""
    doctor = await make_user(sessions, e2e_settings, Role.doctor)
    patient = await make_user(sessions, e2e_settings, Role.patient)
    if history == "no run":
        link = CareLink(patient_id=patient.id, doctor_id=doctor.id, status="active",
                        created_at=utcnow(), decided_at=utcnow())
        async with sessions() as session, session.begin():
            session.add(link)
        link_id = link.id
    else:
        link_id = await _accepted_link(api, patient, doctor)
        await _handle(temporal_env, link_id).terminate("as a run of the former code ended")
    document = await _share_everything(api, patient, doctor)

    assert (await api.delete(f"/api/v1/me/doctors/{doctor.id}",
                             headers=patient.headers)).status_code == 204
    handle = _handle(temporal_env, link_id)
    assert DoctorLinkState.model_validate(await handle.result()).status == "removed"
    description = await handle.describe()
    attributes = await _attributes(handle)
    assert attributes["EsameStatus"] == "removed"
    assert (attributes["EsamePatientId"], attributes["EsameDoctorId"]) == (patient.id, doctor.id)
    assert "removes one of their doctors" in (await description.static_summary() or "")
    async with sessions() as session:
        stored = await session.get(CareLink, link_id)
        assert stored is not None and stored.status == "removed"
        assert await session.scalar(select(DocumentShare.id)) is None
        assert await session.scalar(select(VitalShare.id)) is None
    assert (await api.get(f"/api/v1/documents/{document}/content",
                          headers=doctor.headers)).status_code == 404


async def test_removal_ends_this_patients_shares_with_this_doctor_only(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
) -> None:
    doctor = await make_user(sessions, e2e_settings, Role.doctor)
    colleague = await make_user(sessions, e2e_settings, Role.doctor)
    patient = await make_user(sessions, e2e_settings, Role.patient)
    neighbour = await make_user(sessions, e2e_settings, Role.patient)
    await _accepted_link(api, patient, doctor)
    await _accepted_link(api, patient, colleague)
    await _accepted_link(api, neighbour, doctor)
    kept_by_colleague = await _share_everything(api, patient, colleague)
    removed_doc = await _share_everything(api, patient, doctor)
    kept_by_neighbour = await _share_everything(api, neighbour, doctor)
    # A paid appointment with the doctor under way: another process's row.
    start = utcnow() + timedelta(days=3)
    appointment = Appointment(reference="RDV-2026-999001", patient_id=patient.id,
                              doctor_id=doctor.id, type="teleconsultation", status="confirmed",
                              start_at=start, end_at=start + timedelta(minutes=30))
    async with sessions() as session, session.begin():
        session.add(appointment)

    assert (await api.delete(f"/api/v1/me/doctors/{doctor.id}",
                             headers=patient.headers)).status_code == 204
    async with sessions() as session:
        kept = await session.get(Appointment, appointment.id)
        assert kept is not None and (kept.status, kept.doctor_id) == ("confirmed", doctor.id)
    for reader, document, status in ((colleague, kept_by_colleague, 200),
                                     (doctor, kept_by_neighbour, 200),
                                     (doctor, removed_doc, 404)):
        response = await api.get(f"/api/v1/documents/{document}/content",
                                 headers=reader.headers)
        assert response.status_code == status
    assert [d["doctor_id"] for d in (await api.get(
        "/api/v1/me/doctors", headers=patient.headers)).json()["items"]] == [colleague.id]
    assert [s["doctor_id"] for s in (await api.get(
        "/api/v1/me/vitals/shares", headers=patient.headers)).json()["items"]] == [colleague.id]
    assert [s["doctor_id"] for s in (await api.get(
        "/api/v1/me/vitals/shares", headers=neighbour.headers)).json()["items"]] == [doctor.id]
    assert [p["patient_id"] for p in (await api.get(
        "/api/v1/doctor/patients", headers=doctor.headers)).json()["items"]] == [neighbour.id]


async def test_only_the_patient_removes_their_doctor(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
) -> None:
    doctor = await make_user(sessions, e2e_settings, Role.doctor)
    patient = await make_user(sessions, e2e_settings, Role.patient)
    other_patient = await make_user(sessions, e2e_settings, Role.patient)
    pharmacist = await make_user(sessions, e2e_settings, Role.pharmacist)
    await _accepted_link(api, patient, doctor)
    document = await _share_everything(api, patient, doctor)

    path = f"/api/v1/me/doctors/{doctor.id}"
    assert (await api.delete(path, headers=other_patient.headers)).status_code == 404
    for intruder in (doctor, pharmacist):
        response = await api.delete(path, headers=intruder.headers)
        assert response.status_code == 403, intruder.role
        assert response.headers["content-type"] == "application/problem+json"
    assert (await api.delete(path)).status_code == 401
    unknown = await api.delete("/api/v1/me/doctors/nobody", headers=patient.headers)
    assert unknown.status_code == 404 and unknown.json()["detail"]
    # Nothing changed.
    assert [d["status"] for d in (await api.get(
        "/api/v1/me/doctors", headers=patient.headers)).json()["items"]] == ["active"]
    assert (await api.get(f"/api/v1/documents/{document}/content",
                          headers=doctor.headers)).status_code == 200

    assert (await api.delete(path, headers=patient.headers)).status_code == 204
    assert (await api.delete(path, headers=patient.headers)).status_code == 404
