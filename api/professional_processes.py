"""Starting a professional's verification and telling it an admin's decision: workflow id,
timings from settings, summary and search attributes, in one place."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from core.settings import Settings
from db.models import User
from domain.accounts import Role
from domain.professionals import (
    ProfessionalVerificationInput,
    VerificationDecision,
    VerificationState,
    VerificationTimings,
    professional_verification_workflow_id,
)
from workflows.common import ESAME_DOCTOR_ID, ESAME_PHARMACY_ID, ESAME_STATUS
from workflows.professional_verification import ProfessionalVerificationWorkflow


def _start_options(settings: Settings, user: User) -> dict[str, Any]:
    owner = ([SearchAttributePair(ESAME_DOCTOR_ID, user.id)] if user.role == Role.doctor
             else [SearchAttributePair(ESAME_PHARMACY_ID, user.pharmacy_id)]
             if user.pharmacy_id else [])
    return {
        "id": professional_verification_workflow_id(user.id),
        "task_queue": settings.temporal.task_queue,
        "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
        # One check per professional: a decided one is never run again.
        "id_reuse_policy": WorkflowIDReusePolicy.REJECT_DUPLICATE,
        "static_summary": f"Licence verification of {user.role} {user.esame_id}",
        "search_attributes": TypedSearchAttributes([
            *owner, SearchAttributePair(ESAME_STATUS, "professional_verification_pending")]),
    }


def _input(settings: Settings, user: User) -> ProfessionalVerificationInput:
    d = settings.durations
    return ProfessionalVerificationInput(
        user_id=user.id, role=Role(user.role),
        timings=VerificationTimings(
            admin_reminder_after=d.professional_verification_reminder_after,
            registration_commit_timeout=d.registration_commit_timeout))


async def start_professional_verification(
    client: Client, settings: Settings, user: User
) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        ProfessionalVerificationWorkflow.run, _input(settings, user),
        **_start_options(settings, user))


async def decide_verification(
    client: Client, settings: Settings, professional: User, update: str,
    decision: VerificationDecision,
) -> VerificationState:
    """Tell the process an admin's decision (`approve` or `refuse`), starting it first
    should it not run (registered before verifications existed, or its start failed)."""
    start = WithStartWorkflowOperation(
        ProfessionalVerificationWorkflow.run, _input(settings, professional),
        **_start_options(settings, professional))
    state: VerificationState = await client.execute_update_with_start_workflow(
        update, decision, start_workflow_operation=start, result_type=VerificationState)
    return state
