"""The draft helper as a completion route uses it: bad input answered as problems, nothing
written; a published consultation is a 409."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from api.app import create_app
from api.consultation_drafts import write_consultation_draft
from api.deps import ActiveDoctor, SessionDep
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import Consultation, PrescriptionItem
from db.queries.consultations import publish
from domain.consultations import ConsultationIn, ConsultationKind, ConsultationSource
from tests.care.conftest import AMLOR_5
from tests.support.users import TestUser

pytestmark = pytest.mark.db


@pytest.fixture
async def completing(settings: Settings, sessions: SessionMaker,
                     patient: TestUser) -> AsyncIterator[httpx.AsyncClient]:
    """A route shaped like `POST /doctor/appointments/{id}/complete`."""
    app: FastAPI = create_app(settings, sessions=sessions)

    @app.post("/test/appointments/{appointment_id}/complete")
    async def complete(appointment_id: str, body: ConsultationIn, doctor: ActiveDoctor,
                       session: SessionDep) -> dict[str, str]:
        consultation_id = await write_consultation_draft(
            session, source=ConsultationSource.appointment, source_id=appointment_id,
            kind=ConsultationKind.office, patient_id=patient.id, doctor_id=doctor.id,
            occurred_at=utcnow(), body=body)
        await session.commit()
        return {"consultation_id": consultation_id}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _rows(sessions: SessionMaker) -> tuple[int, int]:
    async with sessions() as session:
        return (int(await session.scalar(select(func.count()).select_from(Consultation)) or 0),
                int(await session.scalar(select(func.count()).select_from(PrescriptionItem))
                    or 0))


async def test_bad_input_is_a_clear_problem_and_writes_nothing(
    completing: httpx.AsyncClient, sessions: SessionMaker, doctor: TestUser
) -> None:
    path = "/test/appointments/a1/complete"
    cases = [
        ({"summary": ""}, "summary"),
        ({"summary": "ok\x1b[31m"}, "summary"),
        ({"summary": "ok", "prescriptions": [{"dosage": "1", "quantity": 1}]}, "prescriptions.0"),
        ({"summary": "ok", "prescriptions": [{"name": "A", "dosage": "1", "quantity": -3}]},
         "prescriptions.0.quantity"),
        ({"summary": "ok", "prescriptions": "aspirin"}, "prescriptions"),
    ]
    for body, field in cases:
        response = await completing.post(path, json=body, headers=doctor.headers)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert any(e["field"] == field for e in response.json()["errors"]), response.json()
    unknown = await completing.post(path, headers=doctor.headers, json={
        "summary": "ok", "prescriptions": [
            {"drug_id": AMLOR_5, "dosage": "1", "quantity": 1},
            {"drug_id": "99999999", "dosage": "1", "quantity": 1}]})
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"field": "prescriptions.1.drug_id",
                                         "message": "unknown drug", "type": "not_found"}]
    assert await _rows(sessions) == (0, 0)


async def test_rewritten_until_published_then_409(
    completing: httpx.AsyncClient, sessions: SessionMaker, doctor: TestUser
) -> None:
    path = "/test/appointments/a2/complete"
    body = {"summary": "ok", "prescriptions": [{"drug_id": AMLOR_5, "dosage": "1",
                                                "quantity": 1}]}
    first = await completing.post(path, json=body, headers=doctor.headers)
    again = await completing.post(path, json={**body, "summary": "better"},
                                  headers=doctor.headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    async with sessions() as session, session.begin():
        await publish(session, first.json()["consultation_id"], "a2")
    late = await completing.post(path, json=body, headers=doctor.headers)
    assert late.status_code == 409
    assert await _rows(sessions) == (1, 1)
