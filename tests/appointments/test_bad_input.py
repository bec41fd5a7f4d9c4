"""Bad bookings get a clear problem+json, never a 500: a time that is no slot of the
doctor's availability (off the grid, in the past, inside the notice, of another type), a
time without offset, an unknown type, a doctor without that fee, a bad calendar range."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from tests.appointments.support import at, book, free_slot, make_world

pytestmark = pytest.mark.db


async def test_what_is_not_a_slot_is_a_422_naming_start(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    good = at(await free_slot(ts_api, world.patient, world.doctor, "office"))
    yesterday = good - timedelta(days=4)
    for start, type_ in [
        ((good + timedelta(minutes=7)).isoformat(), "office"),   # off the grid
        (yesterday.isoformat(), "office"),                        # in the past
        ((utcnow() + timedelta(minutes=5)).isoformat(), "office"),  # inside the notice
        (good.isoformat(), "teleconsultation"),                   # an office slot
        (good.replace(tzinfo=None).isoformat(), "office"),       # no offset
    ]:
        refused = await book(ts_api, world, start=start, type_=type_)
        assert refused.status_code == 422, (start, type_, refused.body)
        assert any(e["field"].endswith("start") for e in refused.body["errors"]), refused.body
    unknown = await book(ts_api, world, start=good.isoformat(), type_="house_call")
    assert unknown.status_code == 422
    assert any(e["field"].endswith("type") for e in unknown.body["errors"])


async def test_a_bad_calendar_range_is_a_422(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    for params in ({"from": "2026-12-10T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
                   {"from": "2026-12-10T00:00:00"}, {"from": "not a date"},
                   {"status": "lost"}):
        answer = await ts_api.get("/api/v1/me/appointments", params=params,
                                  headers=world.patient.headers)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    missing = await ts_api.get("/api/v1/appointments/nope", headers=world.patient.headers)
    assert missing.status_code == 404
