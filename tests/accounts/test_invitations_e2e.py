"""Inviting friends and doctors, end to end: HTTP API, real worker, dev server."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from db.engine import SessionMaker
from db.models import CareLink
from domain.accounts import AccountStatus, Role
from domain.ids import doctor_link_workflow_id, invitation_workflow_id
from tests.accounts.flows import activate, delivered, new_email, outbox, register, validate
from tests.support.users import make_user
from workflows.common import ESAME_STATUS

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("worker")]


async def _wait_for_status(api: httpx.AsyncClient, headers: dict[str, str], invitation_id: str,
                           status: str) -> dict:
    import asyncio

    for _ in range(200):
        items = (await api.get("/api/v1/invitations", headers=headers)).json()["items"]
        (mine,) = [i for i in items if i["id"] == invitation_id]
        if mine["status"] == status:
            return mine
        await asyncio.sleep(0.05)
    raise AssertionError(f"invitation still {mine['status']}")


async def test_an_invitation_is_accepted_when_the_friend_registers(
    api: httpx.AsyncClient, temporal_env: WorkflowEnvironment
) -> None:
    _, headers = await activate(api)
    friend = new_email("friend")
    sent = await api.post("/api/v1/invitations", json={"email": friend}, headers=headers)
    assert sent.status_code == 202
    invitation = sent.json()
    assert invitation["status"] == "pending" and invitation["email"] == friend
    (message,) = await delivered(api, friend, "platform_invitation")
    assert message["data"]["register_url"].startswith("http://testserver/register")

    again = await api.post("/api/v1/invitations", json={"email": friend.upper()},
                           headers=headers)
    assert again.status_code == 202 and again.json()["id"] == invitation["id"]

    await register(api, friend)
    await validate(api, friend)
    accepted = await _wait_for_status(api, headers, invitation["id"], "accepted")
    assert accepted["closed_at"] is not None
    # Closed: the invitation was sent once, and never recalled.
    closed = await temporal_env.client.get_workflow_handle(
        invitation_workflow_id(invitation["id"])).result()
    assert closed["status"] == "accepted"
    assert len(await outbox(api, friend, "platform_invitation")) == 1
    assert await outbox(api, friend, "platform_invitation_reminder") == []


async def test_invitations_are_limited_per_day(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings
) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient)
    limit = e2e_settings.limits.invitations_per_day
    for _ in range(limit):
        response = await api.post("/api/v1/invitations", json={"email": new_email()},
                                  headers=user.headers)
        assert response.status_code == 202
    refused = await api.post("/api/v1/invitations", json={"email": new_email()},
                             headers=user.headers)
    assert refused.status_code == 429
    first = await api.get("/api/v1/invitations", params={"limit": limit - 1},
                          headers=user.headers)
    rest = await api.get("/api/v1/invitations",
                         params={"limit": limit, "cursor": first.json()["next_cursor"]},
                         headers=user.headers)
    assert len(first.json()["items"]) == limit - 1
    assert len(rest.json()["items"]) == 1 and rest.json()["next_cursor"] is None


async def test_a_patient_invites_a_doctor_who_accepts(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    temporal_env: WorkflowEnvironment,
) -> None:
    doctor = await make_user(sessions, e2e_settings, Role.doctor, specialty="pediatrics")
    other_doctor = await make_user(sessions, e2e_settings, Role.doctor)
    patient = await make_user(sessions, e2e_settings, Role.patient)

    directory = await api.get("/api/v1/doctors", params={"specialty": "PEDIATRICS"},
                              headers=patient.headers)
    assert [d["id"] for d in directory.json()["items"]] == [doctor.id]

    asked = await api.post("/api/v1/me/doctors", json={"doctor_id": doctor.id},
                           headers=patient.headers)
    assert asked.status_code == 202 and asked.json()["status"] == "pending"
    link_id = asked.json()["id"]
    twice = await api.post("/api/v1/me/doctors", json={"doctor_id": doctor.id},
                           headers=patient.headers)
    assert twice.json()["id"] == link_id
    await delivered(api, doctor.email, "doctor_invitation")

    mine = (await api.get("/api/v1/me/doctors", headers=patient.headers)).json()["items"]
    assert [(d["doctor_id"], d["status"]) for d in mine] == [(doctor.id, "pending")]

    pending = (await api.get("/api/v1/doctor/invitations",
                             headers=doctor.headers)).json()["items"]
    assert [p["id"] for p in pending] == [link_id]
    assert pending[0]["patient_esame_id"] == patient.esame_id

    # Someone else's invitation is not found; patients cannot answer.
    stolen = await api.post(f"/api/v1/doctor/invitations/{link_id}/accept",
                            headers=other_doctor.headers)
    assert stolen.status_code == 404
    not_a_doctor = await api.post(f"/api/v1/doctor/invitations/{link_id}/accept",
                                  headers=patient.headers)
    assert not_a_doctor.status_code == 403

    accepted = await api.post(f"/api/v1/doctor/invitations/{link_id}/accept",
                              headers=doctor.headers)
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    late = await api.post(f"/api/v1/doctor/invitations/{link_id}/decline",
                          headers=doctor.headers)
    assert late.status_code == 409
    mine = (await api.get("/api/v1/me/doctors", headers=patient.headers)).json()["items"]
    assert [(d["doctor_id"], d["status"]) for d in mine] == [(doctor.id, "active")]
    (told,) = await delivered(api, patient.email, "doctor_invitation_accepted")
    assert told["data"]["doctor_name"] == f"Doctor {doctor.id[:6]}"
    assert f"Dr Doctor {doctor.id[:6]} is now one of your doctors" in told["body"]
    # The process did not fail on the way: it stays open while the doctor is one of the
    # patient's, showing the link's status.
    run = await temporal_env.client.get_workflow_handle(
        doctor_link_workflow_id(link_id)).describe()
    assert run.status == WorkflowExecutionStatus.RUNNING
    assert run.typed_search_attributes.get(ESAME_STATUS) == "doctor_link_active"


async def test_a_declined_doctor_leaves_the_list(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings
) -> None:
    doctor = await make_user(sessions, e2e_settings, Role.doctor)
    patient = await make_user(sessions, e2e_settings, Role.patient)
    link_id = (await api.post("/api/v1/me/doctors", json={"doctor_id": doctor.id},
                              headers=patient.headers)).json()["id"]
    declined = await api.post(f"/api/v1/doctor/invitations/{link_id}/decline",
                              headers=doctor.headers)
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert (await api.get("/api/v1/me/doctors", headers=patient.headers)).json()["items"] == []
    (told,) = await delivered(api, patient.email, "doctor_invitation_declined")
    assert f"Dr Doctor {doctor.id[:6]} could not accept your request" in told["body"]


async def test_only_patients_invite_listed_doctors(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings
) -> None:
    doctor = await make_user(sessions, e2e_settings, Role.doctor)
    colleague = await make_user(sessions, e2e_settings, Role.doctor)
    unlisted = await make_user(sessions, e2e_settings, Role.doctor,
                               status=AccountStatus.email_validated)
    patient = await make_user(sessions, e2e_settings, Role.patient)
    by_doctor = await api.post("/api/v1/me/doctors", json={"doctor_id": doctor.id},
                               headers=colleague.headers)
    assert by_doctor.status_code == 403
    not_a_doctor = await api.post("/api/v1/me/doctors", json={"doctor_id": patient.id},
                                  headers=patient.headers)
    assert not_a_doctor.status_code == 404
    not_listed = await api.post("/api/v1/me/doctors", json={"doctor_id": unlisted.id},
                                headers=patient.headers)
    assert not_listed.status_code == 404
    assert not_listed.headers["content-type"] == "application/problem+json"
    # Nothing was asked of anyone: no link, no email.
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CareLink)) == 0
    assert await outbox(api, unlisted.email) == []
    assert await outbox(api, doctor.email) == []


async def test_the_directory_is_searched_and_paged(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings
) -> None:
    doctors = [await make_user(sessions, e2e_settings, Role.doctor, specialty=specialty)
               for specialty in ("cardiology", "cardiology", "dermatology")]
    await make_user(sessions, e2e_settings, Role.doctor,
                    status=AccountStatus.email_validated)  # not active: not listed
    patient = await make_user(sessions, e2e_settings, Role.patient)

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2, "q": "DOUALA"}
        if cursor:
            params["cursor"] = cursor
        page = (await api.get("/api/v1/doctors", params=params,
                              headers=patient.headers)).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(d.id for d in doctors)
    cardio = await api.get("/api/v1/doctors", params={"q": "cardio"}, headers=patient.headers)
    assert {d["id"] for d in cardio.json()["items"]} == {doctors[0].id, doctors[1].id}
    bad = await api.get("/api/v1/doctors", params={"cursor": "%%%"}, headers=patient.headers)
    assert bad.status_code == 422
