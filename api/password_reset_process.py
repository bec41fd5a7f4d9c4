"""Starting and updating the password reset process (`password-reset-<reset id>`)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle
from temporalio.common import TypedSearchAttributes, WorkflowIDConflictPolicy

from api.account_processes import commit_then_start, owner_attributes
from core.settings import Settings
from db.engine import SessionMaker
from db.models import PasswordReset, User
from domain.accounts import AccountStatus
from domain.ids import password_reset_workflow_id
from domain.password_resets import (
    PasswordResetInput,
    PasswordResetState,
    PasswordResetStatus,
    PasswordResetTimings,
    RedeemPasswordReset,
)
from workflows.password_reset import PasswordResetWorkflow

log = logging.getLogger(__name__)


async def _start(client: Client, settings: Settings, user: User,
                 reset: PasswordReset) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        PasswordResetWorkflow.run,
        PasswordResetInput(reset_id=reset.id, user_id=user.id, timings=PasswordResetTimings(
            expires_after=settings.durations.password_reset_expires_after)),
        id=password_reset_workflow_id(reset.id),
        task_queue=settings.temporal.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"Password reset link for {user.role} {user.esame_id}",
        search_attributes=TypedSearchAttributes(owner_attributes(user)),
    )


async def start_password_reset(sessions: SessionMaker, client: Client, settings: Settings,
                               email: str) -> None:
    """Send a reset link if the address has an account; nothing otherwise. Run after the
    answer (a background task), so that the answer is the same, and as fast, either way;
    a failure is logged (the person asks again)."""
    try:
        async with sessions() as session:
            user = await session.scalar(select(User).where(User.email == email))
            if user is None or user.status == AccountStatus.expired:
                return
            reset = PasswordReset(user_id=user.id, status=PasswordResetStatus.pending.value)
            session.add(reset)
            await commit_then_start(session, lambda: _start(client, settings, user, reset), reset)
    except Exception:
        log.exception("a password reset could not be started")


async def redeem_password_reset(client: Client, reset_id: str,
                                attempt_id: str) -> PasswordResetState:
    """Use the link: the process applies the password hash of this attempt's row."""
    handle = client.get_workflow_handle(password_reset_workflow_id(reset_id))
    state = await handle.execute_update(PasswordResetWorkflow.redeem,
                                        RedeemPasswordReset(attempt_id=attempt_id))
    assert isinstance(state, PasswordResetState)
    return state
