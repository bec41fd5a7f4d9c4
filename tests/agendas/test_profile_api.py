"""A doctor's page: the doctor edits it (PUT /doctor/profile), everyone active reads it
(GET /doctors/{id}) for the doctors the directory lists."""

from __future__ import annotations

import httpx
import pytest

from core.settings import Settings
from db.engine import SessionMaker
from db.models import DoctorProfile
from domain.accounts import AccountStatus, Role
from tests.agendas.conftest import set_week
from tests.support.users import TestUser, make_user

pytestmark = pytest.mark.db

PROFILE = {"bio": "Cardiologue.\nHypertension, insuffisance cardiaque.",
           "languages": ["FR", "en", "ewo"], "office_address": "Clinique du Golf, Bastos",
           "city": "Yaoundé"}


async def test_the_doctor_edits_the_page_patients_read(
    client: httpx.AsyncClient, doctor: TestUser, patient: TestUser
) -> None:
    saved = await client.put("/api/v1/doctor/profile", headers=doctor.headers, json=PROFILE)
    assert saved.status_code == 200, saved.text
    page = (await client.get(f"/api/v1/doctors/{doctor.id}", headers=patient.headers)).json()
    assert page == saved.json()
    assert page["id"] == doctor.id and page["specialty"] == "cardiology"
    assert page["bio"] == PROFILE["bio"]
    assert page["languages"] == ["fr", "en", "ewo"]
    assert page["office_address"] == "Clinique du Golf, Bastos"
    assert page["city"] == "Yaoundé"
    assert page["timezone"] == "Africa/Douala"
    assert page["fees"]["office"] == {"amount": 18000, "currency": "XAF"}
    # In the directory too.
    listed = (await client.get("/api/v1/doctors", headers=patient.headers,
                               params={"q": "Yaoundé"})).json()["items"]
    assert [entry["id"] for entry in listed] == [doctor.id]

    # Only what is sent changes; null clears.
    again = await client.put("/api/v1/doctor/profile", headers=doctor.headers,
                             json={"office_address": None})
    assert again.json()["office_address"] is None
    assert again.json()["bio"] == PROFILE["bio"]
    assert (await client.get("/api/v1/doctor/profile",
                             headers=doctor.headers)).json() == again.json()


async def test_services_are_those_with_a_fee_and_for_appointments_availability(
    client: httpx.AsyncClient, sessions: SessionMaker, doctor: TestUser, patient: TestUser
) -> None:
    async with sessions() as session, session.begin():
        profile = await session.get(DoctorProfile, doctor.id)
        assert profile is not None
        profile.fee_record_fill = 0
    page = (await client.get(f"/api/v1/doctors/{doctor.id}", headers=patient.headers)).json()
    assert [s["service"] for s in page["services"]] == ["opinion"]
    await set_week(client, doctor)  # office, teleconsultation and emergency rules
    page = (await client.get(f"/api/v1/doctors/{doctor.id}", headers=patient.headers)).json()
    assert page["services"] == [
        {"service": "opinion", "fee": {"amount": 20000, "currency": "XAF"},
         "appointment": False},
        {"service": "teleconsultation", "fee": {"amount": 15000, "currency": "XAF"},
         "appointment": True},
        {"service": "office", "fee": {"amount": 18000, "currency": "XAF"},
         "appointment": True},
        {"service": "emergency", "fee": {"amount": 18000, "currency": "XAF"},
         "appointment": True},
    ]


@pytest.mark.parametrize(("body", "field"), [
    ({"languages": ["fr", "klingon"]}, "languages"),
    ({"languages": ["fr"] * 13}, "languages"),
    ({"bio": "x" * 4001}, "bio"),
    ({"bio": "bell\x07"}, "bio"),
    ({"office_address": "line\nbreak"}, "office_address"),
    ({"city": "c" * 101}, "city"),
    ({"languages": "fr"}, "languages"),
])
async def test_bad_profile_fields_are_422(
    client: httpx.AsyncClient, doctor: TestUser, body: dict[str, object], field: str
) -> None:
    response = await client.put("/api/v1/doctor/profile", headers=doctor.headers, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]][0].startswith(field)


async def test_who_edits_and_who_reads_a_page(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings, doctor: TestUser,
    patient: TestUser
) -> None:
    await client.put("/api/v1/doctor/profile", headers=doctor.headers, json=PROFILE)
    pharmacist = await make_user(sessions, settings, Role.pharmacist)
    for not_a_doctor in (patient, pharmacist):
        edit = await client.put("/api/v1/doctor/profile", headers=not_a_doctor.headers,
                                json={"bio": "hacked"})
        assert edit.status_code == 403
        assert (await client.get("/api/v1/doctor/profile",
                                 headers=not_a_doctor.headers)).status_code == 403
    assert (await client.put("/api/v1/doctor/profile", json={"bio": "x"})).status_code == 401
    page = (await client.get(f"/api/v1/doctors/{doctor.id}", headers=pharmacist.headers))
    assert page.json()["bio"] == PROFILE["bio"]

    # An unlisted doctor (not active yet) has no public page, but edits their own.
    unlisted = await make_user(sessions, settings, Role.doctor)
    async with sessions() as session, session.begin():
        profile = await session.get(DoctorProfile, unlisted.id)
        assert profile is not None
        profile.listed = False
    assert (await client.get(f"/api/v1/doctors/{unlisted.id}",
                             headers=patient.headers)).status_code == 404
    assert (await client.put("/api/v1/doctor/profile", headers=unlisted.headers,
                             json={"bio": "Bientôt"})).status_code == 200
    assert (await client.get("/api/v1/doctors/nobody", headers=patient.headers)).status_code == 404
    assert (await client.get(f"/api/v1/doctors/{patient.id}",
                             headers=patient.headers)).status_code == 404
    inactive = await make_user(sessions, settings, Role.patient,
                               status=AccountStatus.email_validated)
    assert (await client.get(f"/api/v1/doctors/{doctor.id}",
                             headers=inactive.headers)).status_code == 403
