"""The account processes on the time-skipping server: reminders and expiries without
waiting. Real activities on the test database; the workflows started as the API does."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from api.account_processes import (
    start_account_validation,
    start_invitation,
)
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import CareLink, Invitation, Message, User
from domain.accounts import (
    AccountState,
    AccountStatus,
    CareLinkStatus,
    GiveConsent,
    InvitationStatus,
    ProfileSaved,
    ResendCode,
    Role,
    SubmitCode,
    ValidateEmail,
)
from domain.errors import BusinessError
from domain.ids import account_workflow_id
from tests.support.doctor_links import ask_a_doctor
from tests.support.users import make_user

pytestmark = pytest.mark.db

# Time is moved on step by step (`env.sleep`), so each reminder is seen before the expiry.
MARGIN = timedelta(minutes=1)


async def _messages(sessions: SessionMaker, to: str, template: str,
                    count: int = 1) -> list[Message]:
    for _ in range(400):
        async with sessions() as session:
            found = list((await session.scalars(
                select(Message).where(Message.to == to, Message.template == template)
                .order_by(Message.created_at))).all())
        if len(found) >= count:
            return found
        await asyncio.sleep(0.025)
    return found


async def _pending_account(sessions: SessionMaker, settings: Settings,
                           client: Client) -> tuple[User, WorkflowHandle[Any, Any]]:
    made = await make_user(sessions, settings, Role.patient,
                           status=AccountStatus.pending_email_validation)
    async with sessions() as session:
        user = await session.get(User, made.id)
    assert user is not None
    return user, await start_account_validation(client, settings, user)


async def _update(client: Client, user_id: str, name: str, arg: object) -> AccountState:
    handle = client.get_workflow_handle(account_workflow_id(user_id))
    result = await handle.execute_update(name, arg, result_type=AccountState)
    assert isinstance(result, AccountState)
    return result


async def _failure_type(call: object) -> str | None:
    try:
        await call  # type: ignore[misc]
    except WorkflowUpdateFailedError as err:
        assert isinstance(err.cause, ApplicationError)
        return err.cause.type
    return None


async def test_unvalidated_account_is_reminded_then_expires_and_frees_its_email(
    env: WorkflowEnvironment, settings: Settings, sessions: SessionMaker
) -> None:
    user, handle = await _pending_account(sessions, settings, env.client)
    assert user.email
    d = settings.durations
    await _messages(sessions, user.email, "account_validation")
    await env.sleep(d.validation_reminder_after + MARGIN)
    (reminder,) = await _messages(sessions, user.email, "account_validation_reminder")
    await env.sleep(d.validation_expires_after - d.validation_reminder_after + MARGIN)
    outcome = await handle.result()
    assert outcome.status == "expired"
    assert len(await _messages(sessions, user.email, "account_validation")) == 1
    (link,) = await _messages(sessions, user.email, "account_validation")
    assert reminder.data["validation_url"] == link.data["validation_url"]
    async with sessions() as session:
        expired = await session.get(User, user.id)
        assert expired is not None
        assert expired.status == "expired"
        assert expired.email is None and expired.expired_email == user.email
        # The address is free: it can register again.
        session.add(User(esame_id="ES-AGAIN1", email=user.email, password_hash="x",
                         role="patient", status="pending_email_validation",
                         first_name="A", last_name="B"))
        await session.commit()


async def test_codes_expire_wrong_codes_lock_and_a_new_code_unlocks(
    env: WorkflowEnvironment, settings: Settings, sessions: SessionMaker
) -> None:
    client = env.client
    user, _ = await _pending_account(sessions, settings, client)
    assert user.email
    await _messages(sessions, user.email, "account_validation")
    assert (await _update(client, user.id, "validate_email", ValidateEmail())).status == \
        AccountStatus.email_validated
    reused = _update(client, user.id, "validate_email", ValidateEmail())
    assert await _failure_type(reused) == BusinessError.bad_request

    # No profile for a while: a reminder, and the account keeps waiting.
    await env.sleep(settings.durations.profile_reminder_after + timedelta(minutes=1))
    assert len(await _messages(sessions, user.email, "profile_reminder")) == 1
    state = await _update(client, user.id, "profile_saved", ProfileSaved())
    assert state.status == AccountStatus.profile_completed
    (first,) = await _messages(sessions, user.email, "verification_code")

    await env.sleep(settings.durations.verification_code_ttl + timedelta(seconds=5))
    late = _update(client, user.id, "submit_code", SubmitCode(code=first.data["code"]))
    assert await _failure_type(late) == BusinessError.bad_request

    await _update(client, user.id, "resend_code", ResendCode())
    second = (await _messages(sessions, user.email, "verification_code", 2))[-1]
    assert second.data["code"] != first.data["code"]
    wrong = f"{(int(second.data['code']) + 1) % 1_000_000:06d}"
    failures = [await _failure_type(_update(client, user.id, "submit_code",
                                            SubmitCode(code=wrong)))
                for _ in range(settings.limits.verification_max_attempts + 1)]
    assert failures == [BusinessError.bad_request] * 5 + [BusinessError.too_many_attempts]

    await _update(client, user.id, "resend_code", ResendCode())
    third = (await _messages(sessions, user.email, "verification_code", 3))[-1]
    state = await _update(client, user.id, "submit_code", SubmitCode(code=third.data["code"]))
    assert state.code_verified and state.status == AccountStatus.profile_completed
    state = await _update(client, user.id, "give_consent", GiveConsent())
    assert state.status == AccountStatus.active
    async with sessions() as session:
        active = await session.get(User, user.id)
        assert active is not None and active.status == "active"
        assert active.code_verified_at and active.consent_at and active.activated_at


async def test_invitation_is_reminded_then_expires(
    env: WorkflowEnvironment, settings: Settings, sessions: SessionMaker
) -> None:
    inviter = await make_user(sessions, settings, Role.patient)
    invitation = Invitation(inviter_id=inviter.id, email="friend@example.com",
                            status="pending", created_at=utcnow())
    async with sessions() as session, session.begin():
        session.add(invitation)
    handle = await start_invitation(env.client, settings, invitation)
    d = settings.durations
    assert len(await _messages(sessions, "friend@example.com", "platform_invitation")) == 1
    await env.sleep(d.invitation_reminder_after + MARGIN)
    assert len(await _messages(sessions, "friend@example.com",
                               "platform_invitation_reminder")) == 1
    await env.sleep(d.invitation_expires_after - d.invitation_reminder_after + MARGIN)
    outcome = await handle.result()
    assert outcome.status == InvitationStatus.expired
    async with sessions() as session:
        stored = await session.get(Invitation, invitation.id)
        assert stored is not None and stored.status == "expired" and stored.closed_at


async def test_invitation_is_accepted_when_the_address_registers(
    env: WorkflowEnvironment, settings: Settings, sessions: SessionMaker
) -> None:
    inviter = await make_user(sessions, settings, Role.patient)
    newcomer, account = await _pending_account(sessions, settings, env.client)
    invitation = Invitation(inviter_id=inviter.id, email=newcomer.email, status="pending",
                            created_at=utcnow())
    async with sessions() as session, session.begin():
        session.add(invitation)
    handle = await start_invitation(env.client, settings, invitation)
    assert newcomer.email
    await _messages(sessions, newcomer.email, "platform_invitation")
    await _update(env.client, newcomer.id, "validate_email", ValidateEmail())
    outcome = await handle.result()
    assert outcome.status == InvitationStatus.accepted
    async with sessions() as session:
        stored = await session.get(Invitation, invitation.id)
        assert stored is not None and stored.accepted_user_id == newcomer.id
    assert await _messages(sessions, newcomer.email, "platform_invitation_reminder", 0) == []
    # The newcomer goes on to an active account (a run left waiting, or terminated in the
    # middle of a step, would hold the test server's clock for the tests that follow).
    await _update(env.client, newcomer.id, "profile_saved", ProfileSaved())
    (code,) = await _messages(sessions, newcomer.email, "verification_code")
    await _update(env.client, newcomer.id, "submit_code", SubmitCode(code=code.data["code"]))
    await _update(env.client, newcomer.id, "give_consent", GiveConsent())
    assert (await account.result()).status == AccountStatus.active


async def test_an_unanswered_doctor_request_expires_and_the_patient_is_told(
    env: WorkflowEnvironment, settings: Settings, sessions: SessionMaker
) -> None:
    link, patient, doctor, handle = await ask_a_doctor(env.client, sessions, settings)
    d = settings.durations
    assert len(await _messages(sessions, doctor.email, "doctor_invitation")) == 1
    await env.sleep(d.doctor_invitation_reminder_after + MARGIN)
    assert len(await _messages(sessions, doctor.email, "doctor_invitation_reminder")) == 1
    await env.sleep(d.doctor_invitation_expires_after - d.doctor_invitation_reminder_after
                    + MARGIN)
    outcome = await handle.result()
    assert outcome.status == CareLinkStatus.expired
    assert len(await _messages(sessions, patient.email, "doctor_invitation_expired")) == 1
    async with sessions() as session:
        stored = await session.get(CareLink, link.id)
        assert stored is not None and stored.status == "expired"
