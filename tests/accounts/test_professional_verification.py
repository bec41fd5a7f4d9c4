"""Professional verification, end to end (HTTP API, real worker, dev server): a doctor or
pharmacist is listed and acts as one only once an admin has checked the licence; the admin
approves or refuses with a reason, the professional is told by email; only admins decide."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.deps import VerifiedDoctor, VerifiedPharmacist
from api.problems import install_problem_handlers
from core.settings import Settings
from db.engine import SessionMaker
from db.models import Message, ProfessionalVerification, User
from db.seed import DEMO_DOCTORS, DEMO_PHARMACIES, seed_demo_data
from domain.accounts import Role, VerificationStatus
from domain.professionals import professional_verification_workflow_id
from tests.accounts.flows import delivered
from tests.payments.support import count
from tests.record.conftest import PDF, link, upload
from tests.support.users import TestUser, make_user

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("worker")]

PENDING = VerificationStatus.pending


@pytest.fixture
async def admin(sessions: SessionMaker, e2e_settings: Settings) -> TestUser:
    return await make_user(sessions, e2e_settings, Role.admin)


async def _status(sessions: SessionMaker, user_id: str) -> str | None:
    async with sessions() as session:
        return await session.scalar(select(ProfessionalVerification.status).where(
            ProfessionalVerification.user_id == user_id))


async def test_a_refused_doctor_is_told_why_and_never_acts_as_one(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings, admin: TestUser,
    temporal_env: WorkflowEnvironment,
) -> None:
    doctor = await make_user(sessions, e2e_settings, Role.doctor, verification=PENDING,
                             specialty="oncology")
    patient = await make_user(sessions, e2e_settings, Role.patient)
    pending = (await api.get("/api/v1/admin/professionals", params={"verification": "pending"},
                             headers=admin.headers)).json()["items"]
    (listed,) = [p for p in pending if p["user_id"] == doctor.id]
    assert listed["role"] == "doctor" and listed["specialty"] == "oncology"
    assert listed["license_number"].startswith("LIC-") and listed["email"] == doctor.email
    assert listed["verification"] == "pending" and listed["submitted_at"]

    refused = await api.post(f"/api/v1/admin/professionals/{doctor.id}/refuse",
                             json={"reason": "  No such licence at the Ordre des médecins. "},
                             headers=admin.headers)
    assert refused.status_code == 200, refused.text
    assert refused.json()["verification"] == "refused"
    assert refused.json()["reason"] == "No such licence at the Ordre des médecins."
    (told,) = await delivered(api, doctor.email, "professional_refused")
    assert told["data"]["reason"] == "No such licence at the Ordre des médecins."
    assert "Ordre des médecins" in told["body"]

    me = (await api.get("/api/v1/me", headers=doctor.headers)).json()
    assert (me["verification"], me["verification_reason"]) == (
        "refused", "No such licence at the Ordre des médecins.")
    directory = await api.get("/api/v1/doctors", params={"q": "oncology"},
                              headers=patient.headers)
    assert directory.json()["items"] == []
    invited = await api.post("/api/v1/me/doctors", json={"doctor_id": doctor.id},
                             headers=patient.headers)
    assert invited.status_code == 404
    for method, path in (("GET", "/api/v1/doctor/fees"), ("GET", "/api/v1/doctor/invitations"),
                         ("GET", "/api/v1/doctor/shared-documents")):
        answer = await api.request(method, path, headers=doctor.headers)
        assert answer.status_code == 403, path
        assert "No such licence" in answer.json()["detail"]
    again = await api.post(f"/api/v1/admin/professionals/{doctor.id}/approve",
                           headers=admin.headers)
    assert again.status_code == 409
    assert await _status(sessions, doctor.id) == "refused"

    # Started by the decision (this doctor's row predates its process), found by doctor.
    description = await temporal_env.client.get_workflow_handle(
        professional_verification_workflow_id(doctor.id)).describe()
    attributes = {p.key.name: p.value for p in description.typed_search_attributes
                  if p.key.name.startswith("Esame")}
    assert attributes == {"EsameDoctorId": doctor.id,
                          "EsameStatus": "professional_verification_refused"}
    assert await description.static_summary() == (
        f"Licence verification of doctor {doctor.esame_id}")


async def test_only_admins_decide_and_nothing_changes_otherwise(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings, admin: TestUser,
) -> None:
    doctor = await make_user(sessions, e2e_settings, Role.doctor, verification=PENDING)
    others = [await make_user(sessions, e2e_settings, role)
              for role in (Role.patient, Role.doctor, Role.pharmacist)]
    base = "/api/v1/admin/professionals"
    for who in others:
        for method, path, body in (("GET", base, None),
                                   ("POST", f"{base}/{doctor.id}/approve", None),
                                   ("POST", f"{base}/{doctor.id}/refuse", {"reason": "no"})):
            answer = await api.request(method, path, json=body, headers=who.headers)
            assert answer.status_code == 403, (who.role, path, answer.text)
    anonymous = await api.post(f"{base}/{doctor.id}/approve")
    assert anonymous.status_code == 401
    assert await _status(sessions, doctor.id) == "pending"
    assert await count(sessions, Message, Message.to == doctor.email) == 0

    for body in ({}, {"reason": "   "}, {"reason": "x" * 501}):
        bad = await api.post(f"{base}/{doctor.id}/refuse", json=body, headers=admin.headers)
        assert bad.status_code == 422, body
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["errors"][0]["field"] == "reason"
    patient = others[0]
    for user_id in ("no-such-user", patient.id, admin.id):
        missing = await api.post(f"{base}/{user_id}/approve", headers=admin.headers)
        assert missing.status_code == 404, user_id
    bad_filter = await api.get(base, params={"verification": "maybe"}, headers=admin.headers)
    assert bad_filter.status_code == 422
    assert await _status(sessions, doctor.id) == "pending"


async def test_two_admins_deciding_at_once_make_one_decision(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings, admin: TestUser,
) -> None:
    other_admin = await make_user(sessions, e2e_settings, Role.admin)
    doctor = await make_user(sessions, e2e_settings, Role.doctor, verification=PENDING)
    base = f"/api/v1/admin/professionals/{doctor.id}"
    answers = await asyncio.gather(
        api.post(f"{base}/approve", headers=admin.headers),
        api.post(f"{base}/refuse", json={"reason": "expired licence"},
                 headers=other_admin.headers),
        api.post(f"{base}/approve", headers=other_admin.headers))
    assert sorted(a.status_code for a in answers) == [200, 409, 409], [a.text for a in answers]
    (won,) = [a.json() for a in answers if a.status_code == 200]
    assert await _status(sessions, doctor.id) == won["verification"]
    template = f"professional_{won['verification']}"
    await delivered(api, doctor.email, template)
    assert await count(sessions, Message, Message.to == doctor.email) == 1


async def test_a_pharmacist_is_verified_like_a_doctor(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings, admin: TestUser,
) -> None:
    pharmacist = await make_user(sessions, e2e_settings, Role.pharmacist, verification=PENDING)
    assert (await api.get("/api/v1/me", headers=pharmacist.headers)).json()[
        "verification"] == "pending"
    listed = (await api.get("/api/v1/admin/professionals",
                            params={"verification": "pending", "role": "pharmacist"},
                            headers=admin.headers)).json()["items"]
    (entry,) = [p for p in listed if p["user_id"] == pharmacist.id]
    assert entry["pharmacy_id"] == pharmacist.extra["pharmacy_id"] and entry["pharmacy_name"]
    assert entry["license_number"] is None
    approved = await api.post(f"/api/v1/admin/professionals/{pharmacist.id}/approve",
                              headers=admin.headers)
    assert approved.status_code == 200 and approved.json()["verification"] == "verified"
    (told,) = await delivered(api, pharmacist.email, "professional_verified")
    assert told["data"]["role"] == "pharmacist"
    assert told["data"]["sign_in_url"] == e2e_settings.web_links.sign_in()
    assert (await api.get("/api/v1/me", headers=pharmacist.headers)).json()[
        "verification"] == "verified"


async def test_the_verified_dependencies_let_only_checked_professionals_through(
    sessions: SessionMaker, e2e_settings: Settings,
) -> None:
    """What later endpoints (prescribe, quote) depend on."""
    app = FastAPI()
    app.state.settings, app.state.sessions = e2e_settings, sessions
    install_problem_handlers(app)

    @app.get("/doctor-only")
    async def doctor_only(user: VerifiedDoctor) -> str:
        return user.id

    @app.get("/pharmacist-only")
    async def pharmacist_only(user: VerifiedPharmacist) -> str:
        return user.id

    people = {
        (role, status): await make_user(sessions, e2e_settings, role, verification=status)
        for role in (Role.doctor, Role.pharmacist) for status in VerificationStatus}
    patient = await make_user(sessions, e2e_settings, Role.patient)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        for (role, status), person in people.items():
            for path, wanted in (("/doctor-only", Role.doctor),
                                 ("/pharmacist-only", Role.pharmacist)):
                answer = await client.get(path, headers=person.headers)
                allowed = role is wanted and status is VerificationStatus.verified
                assert answer.status_code == (200 if allowed else 403), (role, status, path)
                if role is wanted and not allowed:
                    assert answer.json()["type"].endswith("/professional-not-verified")
        assert (await client.get("/doctor-only", headers=patient.headers)).status_code == 403
        assert (await client.get("/doctor-only")).status_code == 401


async def test_an_unchecked_doctor_reads_nothing_a_patient_shared(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
) -> None:
    """A link from before verifications existed gives an unchecked doctor nothing."""
    doctor = await make_user(sessions, e2e_settings, Role.doctor, verification=PENDING)
    patient = await make_user(sessions, e2e_settings, Role.patient)
    await link(sessions, patient, doctor)
    document = (await upload(api, patient, ("scan.pdf", PDF))).json()["items"][0]["id"]
    share = await api.post(f"/api/v1/documents/{document}/shares",
                           json={"doctor_id": doctor.id}, headers=patient.headers)
    assert share.status_code == 422
    content = await api.get(f"/api/v1/documents/{document}/content", headers=doctor.headers)
    assert content.status_code == 404
    mine = (await api.get("/api/v1/me/doctors", headers=patient.headers)).json()["items"]
    assert mine == []
    attending = await api.post("/api/v1/me/record/attending-doctors",
                               json={"doctor_id": doctor.id}, headers=patient.headers)
    assert attending.status_code == 422


async def test_the_demo_professionals_are_verified(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
) -> None:
    await seed_demo_data(sessions)
    async with sessions() as session:
        statuses = dict((await session.execute(
            select(User.email, ProfessionalVerification.status)
            .join(ProfessionalVerification, ProfessionalVerification.user_id == User.id)
        )).tuples().all())
    emails = ({doc.email for doc in DEMO_DOCTORS}
              | {pharmacy.staff_email for pharmacy in DEMO_PHARMACIES})
    assert statuses == dict.fromkeys(emails, "verified")
    patient = await make_user(sessions, e2e_settings, Role.patient)
    directory = (await api.get("/api/v1/doctors", params={"limit": 50},
                               headers=patient.headers)).json()["items"]
    assert len(directory) == len(DEMO_DOCTORS)
    services = ("opinion", "teleconsultation", "office", "record_fill")
    by_name = {doc.last_name: doc for doc in DEMO_DOCTORS}
    for entry in directory:  # each offers exactly the services its fee is set for
        fees = by_name[entry["last_name"]].fees
        assert entry["services"] == [s for s, fee in zip(services, fees, strict=True) if fee]
