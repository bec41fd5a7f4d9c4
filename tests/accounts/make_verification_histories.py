"""Record the histories of ProfessionalVerificationWorkflow the replay tests check:
`uv run python -m tests.accounts.make_verification_histories`.

Runs each path to its end on the time-skipping server, with the real activities on a
throwaway SQLite database, and writes its history under tests/accounts/histories/ as
`professional_verification_<path>.json`. Record again (and commit) only when a change is
meant to be incompatible with checks under way.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sqlalchemy import update
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.professional_processes import decide_verification, start_professional_verification
from core.settings import Settings
from db.engine import SessionMaker
from db.models import User
from domain.accounts import AccountStatus, Role, VerificationStatus
from domain.professionals import VerificationDecision
from tests.support.recording import recording_stack, save_history
from tests.support.users import make_user

BIN = Path(sys.executable).parent
HISTORIES = Path(__file__).with_name("histories")
PENDING = VerificationStatus.pending


async def _user(sessions: SessionMaker, user_id: str) -> User:
    async with sessions() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user


async def _write(client: Client, workflow_id: str, name: str) -> None:
    await save_history(client.get_workflow_handle(workflow_id),
                              HISTORIES / f"professional_verification_{name}.json")


async def _reminded_then_verified(env: WorkflowEnvironment, sessions: SessionMaker,
                                  settings: Settings, admin_id: str) -> None:
    made = await make_user(sessions, settings, Role.doctor, verification=PENDING)
    doctor = await _user(sessions, made.id)
    handle = await start_professional_verification(env.client, settings, doctor)
    await env.sleep(settings.durations.professional_verification_reminder_after * 1.5)
    await decide_verification(env.client, settings, doctor, "approve",
                              VerificationDecision(admin_id=admin_id))
    await _write(env.client, handle.id, "reminded_then_verified")


async def _refused(env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings,
                   admin_id: str) -> None:
    made = await make_user(sessions, settings, Role.pharmacist, verification=PENDING)
    pharmacist = await _user(sessions, made.id)
    handle = await start_professional_verification(env.client, settings, pharmacist)
    await decide_verification(env.client, settings, pharmacist, "refuse",
                              VerificationDecision(admin_id=admin_id, reason="unknown staff"))
    await _write(env.client, handle.id, "refused")


async def _abandoned(env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings,
                     admin_id: str) -> None:
    made = await make_user(sessions, settings, Role.doctor, verification=PENDING,
                           status=AccountStatus.pending_email_validation)
    handle = await start_professional_verification(env.client, settings,
                                                   await _user(sessions, made.id))
    async with sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == made.id).values(
            status=AccountStatus.expired.value, email=None, expired_email=made.email))
    await env.sleep(settings.durations.professional_verification_reminder_after * 1.5)
    await _write(env.client, handle.id, "abandoned")


async def main() -> None:
    async with recording_stack() as stack:
        admin = await make_user(stack.sessions, stack.settings, Role.admin)
        for record in (_reminded_then_verified, _refused, _abandoned):
            await record(stack.env, stack.sessions, stack.settings, admin.id)


if __name__ == "__main__":
    asyncio.run(main())
