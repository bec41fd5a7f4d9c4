"""Side effects of a password reset: the link's email, the new password, the link's status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.exceptions import ApplicationError

from activities.account_messages import email_user, local_time
from activities.defn import implements
from activities.messaging import MessagingActivities
from core.security import derive_token, hash_secret
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import PasswordReset, PasswordResetAttempt, User
from domain.accounts import Done
from domain.errors import BusinessError
from domain.password_resets import (
    APPLY_PASSWORD_RESET,
    CLOSE_PASSWORD_RESET,
    FIND_OLDER_PASSWORD_RESETS,
    SEND_PASSWORD_RESET_LINK,
    ApplyPasswordReset,
    ClosePasswordReset,
    FindOlderPasswordResets,
    OlderPasswordResets,
    PasswordResetStatus,
    SendPasswordResetLink,
)

_PENDING = PasswordResetStatus.pending.value


def reset_token(secret: str, reset_id: str) -> str:
    # One token per reset: a retried activity sends the same link.
    return derive_token(secret, f"password-reset:{reset_id}")


def _not_committed() -> ApplicationError:
    # The API commits the reset before it starts its process: retry briefly if not visible.
    return ApplicationError("the password reset is not committed yet",
                            type="PasswordResetNotCommitted")


async def _forget_attempts(session: AsyncSession, reset_id: str) -> None:
    """A closed link keeps no password hash but the account's."""
    await session.execute(delete(PasswordResetAttempt).where(
        PasswordResetAttempt.reset_id == reset_id))


class PasswordResetActivities:
    def __init__(
        self, settings: Settings, sessions: SessionMaker, messaging: MessagingActivities
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._messaging = messaging

    @implements(SEND_PASSWORD_RESET_LINK)
    async def send_password_reset_link(self, command: SendPasswordResetLink) -> Done:
        token = reset_token(self._settings.secret_key, command.reset_id)
        async with self._sessions() as session, session.begin():
            reset = await session.get(PasswordReset, command.reset_id)
            if reset is None:
                raise _not_committed()
            user = await session.get(User, reset.user_id)
            reset.token_hash = hash_secret(token)
            reset.expires_at = command.expires_at
        if user is None:
            raise ApplicationError("no such account", type=BusinessError.not_found.value,
                                   non_retryable=True)
        await email_user(
            self._messaging, user, key=f"password-reset:{command.reset_id}",
            template="password_reset",
            data={
                "reset_url": self._settings.web_links.reset_password(token),
                "expires_at": local_time(command.expires_at, user.timezone),
            },
        )
        return Done()

    @implements(FIND_OLDER_PASSWORD_RESETS)
    async def find_older_password_resets(
        self, command: FindOlderPasswordResets
    ) -> OlderPasswordResets:
        async with self._sessions() as session:
            reset = await session.get(PasswordReset, command.reset_id)
            if reset is None:
                raise _not_committed()
            ids = (await session.scalars(select(PasswordReset.id).where(
                PasswordReset.user_id == reset.user_id, PasswordReset.status == _PENDING,
                PasswordReset.id != reset.id, PasswordReset.created_at <= reset.created_at,
            ))).all()
        return OlderPasswordResets(reset_ids=list(ids))

    @implements(APPLY_PASSWORD_RESET)
    async def apply_password_reset(self, command: ApplyPasswordReset) -> Done:
        """The attempt's password becomes the account's, every session opened before ends
        (the session version rises), and the link is used: one transaction. Replayed after
        it committed, it finds the link used and changes nothing."""
        async with self._sessions() as session, session.begin():
            reset = await session.scalar(select(PasswordReset).where(
                PasswordReset.id == command.reset_id).with_for_update())
            if reset is None:
                raise _not_committed()
            if reset.status == PasswordResetStatus.used:
                return Done(changed=False)
            attempt = await session.get(PasswordResetAttempt, command.attempt_id)
            if reset.status != _PENDING or attempt is None or attempt.reset_id != reset.id:
                raise ApplicationError(
                    "This link was already used, replaced by a newer one, or has expired.",
                    type=BusinessError.bad_request.value, non_retryable=True)
            await session.execute(update(User).where(User.id == reset.user_id).values(
                password_hash=attempt.password_hash,
                session_version=User.session_version + 1))
            reset.status = PasswordResetStatus.used.value
            reset.closed_at = utcnow()
            await _forget_attempts(session, reset.id)
        return Done()

    @implements(CLOSE_PASSWORD_RESET)
    async def close_password_reset(self, command: ClosePasswordReset) -> Done:
        async with self._sessions() as session, session.begin():
            closed = await session.execute(
                update(PasswordReset)
                .where(PasswordReset.id == command.reset_id, PasswordReset.status == _PENDING)
                .values(status=command.status.value, closed_at=utcnow()))
            await _forget_attempts(session, command.reset_id)
        return Done(changed=bool(getattr(closed, "rowcount", 0)))

    def all(self) -> list[Callable[..., Any]]:
        return [self.send_password_reset_link, self.find_older_password_resets,
                self.apply_password_reset, self.close_password_reset]
