"""Vital signs: the types, plausible values only, and a time-ordered series per type."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.users import TestUser

pytestmark = pytest.mark.db


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


async def test_vital_types_have_units_loinc_codes_and_ranges(client: httpx.AsyncClient) -> None:
    types = {t["code"]: t for t in (await client.get("/api/v1/vital-types")).json()["items"]}
    assert set(types) == {"blood_pressure", "heart_rate", "temperature", "weight", "height",
                          "spo2", "blood_glucose"}
    bp = types["blood_pressure"]
    assert bp["loinc"] == "85354-9" and bp["unit"] == "mmHg"
    assert [(c["code"], c["loinc"]) for c in bp["components"]] == [
        ("systolic", "8480-6"), ("diastolic", "8462-4")]
    assert types["heart_rate"]["loinc"] == "8867-4"
    assert types["temperature"]["unit"] == "°C" and types["temperature"]["ucum"] == "Cel"
    assert all(t["min"] < t["max"] for t in types.values() if t["code"] != "blood_pressure")


@pytest.mark.parametrize("body, field, message", [
    ({"type": "temperature", "value": 3.7}, "value", "3.7 °C is outside the plausible range"),
    ({"type": "temperature", "value": 370}, "value", "370 °C is outside the plausible range"),
    ({"type": "weight", "value": -2}, "value", "-2 kg is outside the plausible range"),
    ({"type": "spo2", "value": 101}, "value", "101 % is outside the plausible range"),
    ({"type": "heart_rate", "value": 400}, "value", "400 /min is outside the plausible range"),
    ({"type": "blood_pressure", "systolic": 80, "diastolic": 120}, "diastolic",
     "must be below systolic"),
    ({"type": "blood_pressure", "systolic": 120, "diastolic": 120}, "diastolic",
     "must be below systolic"),
    ({"type": "blood_pressure", "systolic": 400, "diastolic": 80}, "systolic",
     "400 mmHg is outside the plausible range 50–260 mmHg"),
    ({"type": "blood_pressure", "systolic": 120}, "diastolic", "required for blood_pressure"),
    ({"type": "blood_pressure", "value": 120}, "value",
     "blood_pressure takes systolic and diastolic, not value"),
    ({"type": "weight"}, "value", "required for weight"),
    ({"type": "weight", "systolic": 120, "diastolic": 80}, "systolic",
     "only for blood_pressure; weight takes value"),
    ({"value": 70}, "type", "Field required"),
    ({"type": "cholesterol", "value": 2}, "type", "must be one of 'blood_pressure', "),
    ({"type": "weight", "value": "heavy"}, "value", "Input should be a valid number"),
    ({"type": "weight", "value": 70, "measured_at": "0001-01-01T08:00:00Z"}, "measured_at",
     "must be after 1900-01-01"),
    ({"type": "weight", "value": 70, "measured_at": "FUTURE"}, "measured_at",
     "must not be in the future"),
])
async def test_bad_vitals_are_422(
    client: httpx.AsyncClient, patient: TestUser, body: dict[str, Any], field: str,
    message: str,
) -> None:
    """Each case fails for its own reason, named on its own field."""
    if body.get("measured_at") == "FUTURE":
        body = {**body, "measured_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    response = await client.post("/api/v1/me/vitals", headers=patient.headers,
                                 json={"measured_at": ago(hours=1), **body})
    assert response.status_code == 422, (body, response.text)
    (error,) = response.json()["errors"]
    assert error["field"] == field, error
    assert error["message"].startswith(message), error
    listed = await client.get("/api/v1/me/vitals", headers=patient.headers)
    assert listed.json()["items"] == []


@pytest.mark.parametrize("measured_at", [None, "2024-01-01T08:00:00", "yesterday",
                                         "FUTURE"])
async def test_measure_time_must_be_a_past_instant_with_offset(
    client: httpx.AsyncClient, patient: TestUser, measured_at: str | None
) -> None:
    body: dict[str, Any] = {"type": "weight", "value": 70}
    if measured_at == "FUTURE":
        body["measured_at"] = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    elif measured_at is not None:
        body["measured_at"] = measured_at
    response = await client.post("/api/v1/me/vitals", headers=patient.headers, json=body)
    assert response.status_code == 422


async def test_series_in_time_order_filtered_by_type_and_period(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    h = patient.headers
    # Sent out of order, and with an offset: stored and returned in UTC, oldest first.
    for days, systolic in [(3, 130), (10, 140), (1, 125)]:
        created = await client.post("/api/v1/me/vitals", headers=h, json={
            "type": "blood_pressure", "measured_at": ago(days=days),
            "systolic": systolic, "diastolic": 80})
        assert created.status_code == 201, created.text
    local = datetime.now(UTC).astimezone().replace(microsecond=0) - timedelta(days=2)
    weight = await client.post("/api/v1/me/vitals", headers=h, json={
        "type": "weight", "measured_at": local.isoformat(), "value": 71.5})
    assert weight.status_code == 201 and weight.json()["unit"] == "kg"

    series = (await client.get("/api/v1/me/vitals", headers=h,
                               params={"type": "blood_pressure"})).json()["items"]
    assert [p["systolic"] for p in series] == [140, 130, 125]
    assert all(p["type"] == "blood_pressure" and p["unit"] == "mmHg" for p in series)
    times = [datetime.fromisoformat(p["measured_at"]) for p in series]
    assert times == sorted(times) and all(t.utcoffset() == timedelta(0) for t in times)

    window = await client.get("/api/v1/me/vitals", headers=h, params={
        "type": "blood_pressure", "from": ago(days=5), "to": ago(hours=36)})
    assert [p["systolic"] for p in window.json()["items"]] == [130]

    everything = (await client.get("/api/v1/me/vitals", headers=h)).json()["items"]
    assert [p["type"] for p in everything] == ["blood_pressure", "blood_pressure", "weight",
                                               "blood_pressure"]
    page = await client.get("/api/v1/me/vitals", headers=h, params={"limit": 3})
    rest = await client.get("/api/v1/me/vitals", headers=h,
                            params={"limit": 3, "cursor": page.json()["next_cursor"]})
    assert [p["id"] for p in page.json()["items"] + rest.json()["items"]] == [
        p["id"] for p in everything]
    assert (await client.get("/api/v1/me/vitals", headers=h,
                             params={"cursor": "garbage"})).status_code == 422
