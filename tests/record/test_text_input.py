"""Text fields refuse control characters and blank values at input; the FHIR export never
fails on what the database holds (values stored before the rule included)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.record_fhir import record_bundle
from db.engine import SessionMaker
from db.models import Allergy, Antecedent, AttendingDoctor, Treatment, User, VitalSign
from domain import record as r
from domain.text import REPLACEMENT, multi_line, printable, single_line
from tests.support.users import TestUser

pytestmark = pytest.mark.db

BASE = "/api/v1/me/record"
UNREADABLE = ["\x0c\x85", "   ", "", "a\x00b", "tab\there", "two\nlines", "x\u2028y"]


@pytest.mark.parametrize("path, body, field", [
    ("treatments", {"name": "Doliprane", "dosage": "?"}, "dosage"),
    ("treatments", {"name": "?"}, "name"),
    ("treatments", {"name": "Doliprane", "frequency": "?"}, "frequency"),
    ("allergies", {"substance": "?"}, "substance"),
    ("antecedents", {"category": "medical", "description": "?"}, "description"),
    ("attending-doctors", {"new": {"first_name": "?", "last_name": "Mbarga"}},
     "new.first_name"),
    ("attending-doctors", {"new": {"first_name": "Jean", "last_name": "Mbarga",
                                   "specialty": "?"}}, "new.specialty"),
])
@pytest.mark.parametrize("text", UNREADABLE)
async def test_record_text_refuses_control_characters_and_blanks(
    client: httpx.AsyncClient, patient: TestUser, path: str, body: dict[str, Any], field: str,
    text: str,
) -> None:
    if field == "description" and text in ("two\nlines", "tab\there"):
        pytest.skip("a description may have several lines, and tabs")
    filled = _fill(body, text)
    response = await client.post(f"{BASE}/{path}", headers=patient.headers, json=filled)
    assert response.status_code == 422, (filled, response.text)
    (error,) = response.json()["errors"]
    assert error["field"] == field
    assert error["message"].startswith(("must be one line of text", "must be text without",
                                        "must not be blank", "String should have at least",
                                        "must not contain a NUL"))
    assert (await client.get(BASE, headers=patient.headers)).json()[path.replace("-", "_")] == []


async def test_other_text_inputs_use_the_same_rules(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    address = await client.post("/api/v1/me/billing-addresses", headers=patient.headers,
                                json={"line1": "8 rue\x0cParis", "city": "Lyon", "country": "FR"})
    assert address.status_code == 422
    assert address.json()["errors"][0]["field"] == "line1"
    blank_city = await client.post("/api/v1/me/billing-addresses", headers=patient.headers,
                                   json={"line1": "8 rue Paris", "city": " ", "country": "FR"})
    assert blank_city.json()["errors"][0]["field"] == "city"


async def test_accepted_text_is_kept_tidy(client: httpx.AsyncClient, patient: TestUser) -> None:
    created = await client.post(f"{BASE}/antecedents", headers=patient.headers, json={
        "category": "family", "description": "  Diabète\r\n(mère)\u00a0 "})
    assert created.status_code == 201
    assert created.json()["description"] == "Diabète\n(mère)"
    decomposed = await client.post(f"{BASE}/allergies", headers=patient.headers,
                                   json={"substance": "Pe\u0301nicilline"})
    assert decomposed.json()["substance"] == "Pénicilline"


async def test_the_export_survives_bad_text_stored_before_the_rule(
    client: httpx.AsyncClient, sessions: SessionMaker, patient: TestUser
) -> None:
    """Rows written straight into the database, as the API once accepted them (what
    PostgreSQL can hold: no NUL)."""
    async with sessions() as session, session.begin():
        session.add_all([
            Treatment(patient_id=patient.id, name="Doliprane", dosage="\x0c\x85"),
            Treatment(patient_id=patient.id, name="\x01", frequency="1/j\x07"),
            Allergy(patient_id=patient.id, substance="\x1b[31m", reaction=" "),
            Antecedent(patient_id=patient.id, category="medical", description="\x0c"),
            AttendingDoctor(patient_id=patient.id, first_name="\x85", last_name="Mbarga",
                            phone="\t", email=" "),
        ])
        user = await session.get(User, patient.id)
        assert user is not None
        user.first_name = "\x0cJean"
    record = await client.get(BASE, headers=patient.headers)
    assert record.status_code == 200
    response = await client.get(f"{BASE}/fhir", headers=patient.headers)
    assert response.status_code == 200, response.text
    Bundle.model_validate(response.json())
    dosages = [e["resource"]["dosage"][0]["text"] for e in response.json()["entry"]
               if e["resource"]["resourceType"] == "MedicationStatement"
               and "dosage" in e["resource"]]
    assert sorted(dosages) == sorted(["\ufffd\ufffd", "1/j\ufffd"])


def _fill(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {k: _fill(v, text) if isinstance(v, dict) else (text if v == "?" else v)
            for k, v in body.items()}


# --- the rules themselves ---------------------------------------------------------------

def test_single_and_multi_line_rules() -> None:
    assert single_line("  Jean\u00a0Paul ") == "Jean Paul"
    assert multi_line("a\r\nb\tc") == "a\nb\tc"
    for bad in UNREADABLE:
        with pytest.raises(ValueError):
            single_line(bad)
    for bad in ("\x0c\x85", " ", "a\x00", "\u2029"):
        with pytest.raises(ValueError):
            multi_line(bad)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(codec=None), max_size=40))
def test_printable_is_valid_fhir_text_whatever_was_stored(stored: str) -> None:
    shown = printable(stored)
    assert shown and shown == shown.strip()
    assert all(c in "\n\t\r " or not c.isspace() for c in shown)
    assert all(ord(c) >= 32 or c in "\n\t\r" for c in shown)
    if stored.strip() and all(c.isprintable() for c in stored):
        assert REPLACEMENT not in shown


_STORED = st.text(st.characters(codec="utf-8"), max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.tuples(_STORED, _STORED), texts=st.lists(_STORED, min_size=6, max_size=6))
def test_any_stored_text_makes_a_valid_bundle(names: tuple[str, str], texts: list[str]) -> None:
    now = datetime.now(UTC)
    ids = iter(f"{n:032x}" for n in range(1, 100))
    user = User(id=next(ids), esame_id="ES-ABCDEF", email=texts[0], first_name=names[0],
                last_name=names[1], sex=None, date_of_birth=None)
    record = r.Record(
        antecedents=[r.Antecedent(id=next(ids), category=r.AntecedentCategory.medical,
                                  description=texts[1], created_at=now)],
        allergies=[r.Allergy(id=next(ids), substance=texts[2], reaction=texts[3],
                             severity=r.Severity.mild, created_at=now)],
        treatments=[r.Treatment(id=next(ids), drug_id=None, name=texts[4], dosage=texts[5],
                                frequency=texts[0], since=None, created_at=now)],
        attending_doctors=[r.AttendingDoctor(
            id=next(ids), doctor_id=None, registered=False, first_name=names[0],
            last_name=texts[1], specialty=texts[2], phone=texts[3], email=texts[4],
            created_at=now)],
        documents=[r.Document(id=next(ids), type=r.DocumentType.other, filename=texts[5],
                              content_type="application/pdf", size=1, sha256="0" * 64,
                              uploaded_at=now)],
    )
    vital = VitalSign(id=next(ids), patient_id=user.id, type="weight", measured_at=now,
                      value=70.0)
    Bundle.model_validate(record_bundle(user, record, [vital], "http://testserver"))
