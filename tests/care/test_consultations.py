"""Consultations and prescriptions: what the doctor may write, the draft and its one-time
publication, and what the patient and the doctor read (and nobody else)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, update

from activities.consultations import ConsultationActivities
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import AuditEntry, Consultation, PrescriptionItem
from db.queries.consultations import write_draft
from domain.accounts import Role
from domain.consultations import (
    ConsultationAlreadyPublished,
    ConsultationIn,
    ConsultationKind,
    ConsultationSource,
    PrescriptionItemIn,
    PrescriptionMoveError,
    PrescriptionStatus,
    PublishConsultation,
    UnknownDrugs,
    can_move,
    move_item,
)
from tests.care.conftest import AMLOR_5, DOLIPRANE_1000, consultation, draft, item
from tests.support.users import TestUser, make_user

S = PrescriptionStatus


# --- the rules, pure ------------------------------------------------------------------------

def test_item_status_moves() -> None:
    assert can_move(S.open, S.requested)
    assert can_move(S.requested, S.open)  # the request canceled, rejected or expired
    assert can_move(S.requested, S.dispensed)
    for current, target in [(S.open, S.dispensed), (S.dispensed, S.open),
                            (S.dispensed, S.requested)]:
        assert not can_move(current, target)
        with pytest.raises(PrescriptionMoveError):
            move_item(current, target)
    assert move_item(S.requested, S.requested) is S.requested  # a replay changes nothing


@pytest.mark.parametrize("fields", [
    {"dosage": "1 cp", "quantity": 1},                                 # neither drug nor name
    {"name": "   ", "dosage": "1 cp", "quantity": 1},                  # blank
    {"name": "Amox\x00icilline", "dosage": "1 cp", "quantity": 1},     # control character
    {"name": "Amoxicilline", "dosage": "1 cp\u202e", "quantity": 1},   # bidi override
    {"name": "Amoxicilline", "dosage": "1\ncp", "quantity": 1},        # a line break
    {"name": "Amoxicilline", "dosage": "", "quantity": 1},
    {"name": "Amoxicilline", "dosage": "1 cp", "quantity": 0},
    {"name": "Amoxicilline", "dosage": "1 cp", "quantity": 101},
    {"name": "Amoxicilline", "dosage": "1 cp", "quantity": 1, "duration_days": 0},
    {"name": "Amoxicilline", "dosage": "1 cp", "quantity": 1, "duration_days": 366},
    {"name": "x" * 301, "dosage": "1 cp", "quantity": 1},
    {"drug_id": "abc", "dosage": "1 cp", "quantity": 1},
])
def test_bad_prescription_items_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PrescriptionItemIn.model_validate(fields)


def test_text_is_trimmed_and_a_summary_keeps_its_lines() -> None:
    body = ConsultationIn.model_validate({
        "summary": "  Tension 150/95.\r\nRevoir dans un mois.\t ",
        "prescriptions": [{"name": " Amoxicilline ", "dosage": "1 g", "quantity": 2}]})
    assert body.summary == "Tension 150/95.\nRevoir dans un mois."
    assert body.prescriptions[0].name == "Amoxicilline"
    with pytest.raises(ValidationError):
        ConsultationIn.model_validate({"summary": " \n "})
    with pytest.raises(ValidationError):
        ConsultationIn.model_validate({"summary": "ok\x07"})
    with pytest.raises(ValidationError):
        ConsultationIn.model_validate({"summary": "ok", "prescriptions": [
            {"name": "x", "dosage": "1", "quantity": 1}] * 31})


# --- the draft and its publication ------------------------------------------------------------


@pytest.mark.db
async def test_names_come_from_the_catalogue_and_an_unknown_drug_is_refused(
    sessions: SessionMaker, patient: TestUser, doctor: TestUser
) -> None:
    consultation_id, _ = await draft(sessions, patient, doctor, items=[
        item(AMLOR_5, name="typed by the doctor"), item(name="Kinkeliba", frequency="le soir")])
    async with sessions() as session:
        items = (await session.scalars(select(PrescriptionItem).where(
            PrescriptionItem.consultation_id == consultation_id)
            .order_by(PrescriptionItem.position))).all()
    assert [(i.drug_id, i.name, i.status) for i in items] == [
        (AMLOR_5, "AMLOR 5 mg, gélule", "open"), (None, "Kinkeliba", "open")]
    assert {i.patient_id for i in items} == {patient.id}

    with pytest.raises(UnknownDrugs) as refused:
        await draft(sessions, patient, doctor,
                    items=[item(DOLIPRANE_1000), item("99999999"), item("12345678")])
    assert refused.value.positions == [1, 2]


@pytest.mark.db
async def test_a_draft_is_rewritten_until_published_then_never(
    sessions: SessionMaker, patient: TestUser, doctor: TestUser, settings: Settings
) -> None:
    consultation_id, source_id = await draft(sessions, patient, doctor,
                                             items=[item(name="A"), item(name="B")])
    again, _ = await draft(sessions, patient, doctor, source_id=source_id,
                           summary="Corrigé.", items=[item(name="C")])
    assert again == consultation_id
    activities = ConsultationActivities(sessions)
    first = await activities.publish_consultation(
        PublishConsultation(consultation_id=consultation_id, source_id=source_id))
    assert not first.already_published and len(first.prescription_item_ids) == 1
    replay = await activities.publish_consultation(
        PublishConsultation(consultation_id=consultation_id, source_id=source_id))
    assert replay.already_published and replay.published_at == first.published_at
    assert replay.prescription_item_ids == first.prescription_item_ids

    with pytest.raises(ConsultationAlreadyPublished):
        await draft(sessions, patient, doctor, source_id=source_id, summary="Changed.")
    async with sessions() as session:
        row = await session.scalar(select(Consultation).where(Consultation.id == consultation_id))
        assert row is not None and row.summary == "Corrigé."
        names = (await session.scalars(select(PrescriptionItem.name).where(
            PrescriptionItem.consultation_id == consultation_id))).all()
        assert names == ["C"]


@pytest.mark.db
async def test_a_process_publishes_only_its_own_draft(
    sessions: SessionMaker, patient: TestUser, doctor: TestUser
) -> None:
    from temporalio.exceptions import ApplicationError

    consultation_id, _ = await draft(sessions, patient, doctor)
    with pytest.raises(ApplicationError) as refused:
        await ConsultationActivities(sessions).publish_consultation(
            PublishConsultation(consultation_id=consultation_id, source_id="another-process"))
    assert refused.value.non_retryable and refused.value.type == "NotFound"
    async with sessions() as session:
        row = await session.get(Consultation, consultation_id)
        assert row is not None and row.published_at is None


@pytest.mark.db
async def test_the_same_draft_written_twice_at_once_is_one_consultation(
    sessions: SessionMaker, patient: TestUser, doctor: TestUser
) -> None:
    source_id = "appointment-raced"

    async def write(summary: str) -> str:
        async with sessions() as session, session.begin():
            return await write_draft(
                session, source=ConsultationSource.appointment, source_id=source_id,
                kind=ConsultationKind.office, patient_id=patient.id, doctor_id=doctor.id,
                occurred_at=utcnow(), body=ConsultationIn(
                    summary=summary, prescriptions=[item(name=summary)]))

    ids = await asyncio.gather(*(write(f"Version {n}") for n in range(5)))
    assert len(set(ids)) == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Consultation)) == 1
        assert await session.scalar(select(func.count()).select_from(PrescriptionItem)) == 1


# --- what people read -------------------------------------------------------------------------

@pytest.mark.db
async def test_the_patient_reads_prescriptions_grouped_newest_first(
    client: httpx.AsyncClient, sessions: SessionMaker, patient: TestUser, doctor: TestUser
) -> None:
    now = utcnow()
    older = await consultation(sessions, patient, doctor, occurred_at=now - timedelta(days=9),
                               items=[item(AMLOR_5, frequency="le matin", duration_days=30)])
    newer = await consultation(sessions, patient, doctor, occurred_at=now - timedelta(days=1),
                               kind=ConsultationKind.teleconsultation,
                               items=[item(DOLIPRANE_1000, quantity=2), item(name="Repos")])
    await consultation(sessions, patient, doctor, occurred_at=now - timedelta(days=5))  # none
    await draft(sessions, patient, doctor, items=[item(name="unpublished")])  # not shown

    response = await client.get("/api/v1/me/prescriptions", headers=patient.headers)
    assert response.status_code == 200, response.text
    groups = response.json()["items"]
    assert [g["consultation_id"] for g in groups] == [newer, older]
    assert groups[0]["kind"] == "teleconsultation"
    assert groups[0]["doctor"]["id"] == doctor.id and groups[0]["doctor"]["specialty"]
    assert [(i["name"], i["quantity"], i["status"]) for i in groups[0]["items"]] == [
        ("DOLIPRANE 1000 mg, comprimé", 2, "open"), ("Repos", 1, "open")]
    assert groups[1]["items"][0] | {"id": None} == {
        "id": None, "drug_id": AMLOR_5, "name": "AMLOR 5 mg, gélule", "dosage": "1 comprimé",
        "frequency": "le matin", "duration_days": 30, "quantity": 1, "status": "open"}

    # Pages of one: the same two, in the same order, then the end.
    first = (await client.get("/api/v1/me/prescriptions?limit=1",
                              headers=patient.headers)).json()
    second = (await client.get("/api/v1/me/prescriptions", params={
        "limit": 1, "cursor": first["next_cursor"]}, headers=patient.headers)).json()
    assert [g["consultation_id"] for g in first["items"] + second["items"]] == [newer, older]
    assert second["next_cursor"] is None

    # The items still open for a pharmacy: one moves to requested, the filter drops it.
    async with sessions() as session, session.begin():
        await session.execute(update(PrescriptionItem).where(
            PrescriptionItem.consultation_id == older).values(status="requested"))
    open_only = (await client.get("/api/v1/me/prescriptions?status=open",
                                  headers=patient.headers)).json()["items"]
    assert [g["consultation_id"] for g in open_only] == [newer]
    requested = (await client.get("/api/v1/me/prescriptions?status=requested",
                                  headers=patient.headers)).json()["items"]
    assert [i["status"] for g in requested for i in g["items"]] == ["requested"]


@pytest.mark.db
async def test_the_patient_lists_and_reads_consultations(
    client: httpx.AsyncClient, sessions: SessionMaker, patient: TestUser, doctor: TestUser
) -> None:
    now = utcnow()
    ids = [await consultation(sessions, patient, doctor, summary=f"Visite {n}",
                              occurred_at=now - timedelta(days=10 - n)) for n in range(3)]
    await draft(sessions, patient, doctor)
    listed = (await client.get("/api/v1/me/consultations", headers=patient.headers)).json()
    assert [c["id"] for c in listed["items"]] == ids[::-1]
    assert listed["items"][0]["summary"] == "Visite 2"
    one = await client.get(f"/api/v1/consultations/{ids[0]}", headers=patient.headers)
    assert one.status_code == 200
    body = one.json()
    assert body["kind"] == "office" and body["source"] == "appointment"
    assert body["patient"]["id"] == patient.id and body["doctor"]["id"] == doctor.id
    assert body["published_at"] and body["prescriptions"] == []


@pytest.mark.db
async def test_who_may_read_a_consultation(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings, patient: TestUser,
    doctor: TestUser
) -> None:
    consultation_id = await consultation(sessions, patient, doctor, items=[item(name="X")])
    draft_id, _ = await draft(sessions, patient, doctor)
    path = f"/api/v1/consultations/{consultation_id}"

    read = await client.get(path, headers=doctor.headers)
    assert read.status_code == 200 and read.json()["id"] == consultation_id

    others = [await make_user(sessions, settings, Role.patient),
              await make_user(sessions, settings, Role.doctor),
              await make_user(sessions, settings, Role.pharmacist),
              await make_user(sessions, settings, Role.admin)]
    for other in others:
        response = await client.get(path, headers=other.headers)
        assert response.status_code == 404, other.role
        assert response.headers["content-type"] == "application/problem+json"
        listed = await client.get("/api/v1/me/consultations", headers=other.headers)
        if other.role == Role.patient:
            assert listed.json()["items"] == []
        else:
            assert listed.status_code == 403
    # A draft is nobody's yet, not even its patient's.
    assert (await client.get(f"/api/v1/consultations/{draft_id}",
                             headers=patient.headers)).status_code == 404
    for path_ in ("/api/v1/me/prescriptions", "/api/v1/me/consultations"):
        assert (await client.get(path_, headers=doctor.headers)).status_code == 403
        assert (await client.get(path_)).status_code == 401
    assert (await client.get("/api/v1/me/prescriptions?status=gone",
                             headers=patient.headers)).status_code == 422
    assert (await client.get("/api/v1/me/prescriptions?cursor=nonsense",
                             headers=patient.headers)).status_code == 422

    async with sessions() as session:
        audit = (await session.scalars(select(AuditEntry).where(
            AuditEntry.resource == f"consultation/{consultation_id}")
            .order_by(AuditEntry.at))).all()
    assert [(a.actor_id, a.outcome) for a in audit] == [
        (doctor.id, "allowed"), *[(o.id, "denied") for o in others]]
    assert {a.subject_id for a in audit} == {patient.id}
    # The patient's own reads are not audited (nobody else read anything).
    await client.get(path, headers=patient.headers)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.actor_id == patient.id)) == 0
