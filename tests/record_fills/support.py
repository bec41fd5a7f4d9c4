"""Helpers of the record fill tests: a paying patient and their doctor, asking, paying."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from core.settings import Settings
from db.engine import SessionMaker
from db.models import AuditEntry, CareLink
from domain.accounts import Role
from tests.payments.support import checkout, eventually, paying_patient, payment_fields
from tests.support.users import TestUser, make_user

ANTECEDENT = {"category": "medical", "description": "Hypertension artérielle depuis 2019"}


@dataclass
class Pair:
    patient: TestUser
    doctor: TestUser
    address: str


async def patient_and_doctor(sessions: SessionMaker, settings: Settings,
                             api: httpx.AsyncClient, currency: str = "XAF", *,
                             invited: bool = False) -> Pair:
    """A paying patient and a verified doctor who is one of their active doctors: the care
    link written as accepting leaves it, or (`invited`) invited and accepted through the
    API, its process running (so that the doctor can be removed as a patient does)."""
    patient, address = await paying_patient(sessions, settings, api, currency=currency)
    doctor = await make_user(sessions, settings, Role.doctor)
    if invited:
        asked = await api.post("/api/v1/me/doctors", json={"doctor_id": doctor.id},
                               headers=patient.headers)
        assert asked.status_code == 202, asked.text
        accepted = await api.post(f"/api/v1/doctor/invitations/{asked.json()['id']}/accept",
                                  headers=doctor.headers)
        assert accepted.status_code == 200, accepted.text
    else:
        async with sessions() as session, session.begin():
            session.add(CareLink(patient_id=patient.id, doctor_id=doctor.id, status="active"))
    return Pair(patient, doctor, address)


async def ask(api: httpx.AsyncClient, pair: Pair, **extra: Any) -> httpx.Response:
    return await api.post("/api/v1/record-fill-requests", headers=pair.patient.headers,
                          json={"doctor_id": pair.doctor.id, **payment_fields(pair.address),
                                **extra})


async def fill_status(api: httpx.AsyncClient, user: TestUser, fill_id: str) -> str:
    found = await api.get(f"/api/v1/record-fill-requests/{fill_id}", headers=user.headers)
    assert found.status_code == 200, found.text
    return str(found.json()["status"])


async def pay(api: httpx.AsyncClient, pair: Pair, fill: dict[str, Any]) -> dict[str, Any]:
    """The patient pays the fill at the sandbox; the fill once in progress."""
    await checkout(api, fill["payment"], "succeed")

    async def in_progress() -> bool:
        return await fill_status(api, pair.patient, fill["id"]) == "in_progress"

    await eventually(in_progress)
    found = await api.get(f"/api/v1/record-fill-requests/{fill['id']}",
                          headers=pair.patient.headers)
    paid: dict[str, Any] = found.json()
    return paid


async def paid_fill(api: httpx.AsyncClient, pair: Pair, **extra: Any) -> dict[str, Any]:
    """A fill asked for and paid at the sandbox, once in progress."""
    created = await ask(api, pair, **extra)
    assert created.status_code == 201, created.text
    return await pay(api, pair, created.json())


async def audit_of(sessions: SessionMaker, actor: TestUser) -> list[tuple[str, str, str]]:
    """(action, outcome, detail) of the actor's audit entries, oldest first."""
    async with sessions() as session:
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.actor_id == actor.id)
                                     .order_by(AuditEntry.at, AuditEntry.id))
        return [(r.action, r.outcome, r.detail or "") for r in rows]
