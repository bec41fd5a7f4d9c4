"""End to end on the dev server with the real worker, through the API: book, pay at the
sandbox, confirmed, join the teleconsultation (the token verifies with LiveKit's own
verifier, for that room and that person), complete with prescriptions, the patient reads
them; and who may do what (another patient, an unrelated doctor, a pharmacist)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from icalendar import Calendar
from livekit import api as livekit
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from db.engine import SessionMaker
from domain.accounts import Role
from tests.appointments.support import (
    a_patient_of,
    book,
    confirmed,
    eventually,
    make_world,
    pay,
    row,
    status_is,
)
from tests.care.conftest import AMLOR_5
from tests.payments.support import api_with_worker
from tests.support.users import make_user

pytestmark = pytest.mark.db


@pytest.fixture
def open_room_settings(e2e_settings: Settings) -> Settings:
    """Slots from now on, and the room open days ahead: a test cannot wait for a start."""
    durations = e2e_settings.durations.model_copy(update={
        "booking_min_notice": timedelta(0), "teleconsultation_opens_before": timedelta(days=3)})
    return e2e_settings.model_copy(update={"durations": durations})


@pytest.fixture
async def live(temporal_env: WorkflowEnvironment, open_room_settings: Settings,
               sessions: SessionMaker) -> AsyncIterator[httpx.AsyncClient]:
    async with api_with_worker(open_room_settings, sessions, temporal_env) as api:
        yield api


async def test_book_pay_join_complete_and_the_patient_reads_the_prescriptions(
    live: httpx.AsyncClient, sessions: SessionMaker, open_room_settings: Settings,
) -> None:
    world = await make_world(sessions, open_room_settings, live)
    booking = await book(live, world, type_="teleconsultation", days_ahead=1)
    assert booking.status_code == 201, booking.body
    await pay(live, booking)
    await eventually(status_is(sessions, booking.id, "confirmed"))

    mine = (await live.get("/api/v1/me/appointments", headers=world.patient.headers)).json()
    assert [a["id"] for a in mine["items"]] == [booking.id]
    feed = await live.get("/api/v1/me/calendar.ics", headers=world.patient.headers)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"{booking.id}@esame"]
    assert "Douleurs" not in feed.text

    settings = open_room_settings.video
    verifier = livekit.TokenVerifier(settings.livekit_api_key,
                                     settings.livekit_api_secret.get_secret_value())
    room = None
    for person in (world.patient, world.doctor):
        joined = await live.get(f"/api/v1/appointments/{booking.id}/teleconsultation",
                                headers=person.headers)
        assert joined.status_code == 200, joined.text
        body = joined.json()
        assert body["status"] == "open" and body["url"] == settings.livekit_url
        claims = verifier.verify(body["token"])
        assert claims.video is not None and claims.identity == person.id
        assert claims.video.room == body["room"] and claims.video.room_join
        assert booking.id not in body["room"]  # not guessable from the appointment
        room = room or body["room"]
        assert body["room"] == room

    completed = await live.post(
        f"/api/v1/doctor/appointments/{booking.id}/complete", headers=world.doctor.headers,
        json={"summary": "Tension élevée, à surveiller.", "prescriptions": [
            {"drug_id": AMLOR_5, "dosage": "1 comprimé le matin", "quantity": 1,
             "duration_days": 30},
            {"name": "Marche quotidienne", "dosage": "30 minutes", "quantity": 1}]})
    assert completed.status_code == 200, completed.text
    assert completed.json()["status"] == "completed"
    assert completed.json()["consultation_id"]
    groups = (await live.get("/api/v1/me/prescriptions",
                             headers=world.patient.headers)).json()["items"]
    assert len(groups) == 1 and groups[0]["consultation_id"] == completed.json()[
        "consultation_id"]
    assert [i["status"] for i in groups[0]["items"]] == ["open", "open"]
    assert any(i["name"].startswith("AMLOR") for i in groups[0]["items"])
    fhir = (await live.get("/api/v1/me/record/fhir", headers=world.patient.headers)).json()
    resources = [e["resource"] for e in fhir["entry"]]
    (appointment,) = [r for r in resources if r["resourceType"] == "Appointment"]
    assert appointment["status"] == "fulfilled"
    assert appointment["identifier"][0]["value"] == booking.body["reference"]
    assert "Douleurs" not in str(appointment)
    requests = [r for r in resources if r["resourceType"] == "MedicationRequest"]
    assert len(requests) == 2 and len({r["groupIdentifier"]["value"] for r in requests}) == 1
    doctor_told = await eventually(lambda: _messages(live, world.doctor.email))
    assert any(m["template"] == "doctor_appointment_booked" for m in doctor_told)


async def _messages(api: httpx.AsyncClient, to: str) -> list[dict[str, object]]:
    found = (await api.get("/dev/outbox", params={"to": to})).json()["items"]
    return list(found)


async def test_nobody_else_sees_or_changes_an_appointment(
    live: httpx.AsyncClient, sessions: SessionMaker, open_room_settings: Settings,
) -> None:
    world = await make_world(sessions, open_room_settings, live)
    booking = await confirmed(live, sessions, world, type_="teleconsultation", days_ahead=1)
    other_patient, _ = await a_patient_of(sessions, open_room_settings, live, world.doctor)
    other_doctor = await make_user(sessions, open_room_settings, Role.doctor)
    pharmacist = await make_user(sessions, open_room_settings, Role.pharmacist)
    path = f"/api/v1/appointments/{booking.id}"
    consultation = {"summary": "Rien.", "prescriptions": []}
    for intruder in (other_patient, other_doctor, pharmacist):
        attempts = [
            await live.get(path, headers=intruder.headers),
            await live.get(f"{path}/teleconsultation", headers=intruder.headers),
            await live.post(f"{path}/cancel", json={"reason": "x"}, headers=intruder.headers),
            await live.post(f"{path}/reschedule", json={"start": booking.body["start"]},
                            headers=intruder.headers),
            await live.post(f"/api/v1/doctor/appointments/{booking.id}/complete",
                            json=consultation, headers=intruder.headers),
            await live.post(f"/api/v1/doctor/appointments/{booking.id}/no-show",
                            headers=intruder.headers),
        ]
        for response in attempts:
            assert response.status_code in (403, 404), (intruder.role, response.request.url,
                                                        response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
    # The patient cannot complete their own appointment, nor book with a doctor not theirs.
    own = await live.post(f"/api/v1/doctor/appointments/{booking.id}/complete",
                          json=consultation, headers=world.patient.headers)
    assert own.status_code == 403
    not_mine = await live.post("/api/v1/appointments", headers=world.patient.headers, json={
        "doctor_id": other_doctor.id, "start": booking.body["start"], "type": "office",
        "billing_address_id": world.address_id, "payment_method": "card"})
    assert not_mine.status_code == 403, not_mine.text
    found = await row(sessions, booking.id)
    assert found.status == "confirmed" and found.cancel_reason is None
