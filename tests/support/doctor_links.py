"""A patient's request to a doctor, as the API makes it: the link's row, then its process."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle

from api.account_processes import start_doctor_link
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import CareLink
from domain.accounts import Role
from tests.support.users import TestUser, make_user


async def ask_a_doctor(
    client: Client, sessions: SessionMaker, settings: Settings
) -> tuple[CareLink, TestUser, TestUser, WorkflowHandle[Any, Any]]:
    """A new patient asks a new doctor: (link, patient, doctor, the link's run)."""
    doctor = await make_user(sessions, settings, Role.doctor)
    patient = await make_user(sessions, settings, Role.patient)
    link = CareLink(patient_id=patient.id, doctor_id=doctor.id, status="pending",
                    created_at=utcnow())
    async with sessions() as session, session.begin():
        session.add(link)
    return link, patient, doctor, await start_doctor_link(client, settings, link)
