"""An accepted doctor link on the time-skipping server: it outlives every timer of the
request and ends only when the patient removes the doctor (real activities, test database)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.care_links import CareLinkActivities
from activities.messaging import MessagingActivities
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import CareLink, Document, DocumentShare, VitalShare, VitalShareType
from domain.accounts import DoctorDecision, DoctorLinkState, EndCareLink, RemoveDoctor, Role
from tests.support.doctor_links import ask_a_doctor
from tests.support.users import TestUser, make_user
from workers.main import WorkerDeps

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("accepted_template")]


async def _shares(sessions: SessionMaker, patient: TestUser, doctor: TestUser) -> None:
    async with sessions() as session, session.begin():
        document = Document(owner_id=patient.id, type="other", filename="a.pdf",
                            content_type="application/pdf", size=1, sha256="0" * 64,
                            storage_key=f"documents/{patient.id}/{utcnow().timestamp()}")
        session.add(document)
        await session.flush()
        session.add(DocumentShare(document_id=document.id, doctor_id=doctor.id))
        share = VitalShare(patient_id=patient.id, doctor_id=doctor.id, created_at=utcnow(),
                           updated_at=utcnow())
        session.add(share)
        await session.flush()
        session.add(VitalShareType(share_id=share.id, type="weight"))


async def _count(sessions: SessionMaker, model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_an_accepted_link_stays_until_the_patient_removes_the_doctor(
    env: WorkflowEnvironment, settings: Settings, sessions: SessionMaker
) -> None:
    link, patient, doctor, handle = await ask_a_doctor(env.client, sessions, settings)
    state = await handle.execute_update("accept", DoctorDecision(doctor_id=doctor.id),
                                        result_type=DoctorLinkState)
    assert state.status == "active"
    await _shares(sessions, patient, doctor)

    # Past the request's reminder and expiry, and a year on: still the patient's doctor.
    await env.sleep(settings.durations.doctor_invitation_expires_after + timedelta(days=365))
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    async with sessions() as session:
        stored = await session.get(CareLink, link.id)
        assert stored is not None and stored.status == "active"

    with pytest.raises(WorkflowUpdateFailedError):  # someone else's link
        await handle.execute_update("remove", RemoveDoctor(patient_id=doctor.id),
                                    result_type=DoctorLinkState)
    removed = await handle.execute_update("remove", RemoveDoctor(patient_id=patient.id),
                                          result_type=DoctorLinkState)
    assert removed.status == "removed"
    assert DoctorLinkState.model_validate(await handle.result()).status == "removed"
    assert (await _count(sessions, DocumentShare), await _count(sessions, VitalShare),
            await _count(sessions, VitalShareType)) == (0, 0, 0)
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):  # closed
        await handle.execute_update("remove", RemoveDoctor(patient_id=patient.id),
                                    result_type=DoctorLinkState)


async def test_ending_a_link_again_changes_nothing(
    settings: Settings, sessions: SessionMaker
) -> None:
    """The activity replayed after a worker died: the link stays removed, nothing else goes."""
    doctor = await make_user(sessions, settings, Role.doctor)
    patient = await make_user(sessions, settings, Role.patient)
    link = CareLink(patient_id=patient.id, doctor_id=doctor.id, status="active",
                    created_at=utcnow())
    async with sessions() as session, session.begin():
        session.add(link)
    await _shares(sessions, patient, doctor)
    deps = WorkerDeps.from_settings(settings, sessions)
    care_links = CareLinkActivities(settings, sessions,
                                    MessagingActivities(sessions, deps.email, deps.sms))
    assert (await care_links.end_care_link(EndCareLink(link_id=link.id))).changed
    await _shares(sessions, patient, doctor)  # shared again by mistake after the end
    assert not (await care_links.end_care_link(EndCareLink(link_id=link.id))).changed
    assert await _count(sessions, DocumentShare) == 0
    async with sessions() as session:
        stored = await session.get(CareLink, link.id)
        assert stored is not None and stored.status == "removed" and stored.decided_at
