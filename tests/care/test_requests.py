""""My requests": the registry of kinds, what processes write, and the one list."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import Pharmacy, RequestIndexEntry, User
from db.queries.references import next_reference
from db.queries.requests import record_request
from domain.accounts import Role
from domain.care import APPOINTMENT_SERVICES
from domain.references import ReferenceKind, parse_reference
from domain.requests import (
    REQUEST_KINDS,
    RequestEntry,
    RequestKind,
    appointment_request_kind,
    request_title,
)
from tests.support.users import TestUser, make_user


def test_the_registry_knows_every_kind_of_api_md() -> None:
    assert set(REQUEST_KINDS) == set(RequestKind)
    assert {spec.reference for spec in REQUEST_KINDS.values()} == set(ReferenceKind)
    for spec in REQUEST_KINDS.values():
        assert spec.statuses and len(set(spec.statuses)) == len(spec.statuses)
        assert "{id}" in spec.path and spec.path.startswith("/api/v1/")
        assert set(spec.titles) == {"fr", "en"}
    assert {appointment_request_kind(s) for s in APPOINTMENT_SERVICES} == {
        RequestKind.office_appointment, RequestKind.teleconsultation, RequestKind.emergency}


def test_titles_name_the_doctor_and_nothing_medical() -> None:
    assert request_title(RequestKind.teleconsultation, "fr", {"doctor": "Dr Paul Mbarga"}) == (
        "Téléconsultation avec Dr Paul Mbarga")
    assert request_title(RequestKind.sponsorship, "en", {"beneficiary": "Aïcha B."}) == (
        "Consultation sponsored for Aïcha B.")
    assert request_title(RequestKind.pharmacy, "de", {}) == "Prescription at …"


async def _entry(sessions: SessionMaker, user: TestUser, kind: RequestKind, status: str,
                 at: datetime, **extra: object) -> str:
    """A process's first write: its reference, given in the same transaction."""
    async with sessions() as session, session.begin():
        reference = await next_reference(session, REQUEST_KINDS[kind].reference, at.year)
        await record_request(session, RequestEntry(
            user_id=user.id, reference=reference, kind=kind, status=status,
            process_id=f"process-{reference.lower()}", at=at, **extra))  # type: ignore[arg-type]
    return reference


@pytest.fixture
async def patient(sessions: SessionMaker, settings: Settings) -> TestUser:
    """A patient who reads French."""
    made = await make_user(sessions, settings, Role.patient)
    async with sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == made.id).values(language="fr"))
    return made


@pytest.mark.db
async def test_a_status_change_rewrites_the_same_entry(
    sessions: SessionMaker, patient: TestUser
) -> None:
    created = utcnow() - timedelta(hours=2)
    reference = await _entry(sessions, patient, RequestKind.opinion, "draft", created)
    entry = RequestEntry(user_id=patient.id, reference=reference, kind=RequestKind.opinion,
                         status="pending_payment", process_id=f"process-{reference.lower()}",
                         at=created + timedelta(hours=1))
    for _ in range(2):  # the second is a replayed activity
        async with sessions() as session, session.begin():
            await record_request(session, entry)
    replayed = entry.model_copy(update={"at": created + timedelta(hours=2)})
    async with sessions() as session, session.begin():
        await record_request(session, replayed)
    async with sessions() as session:
        rows = (await session.scalars(select(RequestIndexEntry))).all()
    assert len(rows) == 1
    assert rows[0].status == "pending_payment" and rows[0].created_at == created
    # The status did not change the second and third time: updated_at stays.
    assert rows[0].updated_at == created + timedelta(hours=1)


@pytest.mark.db
async def test_writers_at_once_make_one_entry(sessions: SessionMaker, patient: TestUser) -> None:
    at = utcnow()

    async def write(status: str) -> None:
        async with sessions() as session, session.begin():
            await record_request(session, RequestEntry(
                user_id=patient.id, reference="RDV-2026-000001",
                kind=RequestKind.teleconsultation, status=status, process_id="a1", at=at))

    await asyncio.gather(*(write(s) for s in ["pending_payment", "confirmed"] * 5))
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(RequestIndexEntry)) == 1


@pytest.mark.db
async def test_the_list_across_kinds_filters_and_pages(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings, patient: TestUser,
    doctor: TestUser,
) -> None:
    async with sessions() as session, session.begin():
        session.add(Pharmacy(id="ph-1", name="Pharmacie du Lac", city="Yaoundé"))
    now = utcnow()
    made = [
        await _entry(sessions, patient, RequestKind.teleconsultation, "confirmed",
                     now - timedelta(days=6), doctor_id=doctor.id),
        await _entry(sessions, patient, RequestKind.opinion, "transmitted",
                     now - timedelta(days=5), doctor_id=doctor.id),
        await _entry(sessions, patient, RequestKind.pharmacy, "quoted",
                     now - timedelta(days=4), pharmacy_id="ph-1"),
        await _entry(sessions, patient, RequestKind.sponsorship, "confirmed",
                     now - timedelta(days=3), doctor_id=doctor.id,
                     title_data={"beneficiary": "Aïcha B."}),
        await _entry(sessions, patient, RequestKind.office_appointment, "canceled",
                     now - timedelta(days=2), doctor_id=doctor.id),
        await _entry(sessions, patient, RequestKind.record_fill, "in_progress",
                     now - timedelta(days=1), doctor_id=doctor.id),
    ]
    someone_else = await make_user(sessions, settings, Role.patient)
    theirs = await _entry(sessions, someone_else, RequestKind.emergency, "confirmed", now)

    listed = await client.get("/api/v1/me/requests", headers=patient.headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [i["reference"] for i in items] == made[::-1]
    assert listed.json()["next_cursor"] is None
    by_kind = {i["kind"]: i for i in items}
    tele = by_kind["teleconsultation"]
    assert tele["reference"].startswith("RDV-") and tele["status"] == "confirmed"
    assert tele["doctor"]["id"] == doctor.id and tele["pharmacy"] is None
    assert tele["title"] == f"Téléconsultation avec Dr Doctor {doctor.id[:6]}"
    assert tele["url"] == f"/api/v1/appointments/process-{tele['reference'].lower()}"
    assert by_kind["pharmacy"]["pharmacy"] == {"id": "ph-1", "name": "Pharmacie du Lac",
                                               "city": "Yaoundé"}
    assert by_kind["pharmacy"]["title"] == "Ordonnance à la Pharmacie du Lac"
    assert by_kind["sponsorship"]["title"] == "Consultation parrainée pour Aïcha B."
    assert by_kind["opinion"]["reference"].startswith("AVIS-")
    assert by_kind["record_fill"]["reference"].startswith("DOS-")
    assert theirs not in {i["reference"] for i in items}

    def refs(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return [i["reference"] for i in response.json()["items"]]

    h = patient.headers
    assert refs(await client.get("/api/v1/me/requests?kind=opinion", headers=h)) == [made[1]]
    assert refs(await client.get("/api/v1/me/requests?status=confirmed", headers=h)) == [
        made[3], made[0]]
    assert refs(await client.get("/api/v1/me/requests", headers=h, params={
        "kind": "teleconsultation", "status": "confirmed"})) == [made[0]]

    # Pages of two; two new requests arrive between pages: nothing twice, nothing lost.
    first = (await client.get("/api/v1/me/requests?limit=2", headers=h)).json()
    await _entry(sessions, patient, RequestKind.opinion, "draft", utcnow())
    await _entry(sessions, patient, RequestKind.pharmacy, "requested", utcnow())
    seen = [i["reference"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = (await client.get("/api/v1/me/requests", headers=h,
                                 params={"limit": 2, "cursor": cursor})).json()
        seen += [i["reference"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == made[::-1]


@pytest.mark.db
async def test_one_request_by_its_reference(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings, patient: TestUser,
    doctor: TestUser,
) -> None:
    reference = await _entry(sessions, patient, RequestKind.emergency, "pending_payment",
                             utcnow(), doctor_id=doctor.id)
    one = await client.get(f"/api/v1/me/requests/{reference}", headers=patient.headers)
    assert one.status_code == 200 and one.json()["reference"] == reference
    assert one.json()["kind"] == "emergency"
    typed = await client.get(f"/api/v1/me/requests/{reference.lower()}",
                             headers=patient.headers)
    assert typed.status_code == 200 and typed.json()["reference"] == reference
    parsed = parse_reference(reference)
    assert parsed is not None
    for missing in (f"RDV-{parsed.year}-999999", "PHA-2026-000001", "not-a-reference"):
        response = await client.get(f"/api/v1/me/requests/{missing}", headers=patient.headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.db
async def test_who_sees_what_and_bad_input(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings, patient: TestUser,
    doctor: TestUser,
) -> None:
    reference = await _entry(sessions, patient, RequestKind.teleconsultation, "confirmed",
                             utcnow(), doctor_id=doctor.id)
    other = await make_user(sessions, settings, Role.patient)
    assert (await client.get(f"/api/v1/me/requests/{reference}",
                             headers=other.headers)).status_code == 404
    assert (await client.get("/api/v1/me/requests", headers=other.headers)).json()[
        "items"] == []
    for role in (Role.doctor, Role.pharmacist):
        user = doctor if role == Role.doctor else await make_user(sessions, settings, role)
        assert (await client.get("/api/v1/me/requests", headers=user.headers)).status_code == 403
        assert (await client.get(f"/api/v1/me/requests/{reference}",
                                 headers=user.headers)).status_code == 403
    assert (await client.get("/api/v1/me/requests")).status_code == 401
    h = patient.headers
    for params in ({"kind": "haircut"}, {"status": "lost"},
                   {"kind": "pharmacy", "status": "confirmed"}, {"limit": 0},
                   {"limit": 1000}, {"cursor": "garbage"}):
        response = await client.get("/api/v1/me/requests", headers=h, params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
