"""GET /doctors/{id}/slots: the month / week / day views of a doctor's agenda."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from core.settings import Settings
from db.engine import SessionMaker
from domain.accounts import AccountStatus, Role
from domain.appointments import AppointmentStatus
from tests.agendas.conftest import hold, next_monday, set_week
from tests.support.users import TestUser, make_user

pytestmark = pytest.mark.db


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def slots(client: httpx.AsyncClient, user: TestUser, doctor: TestUser,
                **params: str) -> httpx.Response:
    return await client.get(f"/api/v1/doctors/{doctor.id}/slots", headers=user.headers,
                            params=params)


async def test_a_day_of_slots_in_time_order_in_utc(
    client: httpx.AsyncClient, doctor: TestUser, patient: TestUser
) -> None:
    await set_week(client, doctor)
    monday = next_monday()
    response = await slots(client, patient, doctor, **{"from": str(monday), "to": str(monday)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == "Africa/Douala"
    items = body["items"]
    assert len(items) == 8 + 6
    # 08:00 in Douala (UTC+1) is 07:00 UTC.
    assert items[0] == {"start": f"{monday}T07:00:00Z", "end": f"{monday}T07:30:00Z",
                        "type": "office", "status": "free"}
    assert items[8]["start"] == f"{monday}T13:00:00Z"
    assert items[8]["type"] == "teleconsultation"
    assert [item["start"] for item in items] == sorted(item["start"] for item in items)

    only_tele = await slots(client, patient, doctor, **{"from": str(monday), "to": str(monday),
                                                        "type": "teleconsultation"})
    assert {item["type"] for item in only_tele.json()["items"]} == {"teleconsultation"}
    week = await slots(client, patient, doctor, **{"from": str(monday),
                                                   "to": str(monday + timedelta(days=6))})
    assert len(week.json()["items"]) == 8 + 6 + 4


async def test_times_with_offsets_bound_the_range(
    client: httpx.AsyncClient, doctor: TestUser, patient: TestUser
) -> None:
    await set_week(client, doctor)
    monday = next_monday()
    nine = datetime.fromisoformat(f"{monday}T09:00:00+01:00")
    response = await slots(client, patient, doctor, **{"from": nine.isoformat(),
                                                       "to": iso(nine + timedelta(hours=1))})
    assert [item["start"] for item in response.json()["items"]] == [
        f"{monday}T08:00:00Z", f"{monday}T08:30:00Z"]
    # A "+" sent unencoded arrives as a space: still understood.
    spaced = await client.get(
        f"/api/v1/doctors/{doctor.id}/slots?from={monday}T09:00:00+01:00&to={monday}",
        headers=patient.headers)
    assert spaced.status_code == 200, spaced.text
    assert spaced.json()["items"][0]["start"] == f"{monday}T08:00:00Z"


async def test_taken_covers_held_and_booked_and_says_nothing_of_who(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings, doctor: TestUser,
    patient: TestUser
) -> None:
    await set_week(client, doctor)
    monday = next_monday()
    eight = datetime.fromisoformat(f"{monday}T07:00:00+00:00")
    await hold(sessions, doctor, patient, eight, 30)  # held, unpaid
    await hold(sessions, doctor, patient, eight + timedelta(hours=1), 45,
               status=AppointmentStatus.confirmed)  # 09:00–09:45 takes two slots
    await hold(sessions, doctor, patient, eight + timedelta(hours=3),
               status=AppointmentStatus.canceled)
    other = await make_user(sessions, settings, Role.patient)
    response = await slots(client, other, doctor, **{"from": str(monday), "to": str(monday)})
    items = response.json()["items"]
    assert [item["start"][11:16] for item in items if item["status"] == "taken"] == [
        "07:00", "08:00", "08:30"]
    assert all(set(item) == {"start", "end", "type", "status"} for item in items)


async def test_nothing_in_the_past_or_inside_the_notice(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, doctor: TestUser,
    patient: TestUser
) -> None:
    every_day = [{"weekday": day, "start": "00:00", "end": "24:00", "type": "office",
                  "slot_minutes": 60} for day in range(1, 8)]
    await set_week(client, doctor, every_day)
    app.state.settings = settings.model_copy(update={"durations": settings.durations.model_copy(
        update={"booking_min_notice": timedelta(hours=5)})})
    today = datetime.now(UTC).date()
    before = datetime.now(UTC)
    response = await slots(client, patient, doctor, **{
        "from": str(today - timedelta(days=2)), "to": str(today + timedelta(days=1))})
    first = datetime.fromisoformat(response.json()["items"][0]["start"])
    assert before + timedelta(hours=5) <= first <= before + timedelta(hours=6, minutes=1)
    past = await slots(client, patient, doctor, **{"from": str(today - timedelta(days=9)),
                                                   "to": str(today - timedelta(days=2))})
    assert past.status_code == 200 and past.json()["items"] == []


async def test_a_doctor_abroad_shows_their_own_timezone(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings, patient: TestUser
) -> None:
    paris = await make_user(sessions, settings, Role.doctor, timezone="Europe/Paris")
    await set_week(client, paris, [{"weekday": 1, "start": "18:00", "end": "19:00",
                                    "type": "teleconsultation", "slot_minutes": 30}])
    monday = next_monday()
    body = (await slots(client, patient, paris, **{"from": str(monday),
                                                   "to": str(monday)})).json()
    assert body["timezone"] == "Europe/Paris"
    six_pm = datetime.combine(monday, time(18), ZoneInfo("Europe/Paris"))
    assert [item["start"] for item in body["items"]] == [
        iso(six_pm), iso(six_pm + timedelta(minutes=30))]


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-12-10", "to": "2026-12-09"}, "from"),
    ({"from": "2026-12-01", "to": "2027-02-01"}, "to"),  # 63 days
    ({"from": "2026-12-01T00:00:00Z", "to": "2027-02-01T00:00:01Z"}, "to"),
    ({"from": "2026-02-30", "to": "2026-03-01"}, "from"),
    ({"from": "tomorrow"}, "from"),
    ({"from": "2026-12-10T09:00:00", "to": "2026-12-11"}, "from"),  # no offset
    ({"from": "2026-12-10", "to": "9999-12-31"}, "to"),
    ({"type": "house_call"}, "type"),
])
async def test_bad_ranges_are_422_problems(
    client: httpx.AsyncClient, doctor: TestUser, patient: TestUser, params: dict[str, str],
    field: str
) -> None:
    response = await slots(client, patient, doctor, **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]


async def test_62_days_of_whole_days_are_fine(
    client: httpx.AsyncClient, doctor: TestUser, patient: TestUser
) -> None:
    await set_week(client, doctor)
    monday = next_monday()
    response = await slots(client, patient, doctor, **{
        "from": str(monday), "to": str(monday + timedelta(days=61))})
    assert response.status_code == 200
    assert len(response.json()["items"]) == 9 * (8 + 6 + 4)  # nine Mondays and Wednesdays


async def test_who_may_read_slots(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings, doctor: TestUser,
    patient: TestUser
) -> None:
    """Any active user reads a listed doctor's agenda (it names no patient); not an unlisted
    doctor's, nor without an active account."""
    await set_week(client, doctor)
    pharmacist = await make_user(sessions, settings, Role.pharmacist)
    other_doctor = await make_user(sessions, settings, Role.doctor)
    for reader in (patient, pharmacist, other_doctor, doctor):
        assert (await slots(client, reader, doctor)).status_code == 200
    unlisted = await make_user(sessions, settings, Role.doctor,
                               status=AccountStatus.email_validated)
    assert (await slots(client, patient, unlisted)).status_code == 404
    assert (await client.get("/api/v1/doctors/nobody/slots",
                             headers=patient.headers)).status_code == 404
    assert (await client.get(f"/api/v1/doctors/{doctor.id}/slots")).status_code == 401
    pending = await make_user(sessions, settings, Role.patient,
                              status=AccountStatus.email_validated)
    assert (await slots(client, pending, doctor)).status_code == 403


async def test_what_is_taken_comes_from_one_query_whatever_the_slots(
    client: httpx.AsyncClient, sessions: SessionMaker, doctor: TestUser, patient: TestUser
) -> None:
    every_day = [{"weekday": day, "start": start, "end": end, "type": "office",
                  "slot_minutes": 15} for day in range(1, 8)
                 for start, end in (("08:00", "12:00"), ("14:00", "18:00"))]
    await set_week(client, doctor, every_day)
    monday = next_monday()
    engine = sessions.kw["bind"].sync_engine
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    async def month() -> list[dict[str, str]]:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            response = await slots(client, patient, doctor, **{
                "from": str(monday), "to": str(monday + timedelta(days=30))})
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200
        items: list[dict[str, str]] = response.json()["items"]
        return items

    empty = await month()
    queries_when_empty = len(statements)
    assert len(empty) == 31 * 32
    for day in range(0, 31, 2):
        start = datetime.fromisoformat(f"{monday + timedelta(days=day)}T07:00:00+00:00")
        for slot in range(0, 16, 3):
            await hold(sessions, doctor, patient, start + timedelta(minutes=15 * slot), 15)
    busy = await month()
    assert sum(item["status"] == "taken" for item in busy) == 16 * 6
    assert len(statements) == queries_when_empty
    assert sum("appointments" in statement for statement in statements) == 1
