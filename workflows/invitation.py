"""InvitationWorkflow (`invitation-<id>`): a user invites a friend to E-same by email.

The invitation is sent, recalled once, and expires; it closes as accepted when the invited
address registers and validates an account (the account process signals `accept`).
"""

from __future__ import annotations

from temporalio import workflow

# Pydantic models are imported once, not re-created in every run's sandbox.
with workflow.unsafe.imports_passed_through():
    from domain.accounts import (
        ACCEPT_INVITATION,
        CLOSE_INVITATION,
        SEND_PLATFORM_INVITATION,
        CloseInvitation,
        InvitationAccepted,
        InvitationInput,
        InvitationOutcome,
        InvitationStatus,
        SendPlatformInvitation,
    )

from workflows.common import WAIT_FOR_COMMIT, run_activity, set_first_status, set_status, within


@workflow.defn
class InvitationWorkflow:
    def __init__(self) -> None:
        self._accepted_by: str | None = None

    @workflow.run
    async def run(self, invitation: InvitationInput) -> InvitationOutcome:
        timings = invitation.timings
        set_first_status(f"invitation_{InvitationStatus.pending.value}")
        expires_at = workflow.now() + timings.expires_after
        await run_activity(
            SEND_PLATFORM_INVITATION,
            SendPlatformInvitation(invitation_id=invitation.invitation_id, expires_at=expires_at),
            retry_policy=WAIT_FOR_COMMIT,
        )

        accepted = await within(self._accepted, timings.reminder_after, "invitation reminder")
        if not accepted:
            await run_activity(
                SEND_PLATFORM_INVITATION,
                SendPlatformInvitation(invitation_id=invitation.invitation_id, reminder=True,
                                       expires_at=expires_at),
            )
            accepted = await within(self._accepted,
                                    timings.expires_after - timings.reminder_after,
                                    "invitation expiry")

        status = InvitationStatus.accepted if accepted else InvitationStatus.expired
        await run_activity(
            CLOSE_INVITATION,
            CloseInvitation(invitation_id=invitation.invitation_id, status=status,
                            accepted_user_id=self._accepted_by),
        )
        set_status(f"invitation_{status.value}")
        return InvitationOutcome(invitation_id=invitation.invitation_id, status=status)

    @workflow.signal(name=ACCEPT_INVITATION.name)
    def accept(self, accepted: InvitationAccepted) -> None:
        self._accepted_by = self._accepted_by or accepted.user_id

    def _accepted(self) -> bool:
        return self._accepted_by is not None
