"""Side effects of friend invitations: the invitation emails and the invitation's status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from temporalio.exceptions import ApplicationError

from activities.account_messages import email_user, full_name, local_time
from activities.defn import implements
from activities.messaging import MessagingActivities
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import Invitation, User
from domain.accounts import (
    CLOSE_INVITATION,
    SEND_PLATFORM_INVITATION,
    CloseInvitation,
    Done,
    InvitationStatus,
    SendPlatformInvitation,
)
from domain.errors import BusinessError


class InvitationActivities:
    def __init__(
        self, settings: Settings, sessions: SessionMaker, messaging: MessagingActivities
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._messaging = messaging

    @implements(SEND_PLATFORM_INVITATION)
    async def send_platform_invitation(self, command: SendPlatformInvitation) -> Done:
        async with self._sessions() as session:
            invitation = await session.get(Invitation, command.invitation_id)
            inviter = None
            if invitation is not None:
                inviter = await session.get(User, invitation.inviter_id)
        if invitation is None or inviter is None:
            # Like an account, the row is committed before the process starts.
            raise ApplicationError("the invitation row is not committed yet",
                                   type="InvitationNotCommitted")
        suffix = "_reminder" if command.reminder else ""
        await email_user(
            self._messaging, inviter, to=invitation.email,
            key=f"invitation{suffix}:{invitation.id}",
            template=f"platform_invitation{suffix}",
            data={
                "inviter_name": full_name(inviter),
                "register_url": self._settings.web_links.register(invitation.id),
                "expires_at": local_time(command.expires_at, inviter.timezone),
            },
        )
        return Done()

    @implements(CLOSE_INVITATION)
    async def close_invitation(self, command: CloseInvitation) -> Done:
        if command.status == InvitationStatus.pending:
            raise ApplicationError("an invitation closes as accepted or expired",
                                   type=BusinessError.invalid.value, non_retryable=True)
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(Invitation)
                .where(Invitation.id == command.invitation_id,
                       Invitation.status == InvitationStatus.pending.value)
                .values(status=command.status.value, closed_at=utcnow(),
                        accepted_user_id=command.accepted_user_id)
            )
        return Done(changed=bool(getattr(result, "rowcount", 0)))

    def all(self) -> list[Callable[..., Any]]:
        return [self.send_platform_invitation, self.close_invitation]
