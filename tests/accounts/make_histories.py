"""Record the histories the account replay test checks: `uv run python -m
tests.accounts.make_histories [--former-names] [name ...]` (all of them, or those named).

Runs each account process to its end on the time-skipping server, with the real activities
on a throwaway SQLite database, and writes its history as JSON under
tests/accounts/histories/. The workflows are started by their type name, so the recorder
also runs on a checkout from before the rename: `--former-names` starts the types under the
names they had then (`AccountValidation`, `AccountExistsNotice`, `Invitation`,
`DoctorLink`) and writes `former_name_<history>.json`; those stand for runs started before
the rename, still in flight. Record a new history for a new path; record the existing ones
again only when a change is meant to be incompatible with running workflows.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from api.account_processes import account_timings
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import CareLink, Invitation, Message
from domain.accounts import (
    AccountExistsNoticeInput,
    AccountStatus,
    AccountValidationInput,
    DoctorDecision,
    DoctorLinkInput,
    DoctorLinkTimings,
    GiveConsent,
    InvitationInput,
    InvitationTimings,
    ProfileSaved,
    ResendCode,
    Role,
    SubmitCode,
    ValidateEmail,
)
from domain.ids import account_workflow_id, doctor_link_workflow_id, invitation_workflow_id
from tests.support.recording import recording_stack, save_history
from tests.support.users import TestUser, make_user

HISTORIES = Path(__file__).with_name("histories")
BIN = Path(sys.executable).parent
MARGIN = timedelta(minutes=1)

# process -> (its type today, its type before the rename)
TYPES = {
    "account_validation": ("AccountValidationWorkflow", "AccountValidation"),
    "account_exists_notice": ("AccountExistsNoticeWorkflow", "AccountExistsNotice"),
    "invitation": ("InvitationWorkflow", "Invitation"),
    "doctor_link": ("DoctorLinkWorkflow", "DoctorLink"),
}


@dataclass
class Recording:
    env: WorkflowEnvironment
    sessions: SessionMaker
    settings: Settings
    former_names: bool

    @property
    def client(self) -> Client:
        return self.env.client

    def type_of(self, process: str) -> str:
        today, before = TYPES[process]
        return before if self.former_names else today

    async def start(self, process: str, arg: Any, workflow_id: str) -> WorkflowHandle[Any, Any]:
        return await self.client.start_workflow(
            self.type_of(process), arg, id=workflow_id,
            task_queue=self.settings.temporal.task_queue)

    async def save(self, handle: WorkflowHandle[Any, Any], name: str) -> None:
        prefix = "former_name_" if self.former_names else ""
        await save_history(handle, HISTORIES / f"{prefix}{name}.json", wait_for_end=False)


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
    raise RuntimeError(f"no {count} {template} message(s) to {to}")


async def _pending_account(r: Recording) -> tuple[TestUser, WorkflowHandle[Any, Any]]:
    user = await make_user(r.sessions, r.settings, Role.patient,
                           status=AccountStatus.pending_email_validation)
    handle = await r.start("account_validation",
                           AccountValidationInput(user_id=user.id,
                                                  timings=account_timings(r.settings)),
                           account_workflow_id(user.id))
    await _messages(r.sessions, user.email, "account_validation")
    return user, handle


async def _update(handle: WorkflowHandle[Any, Any], name: str, arg: object) -> None:
    await handle.execute_update(name, arg, result_type=dict)


async def _account_validation_reminded_then_active(r: Recording) -> None:
    """Both reminders, a wrong code, a new code, then the consent: `active`."""
    d = r.settings.durations
    user, handle = await _pending_account(r)
    await r.env.sleep(d.validation_reminder_after + MARGIN)
    await _messages(r.sessions, user.email, "account_validation_reminder")
    await _update(handle, "validate_email", ValidateEmail())
    await r.env.sleep(d.profile_reminder_after + MARGIN)
    await _messages(r.sessions, user.email, "profile_reminder")
    await _update(handle, "profile_saved", ProfileSaved())
    (first,) = await _messages(r.sessions, user.email, "verification_code")
    wrong = f"{(int(first.data['code']) + 1) % 1_000_000:06d}"
    with contextlib.suppress(WorkflowUpdateFailedError):  # refused: that is the point
        await _update(handle, "submit_code", SubmitCode(code=wrong))
    await _update(handle, "resend_code", ResendCode())
    second = (await _messages(r.sessions, user.email, "verification_code", 2))[-1]
    await _update(handle, "submit_code", SubmitCode(code=second.data["code"]))
    await _update(handle, "give_consent", GiveConsent(share_medical_data=True))
    assert (await handle.result())["status"] == "active"
    await r.save(handle, "account_validation_reminded_then_active")


async def _account_validation_expired(r: Recording) -> None:
    d = r.settings.durations
    _, handle = await _pending_account(r)
    await r.env.sleep(d.validation_expires_after + MARGIN)
    assert (await handle.result())["status"] == "expired"
    await r.save(handle, "account_validation_expired")


async def _account_exists_notice(r: Recording) -> None:
    user = await make_user(r.sessions, r.settings, Role.patient)
    today = utcnow().date()
    handle = await r.start("account_exists_notice",
                           AccountExistsNoticeInput(user_id=user.id, day=today),
                           f"account-exists-{user.id}-{today.isoformat()}")
    await handle.result()
    await r.save(handle, "account_exists_notice_sent")


def _invitation_input(r: Recording, invitation: Invitation) -> InvitationInput:
    d = r.settings.durations
    return InvitationInput(invitation_id=invitation.id, inviter_id=invitation.inviter_id,
                           timings=InvitationTimings(reminder_after=d.invitation_reminder_after,
                                                     expires_after=d.invitation_expires_after))


async def _invitation(r: Recording, email: str) -> tuple[Invitation, WorkflowHandle[Any, Any]]:
    inviter = await make_user(r.sessions, r.settings, Role.patient)
    invitation = Invitation(inviter_id=inviter.id, email=email, status="pending",
                            created_at=utcnow())
    async with r.sessions() as session, session.begin():
        session.add(invitation)
    handle = await r.start("invitation", _invitation_input(r, invitation),
                           invitation_workflow_id(invitation.id))
    await _messages(r.sessions, email, "platform_invitation")
    return invitation, handle


async def _invitation_expired(r: Recording) -> None:
    d = r.settings.durations
    _, handle = await _invitation(r, "friend@example.com")
    await r.env.sleep(d.invitation_reminder_after + MARGIN)
    await _messages(r.sessions, "friend@example.com", "platform_invitation_reminder")
    await r.env.sleep(d.invitation_expires_after - d.invitation_reminder_after + MARGIN)
    assert (await handle.result())["status"] == "expired"
    await r.save(handle, "invitation_reminded_then_expired")


async def _invitation_accepted(r: Recording) -> None:
    """The invited address registers: its account process signals the invitation."""
    newcomer, account = await _pending_account(r)
    _, handle = await _invitation(r, newcomer.email)
    await _update(account, "validate_email", ValidateEmail())
    assert (await handle.result())["status"] == "accepted"
    await r.save(handle, "invitation_accepted")
    await account.terminate("history recorded")


async def _doctor_link(r: Recording) -> tuple[TestUser, WorkflowHandle[Any, Any]]:
    d = r.settings.durations
    doctor = await make_user(r.sessions, r.settings, Role.doctor)
    patient = await make_user(r.sessions, r.settings, Role.patient)
    link = CareLink(patient_id=patient.id, doctor_id=doctor.id, status="pending",
                    created_at=utcnow())
    async with r.sessions() as session, session.begin():
        session.add(link)
    handle = await r.start("doctor_link", DoctorLinkInput(
        link_id=link.id, patient_id=patient.id, doctor_id=doctor.id,
        timings=DoctorLinkTimings(reminder_after=d.doctor_invitation_reminder_after,
                                  expires_after=d.doctor_invitation_expires_after)),
        doctor_link_workflow_id(link.id))
    await _messages(r.sessions, doctor.email, "doctor_invitation")
    return doctor, handle


async def _doctor_link_answered(r: Recording, answer: str, name: str) -> None:
    doctor, handle = await _doctor_link(r)
    await _update(handle, answer, DoctorDecision(doctor_id=doctor.id))
    await handle.result()
    await r.save(handle, name)


async def _doctor_link_declined(r: Recording) -> None:
    await _doctor_link_answered(r, "decline", "doctor_link_declined")


async def _doctor_link_accepted(r: Recording) -> None:
    await _doctor_link_answered(r, "accept", "doctor_link_accepted")


async def _doctor_link_expired(r: Recording) -> None:
    d = r.settings.durations
    doctor, handle = await _doctor_link(r)
    await r.env.sleep(d.doctor_invitation_reminder_after + MARGIN)
    await _messages(r.sessions, doctor.email, "doctor_invitation_reminder")
    await r.env.sleep(d.doctor_invitation_expires_after - d.doctor_invitation_reminder_after
                      + MARGIN)
    assert (await handle.result())["status"] == "expired"
    await r.save(handle, "doctor_link_reminded_then_expired")


RECORDERS: dict[str, Callable[[Recording], Awaitable[None]]] = {
    "account_validation_reminded_then_active": _account_validation_reminded_then_active,
    "account_validation_expired": _account_validation_expired,
    "account_exists_notice_sent": _account_exists_notice,
    "invitation_reminded_then_expired": _invitation_expired,
    "invitation_accepted": _invitation_accepted,
    "doctor_link_declined": _doctor_link_declined,
    "doctor_link_accepted": _doctor_link_accepted,
    "doctor_link_reminded_then_expired": _doctor_link_expired,
}


async def main(args: list[str]) -> None:
    former_names = "--former-names" in args
    names = [a for a in args if a != "--former-names"]
    unknown = [n for n in names if n not in RECORDERS]
    if unknown:
        raise SystemExit(f"unknown histories {unknown}; known: {sorted(RECORDERS)}")
    async with recording_stack() as stack:
        recording = Recording(stack.env, stack.sessions, stack.settings, former_names)
        for name, record in RECORDERS.items():
            if not names or name in names:
                await record(recording)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
