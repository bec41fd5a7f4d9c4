"""Starting the account processes: workflow ids, durations from settings, summaries and
search attributes, so the API's routes (and the benchmark) start them one way."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import delete, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.problems import Problem
from core.settings import Settings
from db.models import CareLink, Invitation, User
from domain.accounts import (
    AccountExistsNoticeInput,
    AccountStatus,
    AccountTimings,
    AccountValidationInput,
    CareLinkStatus,
    DoctorLinkInput,
    DoctorLinkState,
    DoctorLinkTimings,
    InvitationInput,
    InvitationStatus,
    InvitationTimings,
    RemoveDoctor,
    Role,
)
from domain.ids import account_workflow_id, doctor_link_workflow_id, invitation_workflow_id
from workflows.account_exists import AccountExistsNoticeWorkflow
from workflows.account_validation import AccountValidationWorkflow
from workflows.common import ESAME_DOCTOR_ID, ESAME_PATIENT_ID, ESAME_PHARMACY_ID, ESAME_STATUS
from workflows.doctor_link import DoctorLinkWorkflow
from workflows.invitation import InvitationWorkflow


def account_timings(settings: Settings) -> AccountTimings:
    d = settings.durations
    return AccountTimings(
        validation_reminder_after=d.validation_reminder_after,
        validation_expires_after=d.validation_expires_after,
        profile_reminder_after=d.profile_reminder_after,
        verification_code_ttl=d.verification_code_ttl,
        verification_max_attempts=settings.limits.verification_max_attempts,
        registration_commit_timeout=d.registration_commit_timeout,
    )


def owner_attributes(user: User) -> list[SearchAttributePair[str]]:
    """Who a run is about, for the Temporal UI: a patient, a doctor, or a pharmacy."""
    if user.role == Role.doctor:
        return [SearchAttributePair(ESAME_DOCTOR_ID, user.id)]
    if user.role == Role.pharmacist and user.pharmacy_id:
        return [SearchAttributePair(ESAME_PHARMACY_ID, user.pharmacy_id)]
    return [SearchAttributePair(ESAME_PATIENT_ID, user.id)]


async def commit_then_start(
    session: AsyncSession, start: Callable[[], Awaitable[object]], *rows: object
) -> None:
    """Create rows together with their process, whole or not at all: commit the rows (so no
    write lock is held while Temporal answers, and the process finds them at once), start
    the process, and if the start fails delete the rows again and answer 503."""
    await session.commit()
    try:
        await start()
    except Exception as err:
        for row in rows:  # children first: the caller lists them in that order
            state = inspect(row)
            mapper = state.mapper
            await session.execute(delete(mapper).where(
                *(column == value for column, value in zip(mapper.primary_key, state.identity,
                                                           strict=True))))
        await session.commit()
        raise Problem(503, "This cannot be done right now; try again.") from err


async def start_account_validation(
    client: Client, settings: Settings, user: User
) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        AccountValidationWorkflow.run,
        AccountValidationInput(user_id=user.id, timings=account_timings(settings)),
        id=account_workflow_id(user.id),
        task_queue=settings.temporal.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"Account validation of {user.role} {user.esame_id}",
        search_attributes=TypedSearchAttributes([
            *owner_attributes(user),
            SearchAttributePair(ESAME_STATUS, AccountStatus.pending_email_validation.value),
        ]),
    )


def account_handle(client: Client, user_id: str) -> WorkflowHandle[Any, Any]:
    return client.get_workflow_handle(account_workflow_id(user_id))


async def notify_account_exists(client: Client, settings: Settings, user: User,
                                today: date) -> None:
    """Tell the owner of a taken address, once a day at most (one workflow id per day)."""
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            AccountExistsNoticeWorkflow.run,
            AccountExistsNoticeInput(user_id=user.id, day=today),
            id=f"account-exists-{user.id}-{today.isoformat()}",
            task_queue=settings.temporal.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"Registration attempt with the address of {user.esame_id}",
        )


async def start_invitation(
    client: Client, settings: Settings, invitation: Invitation
) -> WorkflowHandle[Any, Any]:
    d = settings.durations
    return await client.start_workflow(
        InvitationWorkflow.run,
        InvitationInput(
            invitation_id=invitation.id, inviter_id=invitation.inviter_id,
            timings=InvitationTimings(reminder_after=d.invitation_reminder_after,
                                      expires_after=d.invitation_expires_after),
        ),
        id=invitation_workflow_id(invitation.id),
        task_queue=settings.temporal.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"Invitation of a friend by user {invitation.inviter_id}",
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(ESAME_STATUS, InvitationStatus.pending.value),
        ]),
    )


def _doctor_link_input(settings: Settings, link: CareLink, *,
                       already_active: bool = False) -> DoctorLinkInput:
    d = settings.durations
    return DoctorLinkInput(
        link_id=link.id, patient_id=link.patient_id, doctor_id=link.doctor_id,
        timings=DoctorLinkTimings(reminder_after=d.doctor_invitation_reminder_after,
                                  expires_after=d.doctor_invitation_expires_after),
        already_active=already_active,
    )


def _doctor_link_attributes(link: CareLink, status: CareLinkStatus) -> TypedSearchAttributes:
    return TypedSearchAttributes([
        SearchAttributePair(ESAME_PATIENT_ID, link.patient_id),
        SearchAttributePair(ESAME_DOCTOR_ID, link.doctor_id),
        SearchAttributePair(ESAME_STATUS, status.value),
    ])


async def start_doctor_link(
    client: Client, settings: Settings, link: CareLink
) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        DoctorLinkWorkflow.run,
        _doctor_link_input(settings, link),
        id=doctor_link_workflow_id(link.id),
        task_queue=settings.temporal.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # A link's process runs once: asked again after it ended, nothing starts.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary="A patient asks a doctor to be one of their doctors",
        search_attributes=_doctor_link_attributes(link, CareLinkStatus.pending),
    )


async def remove_doctor_link(client: Client, settings: Settings, link: CareLink) -> CareLinkStatus:
    """The patient takes the doctor out of their list through the link's process (the
    `remove` Update), which ends the link and every share with the doctor. A link accepted
    before links stayed open has no open run any more: update-with-start gives it one,
    already active, that takes the removal at once; an open run takes it itself."""
    start = WithStartWorkflowOperation(
        DoctorLinkWorkflow.run,
        _doctor_link_input(settings, link, already_active=True),
        id=doctor_link_workflow_id(link.id),
        task_queue=settings.temporal.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary="A patient removes one of their doctors (a link accepted earlier)",
        search_attributes=_doctor_link_attributes(link, CareLinkStatus.active),
    )
    state = await client.execute_update_with_start_workflow(
        DoctorLinkWorkflow.remove, RemoveDoctor(patient_id=link.patient_id),
        start_workflow_operation=start)
    assert isinstance(state, DoctorLinkState)
    return state.status


async def heal_doctor_link(client: Client, settings: Settings, link: CareLink) -> None:
    """Start the process of a pending link that has none (the API died between its commit
    and the start); a no-op for the running one, and for one that just ended."""
    try:
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await start_doctor_link(client, settings, link)
    except Exception as err:
        raise Problem(503, "This cannot be done right now; try again.") from err


def doctor_link_handle(client: Client, link_id: str) -> WorkflowHandle[Any, Any]:
    return client.get_workflow_handle(doctor_link_workflow_id(link_id))
