"""Runs started under the account processes' former type names (`AccountValidation`,
`AccountExistsNotice`, `Invitation`, `DoctorLink`), as the API started them before every
type became `<Process>Workflow`, are served by today's worker and driven by today's API to
their end. (That their recorded histories replay is tests/accounts/test_replay.py.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from api.account_processes import account_timings
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import CareLink, Invitation
from domain.accounts import (
    AccountExistsNoticeInput,
    AccountStatus,
    AccountValidationInput,
    DoctorLinkInput,
    DoctorLinkTimings,
    InvitationInput,
    InvitationTimings,
    Role,
)
from domain.ids import account_workflow_id, doctor_link_workflow_id, invitation_workflow_id
from tests.accounts.flows import PROFILE, delivered, latest_code, token_of
from tests.support.users import make_user
from workers.main import workflows

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("worker")]


def test_the_worker_serves_the_former_names_beside_the_new_ones() -> None:
    from temporalio.workflow import _Definition

    names = {_Definition.must_from_class(w).name for w in workflows()}
    assert {"AccountValidation", "AccountExistsNotice", "Invitation", "DoctorLink"} <= names
    assert {"AccountValidationWorkflow", "AccountExistsNoticeWorkflow", "InvitationWorkflow",
            "DoctorLinkWorkflow"} <= names
    # Every type but those four is named `<Process>Workflow`.
    assert {n for n in names if n and not n.endswith("Workflow")} == {
        "AccountValidation", "AccountExistsNotice", "Invitation", "DoctorLink"}


async def _start_former(env: WorkflowEnvironment, settings: Settings, name: str, arg: Any,
                        workflow_id: str) -> WorkflowHandle[Any, Any]:
    handle: WorkflowHandle[Any, Any] = await env.client.start_workflow(
        name, arg, id=workflow_id, task_queue=settings.temporal.task_queue)
    return handle


async def test_a_doctor_link_started_as_doctor_link_is_accepted_then_removed(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    temporal_env: WorkflowEnvironment,
) -> None:
    doctor = await make_user(sessions, e2e_settings, Role.doctor)
    patient = await make_user(sessions, e2e_settings, Role.patient)
    link = CareLink(patient_id=patient.id, doctor_id=doctor.id, status="pending",
                    created_at=utcnow())
    async with sessions() as session, session.begin():
        session.add(link)
    d = e2e_settings.durations
    handle = await _start_former(temporal_env, e2e_settings, "DoctorLink", DoctorLinkInput(
        link_id=link.id, patient_id=patient.id, doctor_id=doctor.id,
        timings=DoctorLinkTimings(reminder_after=d.doctor_invitation_reminder_after,
                                  expires_after=d.doctor_invitation_expires_after)),
        doctor_link_workflow_id(link.id))
    await delivered(api, doctor.email, "doctor_invitation")

    accepted = await api.post(f"/api/v1/doctor/invitations/{link.id}/accept",
                              headers=doctor.headers)
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    await delivered(api, patient.email, "doctor_invitation_accepted")
    # An accepted link's run stays open until the patient removes the doctor.
    removed = await api.delete(f"/api/v1/me/doctors/{doctor.id}", headers=patient.headers)
    assert removed.status_code == 204
    assert (await handle.result())["status"] == "removed"
    assert (await handle.describe()).workflow_type == "DoctorLink"


async def test_an_account_and_an_invitation_started_under_their_former_names_end(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    temporal_env: WorkflowEnvironment,
) -> None:
    newcomer = await make_user(sessions, e2e_settings, Role.patient,
                               status=AccountStatus.pending_email_validation)
    inviter = await make_user(sessions, e2e_settings, Role.patient)
    invitation = Invitation(inviter_id=inviter.id, email=newcomer.email, status="pending",
                            created_at=utcnow())
    async with sessions() as session, session.begin():
        session.add(invitation)
    d = e2e_settings.durations
    invited = await _start_former(temporal_env, e2e_settings, "Invitation", InvitationInput(
        invitation_id=invitation.id, inviter_id=inviter.id,
        timings=InvitationTimings(reminder_after=d.invitation_reminder_after,
                                  expires_after=d.invitation_expires_after)),
        invitation_workflow_id(invitation.id))
    account = await _start_former(
        temporal_env, e2e_settings, "AccountValidation",
        AccountValidationInput(user_id=newcomer.id, timings=account_timings(e2e_settings)),
        account_workflow_id(newcomer.id))

    # The newcomer follows the link, completes the profile, types the code and consents.
    (link,) = await delivered(api, newcomer.email, "account_validation")
    validated = await api.post("/api/v1/auth/validate-email", json={"token": token_of(link)})
    assert validated.status_code == 200, validated.text
    headers = {"Authorization": f"Bearer {validated.json()['access_token']}"}
    assert (await api.put("/api/v1/me/profile", json=PROFILE,
                          headers=headers)).status_code == 200
    code = await latest_code(api, newcomer.email)
    assert (await api.post("/api/v1/me/verification", json={"code": code},
                           headers=headers)).status_code == 200
    consent = await api.post("/api/v1/me/consent", json={"share_medical_data": True},
                             headers=headers)
    assert consent.status_code == 200 and consent.json()["status"] == "active"

    assert (await account.result())["status"] == "active"
    # The account process signalled the invitation by its id, whatever its type.
    assert (await invited.result())["status"] == "accepted"
    assert (await account.describe()).workflow_type == "AccountValidation"
    assert (await invited.describe()).workflow_type == "Invitation"


async def test_an_account_exists_notice_started_under_its_former_name_is_sent(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    temporal_env: WorkflowEnvironment,
) -> None:
    owner = await make_user(sessions, e2e_settings, Role.patient)
    today = utcnow().date()
    handle = await _start_former(temporal_env, e2e_settings, "AccountExistsNotice",
                                 AccountExistsNoticeInput(user_id=owner.id, day=today),
                                 f"account-exists-{owner.id}-{today.isoformat()}")
    await handle.result()
    await delivered(api, owner.email, "account_exists")
