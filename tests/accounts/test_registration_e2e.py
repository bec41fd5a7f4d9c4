"""Registration to an active account, end to end: HTTP API, real worker, dev server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.client import Client

from core.settings import Settings
from db.engine import SessionMaker
from db.models import DoctorProfile, Invitation, User
from domain.accounts import Role
from domain.ids import account_workflow_id
from tests.accounts.flows import (
    PROFILE,
    activate,
    delivered,
    latest_code,
    new_email,
    outbox,
    register,
    sign_in,
    token_of,
    validate,
)
from tests.support.users import make_user

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("worker")]


async def test_a_patient_becomes_active_step_by_step(api: httpx.AsyncClient,
                                                     temporal_env) -> None:
    email = new_email()
    response = await register(api, email)
    assert response.status_code == 202
    assert response.json() == {"status": "pending_email_validation"}

    (link,) = await delivered(api, email, "account_validation")
    assert link["data"]["validation_url"].startswith("http://testserver/validate-email?token=")
    headers = await sign_in(api, email)
    me = (await api.get("/api/v1/me", headers=headers)).json()
    assert me["status"] == "pending_email_validation" and me["role"] == "patient"
    assert me["esame_id"].startswith("ES-")

    assert (await api.post("/api/v1/auth/validate-email",
                           json={"token": token_of(link)})).status_code == 200
    assert (await api.get("/api/v1/me", headers=headers)).json()["status"] == "email_validated"

    saved = await api.put("/api/v1/me/profile", json=PROFILE, headers=headers)
    assert saved.status_code == 200
    assert saved.json()["status"] == "profile_completed"
    assert saved.json()["profile"]["phone"] == "+237670000001"
    code = await latest_code(api, email)
    assert len(code) == 6 and code.isdigit()

    consent = await api.post("/api/v1/me/consent", json={"share_medical_data": True},
                             headers=headers)
    assert consent.status_code == 200 and consent.json()["status"] == "profile_completed"
    verified = await api.post("/api/v1/me/verification", json={"code": code}, headers=headers)
    assert verified.status_code == 200 and verified.json()["status"] == "active"
    assert (await api.get("/api/v1/me", headers=headers)).json()["status"] == "active"

    client: Client = temporal_env.client
    handle = client.get_workflow_handle(account_workflow_id(me["id"]))
    assert (await handle.result())["status"] == "active"
    description = await handle.describe()
    attributes = {k.name: v for k, v in
                  ((p.key, p.value) for p in description.typed_search_attributes)}
    assert attributes["EsameStatus"] == "active"
    assert attributes["EsamePatientId"] == me["id"]


async def test_an_active_doctor_is_listed_once_an_admin_verified_the_licence(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
) -> None:
    doctor_email, doctor_headers = await activate(
        api, role="doctor", doctor={"specialty": "Neurology", "license_number": "CM-NEURO-1"})
    _, patient_headers = await activate(api)
    me = (await api.get("/api/v1/me", headers=doctor_headers)).json()
    assert (me["status"], me["verification"]) == ("active", "pending")
    found = await api.get("/api/v1/doctors", params={"q": "neuro"}, headers=patient_headers)
    assert found.status_code == 200 and found.json()["items"] == []
    early = await api.get("/api/v1/doctor/fees", headers=doctor_headers)
    assert early.status_code == 403
    assert early.json()["type"].endswith("/professional-not-verified")

    admin = await make_user(sessions, e2e_settings, Role.admin)
    approved = await api.post(f"/api/v1/admin/professionals/{me['id']}/approve",
                              headers=admin.headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["verification"] == "verified"
    (told,) = await delivered(api, doctor_email, "professional_verified")
    assert told["data"]["credential"] == "CM-NEURO-1"
    assert (await api.get("/api/v1/me", headers=doctor_headers)).json()["verification"] == (
        "verified")
    found = await api.get("/api/v1/doctors", params={"q": "neuro"}, headers=patient_headers)
    (entry,) = found.json()["items"]
    assert entry["specialty"] == "Neurology" and entry["city"] == "Douala"
    assert entry["fees"]["opinion"] == {"amount": 0, "currency": "XAF"}
    assert entry["services"] == []  # no fees: offered for no paid service

    # The doctor sets their prices, in the currency of their profile.
    def xaf(amount: int) -> dict[str, Any]:
        return {"amount": amount, "currency": "XAF"}

    fees = {"opinion": xaf(15000), "teleconsultation": xaf(10000), "office": xaf(12000),
            "record_fill": xaf(0)}
    saved = await api.put("/api/v1/doctor/fees", json=fees, headers=doctor_headers)
    assert saved.status_code == 200, saved.text
    assert saved.json() == fees
    assert (await api.get("/api/v1/doctor/fees", headers=doctor_headers)).json() == fees
    (entry,) = (await api.get("/api/v1/doctors", params={"q": "neuro"},
                              headers=patient_headers)).json()["items"]
    assert entry["fees"] == fees
    assert entry["services"] == ["opinion", "teleconsultation", "office"]

    for bad in ({"opinion": {"amount": 15000, "currency": "EUR"}},
                {"office": xaf(-1)}, {"teleconsultation": xaf(5_000_001)},
                {"opinion": {"amount": 1.5, "currency": "XAF"}}):
        refused = await api.put("/api/v1/doctor/fees", json={**fees, **bad},
                                headers=doctor_headers)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    assert (await api.get("/api/v1/doctor/fees", headers=doctor_headers)).json() == fees
    patient_tries = await api.put("/api/v1/doctor/fees", json=fees, headers=patient_headers)
    assert patient_tries.status_code == 403


async def test_wrong_and_reused_tokens_are_400(api: httpx.AsyncClient) -> None:
    email = new_email()
    await register(api, email)
    wrong = await api.post("/api/v1/auth/validate-email", json={"token": "not-a-token"})
    assert wrong.status_code == 400
    assert wrong.headers["content-type"] == "application/problem+json"
    # The link signs its owner in: that session is theirs.
    headers = await validate(api, email)
    me = await api.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert (me.json()["email"], me.json()["status"]) == (email, "email_validated")
    (link,) = await outbox(api, email, "account_validation")
    reused = await api.post("/api/v1/auth/validate-email", json={"token": token_of(link)})
    assert reused.status_code == 400
    assert "access_token" not in reused.json()


async def test_a_duplicate_registration_creates_nothing_and_tells_the_owner(
    api: httpx.AsyncClient, sessions: SessionMaker
) -> None:
    email = new_email()
    await register(api, email)
    again = await register(api, email.upper(), role="doctor")
    third = await register(api, email)
    assert again.status_code == third.status_code == 202
    assert again.json() == third.json() == {"status": "pending_email_validation"}
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1
    # One notice a day, whatever the number of attempts.
    assert len(await delivered(api, email, "account_exists")) == 1
    assert len(await delivered(api, email, "account_exists", count=2, within=1)) == 1
    assert len(await outbox(api, email, "account_validation")) == 1


async def test_registration_checks_its_fields(api: httpx.AsyncClient) -> None:
    cases: list[dict[str, Any]] = [
        {"role": "admin"},
        {"role": "doctor", "doctor": None},
        {"role": "pharmacist"},
        {"role": "pharmacist", "pharmacy_id": "nope"},
        {"language": "de"},
        {"password": "short"},
        {"email": "not-an-email"},
    ]
    for case in cases:
        body = {"email": new_email(), "password": "a long enough password", "role": "patient",
                "first_name": "A", "last_name": "B", **case}
        response = await api.post("/api/v1/auth/register", json=body)
        assert response.status_code == 422, (case, response.text)


async def test_wrong_code_six_times_then_a_new_code(api: httpx.AsyncClient) -> None:
    email = new_email()
    await register(api, email)
    await validate(api, email)
    headers = await sign_in(api, email)
    await api.put("/api/v1/me/profile", json=PROFILE, headers=headers)
    code = await latest_code(api, email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [(await api.post("/api/v1/me/verification", json={"code": wrong},
                               headers=headers)).status_code for _ in range(6)]
    assert answers == [400] * 5 + [429]
    blocked = await api.post("/api/v1/me/verification", json={"code": code}, headers=headers)
    assert blocked.status_code == 429

    resent = await api.post("/api/v1/me/verification/resend", headers=headers)
    assert resent.status_code == 200
    new_code = await latest_code(api, email)
    assert len(await outbox(api, email, "verification_code")) == 2
    ok = await api.post("/api/v1/me/verification", json={"code": new_code}, headers=headers)
    assert ok.status_code == 200
    assert ok.json()["code_verified"] is True
    await api.post("/api/v1/me/consent", json={"share_medical_data": True}, headers=headers)
    assert (await api.get("/api/v1/me", headers=headers)).json()["status"] == "active"


async def test_timezone_and_currency_are_fixed_once_saved(api: httpx.AsyncClient) -> None:
    email, headers = await activate(api)
    moved = await api.put("/api/v1/me/profile", json={**PROFILE, "city": "Yaoundé"},
                          headers=headers)
    assert moved.status_code == 200 and moved.json()["profile"]["city"] == "Yaoundé"
    for change in ({"timezone": "Europe/Paris"}, {"currency": "EUR"}):
        response = await api.put("/api/v1/me/profile", json={**PROFILE, **change},
                                 headers=headers)
        assert response.status_code == 409, change


async def test_profile_fields_are_checked(api: httpx.AsyncClient) -> None:
    email = new_email()
    await register(api, email)
    headers = await sign_in(api, email)
    early = await api.put("/api/v1/me/profile", json=PROFILE, headers=headers)
    assert early.status_code == 409  # the email comes first
    await validate(api, email)
    for bad in ({"timezone": "Mars/Olympus"}, {"currency": "BTC"}, {"country": "Cameroon"},
                {"phone": "670000001"}):
        response = await api.put("/api/v1/me/profile", json={**PROFILE, **bad},
                                 headers=headers)
        assert response.status_code == 422, bad
    refused = await api.post("/api/v1/me/consent", json={"share_medical_data": False},
                             headers=headers)
    assert refused.status_code == 422
    too_early = await api.post("/api/v1/me/verification", json={"code": "123456"},
                               headers=headers)
    assert too_early.status_code == 409


async def test_an_inactive_account_cannot_use_features(api: httpx.AsyncClient) -> None:
    email = new_email()
    await register(api, email)
    headers = await sign_in(api, email)
    assert (await api.get("/api/v1/doctors", headers=headers)).status_code == 403
    assert (await api.post("/api/v1/invitations", json={"email": new_email()},
                           headers=headers)).status_code == 403


async def test_a_registration_whose_process_cannot_start_leaves_nothing(
    e2e_settings, sessions: SessionMaker, temporal_env
) -> None:
    from api.app import create_app

    # A namespace the server does not have: every start fails.
    broken = await Client.connect(temporal_env.client.service_client.config.target_host,
                                  namespace="no-such-namespace")
    app = create_app(e2e_settings, sessions=sessions, temporal=broken)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        email, doctor_email = new_email(), new_email("doctor")
        response = await register(client, email)
        doctor = await register(client, doctor_email, role="doctor")
        friend = await make_user(sessions, e2e_settings, Role.patient)
        invitation = await client.post("/api/v1/invitations", json={"email": new_email()},
                                       headers=friend.headers)
    assert response.status_code == doctor.status_code == invitation.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1  # the friend
        assert await session.scalar(select(func.count()).select_from(DoctorProfile)) == 0
        assert await session.scalar(select(func.count()).select_from(Invitation)) == 0
