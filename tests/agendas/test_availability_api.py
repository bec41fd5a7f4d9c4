"""Weekly availability (PUT/GET /doctor/availability) and closed periods
(/doctor/availability/exceptions), with the 409 that lists the appointments in the way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.appointment_processes import DoctorCancellation
from core.settings import Settings
from db.engine import SessionMaker
from db.models import Appointment, ClosedPeriod
from domain.accounts import Role
from domain.appointments import AppointmentStatus
from tests.agendas.conftest import WEEK, hold, next_monday, set_week
from tests.support.users import TestUser, make_user

pytestmark = pytest.mark.db

AVAILABILITY = "/api/v1/doctor/availability"
EXCEPTIONS = f"{AVAILABILITY}/exceptions"


# --- weekly rules ----------------------------------------------------------------------------

async def test_the_doctor_sets_and_reads_the_week(client: httpx.AsyncClient,
                                                  doctor: TestUser) -> None:
    shuffled = [WEEK[2], WEEK[0], WEEK[1]]
    saved = (await set_week(client, doctor, shuffled)).json()
    assert saved == {"timezone": "Africa/Douala", "rules": WEEK}  # weekday and start order
    assert (await client.get(AVAILABILITY, headers=doctor.headers)).json() == saved
    cleared = await set_week(client, doctor, [])
    assert cleared.json()["rules"] == []


@pytest.mark.parametrize(("rules", "field", "words"), [
    ([WEEK[0], {**WEEK[0], "start": "11:30", "end": "13:00", "type": "teleconsultation"}],
     "rules.1", "overlaps rules.0 (Monday 08:00–12:00 office)"),
    ([{**WEEK[0], "start": "12:00", "end": "08:00"}], "rules.0", "before it starts"),
    ([WEEK[1], {**WEEK[0], "slot_minutes": 5}], "rules.1.slot_minutes", "greater than"),
    ([{**WEEK[0], "slot_minutes": 121}], "rules.0.slot_minutes", "less than"),
    ([{**WEEK[0], "weekday": 8}], "rules.0.weekday", "less than"),
    ([{**WEEK[0], "type": "house_call"}], "rules.0.type", "teleconsultation"),
    ([{**WEEK[0], "end": "25:00"}], "rules.0.end", "HH:MM"),
])
async def test_bad_rules_are_422_naming_the_rule(
    client: httpx.AsyncClient, doctor: TestUser, rules: list[dict[str, Any]], field: str,
    words: str
) -> None:
    await set_week(client, doctor)
    response = await client.put(AVAILABILITY, headers=doctor.headers, json={"rules": rules})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert errors[0]["field"] == field
    assert words in errors[0]["message"]
    # Nothing changed.
    assert (await client.get(AVAILABILITY, headers=doctor.headers)).json()["rules"] == WEEK


async def test_touching_rules_and_other_weekdays_do_not_overlap(
    client: httpx.AsyncClient, doctor: TestUser
) -> None:
    rules = [WEEK[0], {**WEEK[0], "start": "12:00", "end": "13:00", "type": "emergency"},
             {**WEEK[0], "weekday": 2}]
    assert (await client.put(AVAILABILITY, headers=doctor.headers,
                             json={"rules": rules})).status_code == 200


async def test_replacing_the_rules_never_touches_booked_appointments(
    client: httpx.AsyncClient, sessions: SessionMaker, doctor: TestUser, patient: TestUser
) -> None:
    await set_week(client, doctor)
    eight = datetime.fromisoformat(f"{next_monday()}T07:00:00+00:00")
    booked = await hold(sessions, doctor, patient, eight, status=AppointmentStatus.confirmed)
    held = await hold(sessions, doctor, patient, eight + timedelta(hours=1))
    async with sessions() as session:
        before = {row.id: (row.status, row.start_at, row.end_at, row.updated_at)
                  for row in await session.scalars(select(Appointment))}
    await set_week(client, doctor, [{**WEEK[1], "weekday": 2}])
    async with sessions() as session:
        after = {row.id: (row.status, row.start_at, row.end_at, row.updated_at)
                 for row in await session.scalars(select(Appointment))}
    assert after == before and set(after) == {booked, held}


async def test_only_the_doctor_edits_their_own_week(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings, doctor: TestUser,
    patient: TestUser
) -> None:
    await set_week(client, doctor)
    pharmacist = await make_user(sessions, settings, Role.pharmacist)
    for someone in (patient, pharmacist):
        assert (await client.put(AVAILABILITY, headers=someone.headers,
                                 json={"rules": []})).status_code == 403
        assert (await client.get(AVAILABILITY, headers=someone.headers)).status_code == 403
    assert (await client.put(AVAILABILITY, json={"rules": []})).status_code == 401
    other = await make_user(sessions, settings, Role.doctor)
    await set_week(client, other, [])
    assert (await client.get(AVAILABILITY, headers=doctor.headers)).json()["rules"] == WEEK


# --- closed periods ---------------------------------------------------------------------------

def period(days_from_monday: int = 0, days: int = 1, **extra: Any) -> dict[str, Any]:
    start = datetime.fromisoformat(f"{next_monday() + timedelta(days=days_from_monday)}"
                                   "T00:00:00+01:00")
    return {"start": start.isoformat(), "end": (start + timedelta(days=days)).isoformat(),
            **extra}


async def _slot_count(client: httpx.AsyncClient, doctor: TestUser, patient: TestUser) -> int:
    monday = next_monday()
    response = await client.get(f"/api/v1/doctors/{doctor.id}/slots", headers=patient.headers,
                                params={"from": str(monday), "to": str(monday)})
    return len(response.json()["items"])


async def test_a_closed_period_hides_its_slots_until_reopened(
    client: httpx.AsyncClient, doctor: TestUser, patient: TestUser
) -> None:
    await set_week(client, doctor)
    assert await _slot_count(client, doctor, patient) == 14
    created = await client.post(EXCEPTIONS, headers=doctor.headers,
                                json=period(reason="Congrès de cardiologie"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["reason"] == "Congrès de cardiologie"
    assert body["start"] == f"{next_monday() - timedelta(days=1)}T23:00:00Z"
    assert body["canceled_appointments"] == []
    assert await _slot_count(client, doctor, patient) == 0
    listed = (await client.get(EXCEPTIONS, headers=doctor.headers)).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]

    deleted = await client.delete(f"{EXCEPTIONS}/{body['id']}", headers=doctor.headers)
    assert deleted.status_code == 204
    assert (await client.get(EXCEPTIONS, headers=doctor.headers)).json()["items"] == []
    assert await _slot_count(client, doctor, patient) == 14


async def test_a_period_holding_appointments_is_409_listing_them(
    client: httpx.AsyncClient, sessions: SessionMaker, doctor: TestUser, patient: TestUser
) -> None:
    eight = datetime.fromisoformat(f"{next_monday()}T07:00:00+00:00")
    booked = await hold(sessions, doctor, patient, eight, status=AppointmentStatus.confirmed)
    held = await hold(sessions, doctor, patient, eight + timedelta(hours=2))
    await hold(sessions, doctor, patient, eight + timedelta(hours=3),
               status=AppointmentStatus.canceled)
    await hold(sessions, doctor, patient, eight + timedelta(days=1),
               status=AppointmentStatus.confirmed)  # the day after: not in the period

    response = await client.post(EXCEPTIONS, headers=doctor.headers, json=period())
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"].endswith("/appointments-in-period")
    assert [(a["id"], a["status"]) for a in problem["appointments"]] == [
        (booked, "confirmed"), (held, "pending_payment")]
    first = problem["appointments"][0]
    assert first["start"] == eight.isoformat().replace("+00:00", "Z")
    assert first["patient_id"] == patient.id and first["patient_last_name"]
    assert first["reference"].startswith("RDV-")
    # Nothing was closed.
    assert (await client.get(EXCEPTIONS, headers=doctor.headers)).json()["items"] == []


async def test_cancel_appointments_asks_the_appointment_process_for_each(
    app: FastAPI, client: httpx.AsyncClient, sessions: SessionMaker, doctor: TestUser,
    patient: TestUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The route calls `cancel_for_closed_period` once per live appointment in the period
    (the appointment process fills it in); retried, it closes the same period."""
    eight = datetime.fromisoformat(f"{next_monday()}T07:00:00+00:00")
    booked = await hold(sessions, doctor, patient, eight, status=AppointmentStatus.confirmed)
    held = await hold(sessions, doctor, patient, eight + timedelta(hours=2))
    asked: list[DoctorCancellation] = []

    async def cancel(temporal: object, settings: Settings,
                     cancellation: DoctorCancellation) -> None:
        assert temporal is app.state.temporal
        asked.append(cancellation)

    monkeypatch.setattr("api.routers.agendas.cancel_for_closed_period", cancel)
    app.state.temporal = object()  # a client is only fetched when there is something to cancel
    body = period(reason="Congé", cancel_appointments=True)
    response = await client.post(EXCEPTIONS, headers=doctor.headers, json=body)
    assert response.status_code == 201, response.text
    closed = response.json()
    assert closed["canceled_appointments"] == [booked, held]
    assert asked == [
        DoctorCancellation(appointment_id=booked, doctor_id=doctor.id,
                           closed_period_id=closed["id"], reason="Congé"),
        DoctorCancellation(appointment_id=held, doctor_id=doctor.id,
                           closed_period_id=closed["id"], reason="Congé")]

    again = await client.post(EXCEPTIONS, headers=doctor.headers, json=body)
    assert again.status_code == 201 and again.json()["id"] == closed["id"]
    async with sessions() as session:
        assert len(list(await session.scalars(select(ClosedPeriod)))) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"start": "2027-01-02T00:00:00Z", "end": "2027-01-01T00:00:00Z"}, None),
    ({"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"}, "end"),
    ({"start": "2027-01-01T00:00:00Z", "end": "2028-01-03T00:00:00Z"}, "end"),
    ({"start": "2027-01-01T00:00:00", "end": "2027-01-02T00:00:00Z"}, "start"),
    ({"start": "2027-01-01T00:00:00Z"}, "end"),
    ({"start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z", "reason": "a\x00"},
     "reason"),
])
async def test_bad_periods_are_422(client: httpx.AsyncClient, doctor: TestUser,
                                   body: dict[str, str], field: str | None) -> None:
    response = await client.post(EXCEPTIONS, headers=doctor.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if field:
        assert field in [error["field"] for error in response.json()["errors"]]


async def test_only_the_doctor_closes_and_reopens_their_periods(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings, doctor: TestUser,
    patient: TestUser
) -> None:
    mine = (await client.post(EXCEPTIONS, headers=doctor.headers, json=period())).json()
    other = await make_user(sessions, settings, Role.doctor)
    pharmacist = await make_user(sessions, settings, Role.pharmacist)
    assert (await client.delete(f"{EXCEPTIONS}/{mine['id']}",
                                headers=other.headers)).status_code == 404
    assert (await client.get(EXCEPTIONS, headers=other.headers)).json()["items"] == []
    for someone in (patient, pharmacist):
        assert (await client.post(EXCEPTIONS, headers=someone.headers,
                                  json=period())).status_code == 403
        assert (await client.delete(f"{EXCEPTIONS}/{mine['id']}",
                                    headers=someone.headers)).status_code == 403
    assert (await client.delete(f"{EXCEPTIONS}/{mine['id']}")).status_code == 401
    assert [p["id"] for p in (await client.get(EXCEPTIONS, headers=doctor.headers))
            .json()["items"]] == [mine["id"]]


async def test_periods_are_listed_soonest_first_and_past_ones_on_request(
    client: httpx.AsyncClient, sessions: SessionMaker, doctor: TestUser
) -> None:
    later = (await client.post(EXCEPTIONS, headers=doctor.headers,
                               json=period(days_from_monday=14))).json()
    sooner = (await client.post(EXCEPTIONS, headers=doctor.headers, json=period())).json()
    async with sessions() as session, session.begin():
        now = datetime.now(UTC)
        session.add(ClosedPeriod(doctor_id=doctor.id, start_at=now - timedelta(days=9),
                                 end_at=now - timedelta(days=8)))
    first_page = (await client.get(EXCEPTIONS, headers=doctor.headers,
                                   params={"limit": 1})).json()
    assert [p["id"] for p in first_page["items"]] == [sooner["id"]]
    second = (await client.get(EXCEPTIONS, headers=doctor.headers,
                               params={"limit": 1, "cursor": first_page["next_cursor"]})).json()
    assert [p["id"] for p in second["items"]] == [later["id"]]
    assert second["next_cursor"] is None
    everything = (await client.get(EXCEPTIONS, headers=doctor.headers,
                                   params={"include_past": "true"})).json()
    assert len(everything["items"]) == 3
