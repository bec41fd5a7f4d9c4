"""Implausible input is refused with 422 naming the field: countries that do not exist,
dates of a life before 1900 or in the future, numbers that are no phone numbers, prices in
a currency nothing is priced in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from core.settings import Settings
from db.engine import SessionMaker
from domain.accounts import AccountStatus, Role
from tests.support.users import TestUser, make_user

pytestmark = pytest.mark.db

PROFILE = {"timezone": "Africa/Douala", "currency": "XAF", "country": "CM", "city": "Douala",
           "address_line": "12 rue de la Joie", "phone": "+237670000001"}
TOMORROW = (date.today() + timedelta(days=2)).isoformat()


def refused(response: httpx.Response, field: str, location: str = "body") -> str:
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert (error["location"], error["field"]) == (location, field), error
    message: str = error["message"]
    return message


@pytest.fixture
async def patient(sessions: SessionMaker, e2e_settings: Settings) -> TestUser:
    return await make_user(sessions, e2e_settings, Role.patient)


@pytest.mark.parametrize("change, field, message", [
    ({"country": "ZZ"}, "country", "must be an ISO 3166-1 alpha-2 country code"),
    ({"country": "XK"}, "country", "must be an ISO 3166-1 alpha-2 country code"),
    ({"date_of_birth": "0001-01-01"}, "date_of_birth", "must be a date from 1900-01-01"),
    ({"date_of_birth": TOMORROW}, "date_of_birth", "must be a date from 1900-01-01 to today"),
    ({"phone": "+0123456789"}, "phone", "must be an international number"),
    ({"phone": "12"}, "phone", "must be an international number"),
    ({"currency": "ZZZ"}, "currency", "must be one of XAF, EUR"),
])
async def test_implausible_profiles_are_refused(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    change: dict[str, Any], field: str, message: str,
) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient,
                           status=AccountStatus.email_validated)
    response = await api.put("/api/v1/me/profile", headers=user.headers,
                             json={**PROFILE, **change})
    assert refused(response, field).startswith(message)


async def test_a_plausible_profile_is_tidied(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings
) -> None:
    """Accepted the way people type it: lower case country, spaces in the number."""
    user = await make_user(sessions, e2e_settings, Role.patient, status=AccountStatus.active)
    response = await api.put("/api/v1/me/profile", headers=user.headers, json={
        **PROFILE, "country": "fr", "phone": "+33 6 12-34-56-78", "date_of_birth": "1950-05-01"})
    assert response.status_code == 200, response.text
    profile = response.json()["profile"]
    assert (profile["country"], profile["phone"]) == ("FR", "+33612345678")


async def test_a_billing_address_needs_a_real_country(
    api: httpx.AsyncClient, patient: TestUser
) -> None:
    response = await api.post("/api/v1/me/billing-addresses", headers=patient.headers,
                              json={"line1": "8 rue Paris", "city": "Lyon", "country": "ZZ"})
    refused(response, "country")


@pytest.mark.parametrize("path, body, field", [
    ("antecedents", {"category": "medical", "description": "Asthme",
                     "onset_date": "0001-01-01"}, "onset_date"),
    ("antecedents", {"category": "medical", "description": "Asthme",
                     "onset_date": TOMORROW}, "onset_date"),
    ("treatments", {"name": "Ventoline", "since": "1850-01-01"}, "since"),
    ("treatments", {"name": "Ventoline", "since": TOMORROW}, "since"),
    ("attending-doctors", {"new": {"first_name": "Jean", "last_name": "Mbarga",
                                   "phone": "call me"}}, "new.phone"),
])
async def test_implausible_record_entries_are_refused(
    api: httpx.AsyncClient, patient: TestUser, path: str, body: dict[str, Any], field: str
) -> None:
    response = await api.post(f"/api/v1/me/record/{path}", headers=patient.headers, json=body)
    refused(response, field)


async def test_a_measure_a_little_ahead_of_our_clock_is_accepted(
    api: httpx.AsyncClient, patient: TestUser
) -> None:
    ahead = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    response = await api.post("/api/v1/me/vitals", headers=patient.headers,
                              json={"type": "weight", "value": 70, "measured_at": ahead})
    assert response.status_code == 201, response.text


async def test_plans_in_a_currency_nothing_is_priced_in_are_refused(
    api: httpx.AsyncClient
) -> None:
    unknown = await api.get("/api/v1/plans", params={"currency": "ZZZ"})
    assert refused(unknown, "currency", "query").startswith("must be one of XAF, EUR")
    unpriced = await api.get("/api/v1/plans", params={"currency": "CHF"})
    assert refused(unpriced, "currency", "query") == "plans are priced in EUR, XAF"
    euros = await api.get("/api/v1/plans", params={"currency": "EUR"})
    assert {p["price"]["currency"] for p in euros.json()["items"]} == {"EUR"}
