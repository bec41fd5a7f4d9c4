"""ProfessionalVerificationWorkflow on the time-skipping server: the admins reminded while
nobody decides, the check ended when the account expired, a decision after reminders."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from temporalio.testing import WorkflowEnvironment

from api.professional_processes import decide_verification, start_professional_verification
from core.settings import Settings
from db.engine import SessionMaker
from db.models import Message, User
from domain.accounts import AccountStatus, Role, VerificationStatus
from domain.professionals import VerificationDecision, VerificationOutcome
from tests.accounts.test_workflows_time_skipping import MARGIN, _messages
from tests.support.users import make_user

pytestmark = pytest.mark.db


async def _user(sessions: SessionMaker, user_id: str) -> User:
    async with sessions() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user


async def test_the_admins_are_reminded_until_one_decides(
    env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings,
) -> None:
    admins = [await make_user(sessions, settings, Role.admin) for _ in range(2)]
    made = await make_user(sessions, settings, Role.doctor, verification=VerificationStatus.pending)
    doctor = await _user(sessions, made.id)
    handle = await start_professional_verification(env.client, settings, doctor)
    every = settings.durations.professional_verification_reminder_after

    await env.sleep(every - MARGIN)
    assert await _messages(sessions, admins[0].email, "professional_verification_reminder",
                           count=0) == []
    for reminders in (1, 2):
        await env.sleep(every if reminders > 1 else 2 * MARGIN)
        for admin in admins:
            sent = await _messages(sessions, admin.email, "professional_verification_reminder",
                                   count=reminders)
            assert len(sent) == reminders
            assert sent[-1].data["professionals_url"] == (
                settings.web_links.admin_professionals())
            assert sent[-1].data["professional_name"] == f"{doctor.first_name} {doctor.last_name}"

    state = await decide_verification(env.client, settings, doctor, "approve",
                                      VerificationDecision(admin_id=admins[0].id))
    assert state.status is VerificationStatus.verified
    outcome = await handle.result()
    assert VerificationOutcome.model_validate(outcome).status is VerificationStatus.verified
    (told,) = await _messages(sessions, made.email, "professional_verified")
    assert told.data["sign_in_url"] == settings.web_links.sign_in()


async def test_the_check_ends_when_the_account_expires_unvalidated(
    env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings,
) -> None:
    await make_user(sessions, settings, Role.admin)
    made = await make_user(sessions, settings, Role.pharmacist,
                           status=AccountStatus.pending_email_validation,
                           verification=VerificationStatus.pending)
    handle = await start_professional_verification(env.client, settings,
                                                   await _user(sessions, made.id))
    async with sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == made.id).values(
            status=AccountStatus.expired.value, email=None, expired_email=made.email))
    await env.sleep(settings.durations.professional_verification_reminder_after + MARGIN)
    outcome = VerificationOutcome.model_validate(await handle.result())
    assert outcome.account_closed and outcome.status is VerificationStatus.pending
    async with sessions() as session:
        reminders = (await session.scalars(select(Message).where(
            Message.template == "professional_verification_reminder"))).all()
    assert reminders == []
    description = await handle.describe()
    status = {p.key.name: p.value for p in description.typed_search_attributes}["EsameStatus"]
    assert status == "professional_verification_abandoned"
