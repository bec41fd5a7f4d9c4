"""Errors a person can read: each names its field in the request's own terms (or the body
as a whole) and says what is allowed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.app import create_app
from core.settings import Settings
from db.engine import SessionMaker
from domain.accounts import Role
from tests.record.conftest import PDF
from tests.support.users import TestUser, make_user

pytestmark = pytest.mark.db


@pytest.fixture
async def client(settings: Settings, sessions: SessionMaker) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, sessions=sessions)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def patient(sessions: SessionMaker, settings: Settings) -> TestUser:
    return await make_user(sessions, settings, Role.patient)


def errors_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors: list[dict[str, Any]] = response.json()["errors"]
    assert errors, response.text
    for error in errors:
        assert error.get("field", "named") is not None  # a whole-body error has no field
        assert not error["message"].startswith(("Value error", "Assertion failed"))
        assert "<" not in error["message"]  # no Python repr such as <Role.patient: ...>
    return errors


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


async def test_a_rule_on_several_fields_names_the_field_at_fault(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    response = await client.post("/api/v1/me/record/treatments", headers=patient.headers,
                                 json={"dosage": "1/j"})
    (error,) = errors_of(response)
    assert error["field"] == "name" and error["location"] == "body"
    assert error["message"] == "give drug_id (from the drug catalogue) or name"


async def test_an_enum_error_lists_the_allowed_values(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/auth/register", json={
        "email": "someone@esame.cm", "password": "long enough password",
        "role": "admin", "first_name": "A", "last_name": "B"})
    (error,) = errors_of(response)
    assert error["field"] == "role"
    assert error["message"] == "must be one of 'patient', 'doctor' or 'pharmacist'"


async def test_invalid_json_is_a_body_error(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    response = await client.post(
        "/api/v1/me/vitals", content=b'{"type": ',
        headers={**patient.headers, "Content-Type": "application/json"})
    (error,) = errors_of(response)
    assert "field" not in error and error["location"] == "body"
    assert error["message"].startswith("the body is not valid JSON")
    not_an_object = await client.post("/api/v1/me/vitals", json=[1, 2],
                                      headers=patient.headers)
    (error,) = errors_of(not_an_object)
    assert "field" not in error
    assert error["message"].startswith("the body must be a JSON object")


async def test_fee_errors_list_each_fee(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings
) -> None:
    doctor = await make_user(sessions, settings, Role.doctor)
    fine = {"amount": 10000, "currency": "XAF"}
    response = await client.put("/api/v1/doctor/fees", headers=doctor.headers, json={
        "opinion": {"amount": -1, "currency": "XAF"}, "teleconsultation": fine,
        "office": {"amount": 100, "currency": "EUR"}, "record_fill": fine})
    errors = errors_of(response)
    assert {(e["field"], e["message"]) for e in errors} == {
        ("opinion.amount", "a fee cannot be negative"),
        ("office.currency", "fees are in your currency, XAF")}


async def test_a_very_long_file_name_names_the_files_field(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    response = await client.post(
        "/api/v1/me/documents", headers=patient.headers, data={"type": "lab_result"},
        files=[("files", ("a" * 5000 + ".pdf", PDF, "application/pdf"))])
    (error,) = errors_of(response)
    assert error["field"] == "files"
    assert error["message"].startswith("a file name is too long")


async def test_a_query_error_names_the_parameter(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    response = await client.get("/api/v1/me/vitals", headers=patient.headers,
                                params={"type": "mood", "limit": 0})
    errors = errors_of(response)
    assert {(e["location"], e["field"]) for e in errors} == {("query", "type"),
                                                             ("query", "limit")}
    kinds = {e["field"]: e["message"] for e in errors}
    assert kinds["type"].startswith("must be one of 'blood_pressure', 'heart_rate'")


async def test_a_bad_idempotency_key_names_the_header(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    response = await client.post("/api/v1/me/vitals", json={}, headers={
        **patient.headers, "Idempotency-Key": "k" * 201})
    (error,) = errors_of(response)
    assert (error["location"], error["field"]) == ("header", "Idempotency-Key")


async def test_text_no_database_can_store_is_refused_everywhere(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    """A NUL character would make PostgreSQL fail the request (500): refused first."""
    h = patient.headers
    in_path = await client.get("/api/v1/payments/abc%00def", headers=h)
    assert in_path.status_code == 404
    in_query = await client.get("/api/v1/me/vitals", headers=h, params={"cursor": "a\x00"})
    (error,) = errors_of(in_query)
    assert (error["location"], error["field"]) == ("query", "cursor")
    in_body = await client.post("/api/v1/me/billing-addresses", headers=h, json={
        "line1": "8 rue Paris", "city": "Lyon", "country": "FR", "postal_code": "69\x00"})
    (error,) = errors_of(in_body)
    assert (error["location"], error["field"]) == ("body", "postal_code")
    in_form = await client.post("/api/v1/auth/token",
                                data={"username": "a\x00@b.cm", "password": "x"})
    assert errors_of(in_form)[0]["field"] == "username"


async def test_every_invalid_input_answer_has_errors(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    """Even a 422 raised with a detail alone lists where the request is at fault."""
    from api.cursors import encode_id_cursor

    response = await client.get("/api/v1/me/doctors", headers=patient.headers,
                                params={"cursor": encode_id_cursor("no-such-link")})
    (error,) = errors_of(response)
    assert error["message"] == "The cursor is not valid."
