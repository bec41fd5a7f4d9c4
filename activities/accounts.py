"""The account validation process's side effects: statuses, secrets and its emails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update
from temporalio.exceptions import ApplicationError

from activities.account_messages import email_user, local_time
from activities.defn import implements
from activities.messaging import MessagingActivities
from core.security import constant_time_equals, derive_code, derive_token, hash_secret
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import DoctorProfile, Invitation, User
from domain.accounts import (
    CHECK_VERIFICATION_CODE,
    EXPIRE_ACCOUNT,
    FIND_PENDING_INVITATIONS,
    OPEN_ACCOUNT,
    RECORD_CODE_VERIFIED,
    RECORD_CONSENT,
    SEND_ACCOUNT_EXISTS_NOTICE,
    SEND_PROFILE_REMINDER,
    SEND_VALIDATION_LINK,
    SEND_VERIFICATION_CODE,
    SET_ACCOUNT_STATUS,
    AccountOpened,
    AccountStatus,
    CheckVerificationCode,
    CodeCheck,
    Done,
    ExpireAccount,
    FindPendingInvitations,
    InvitationStatus,
    OpenAccount,
    PendingInvitations,
    RecordCodeVerified,
    RecordConsent,
    Role,
    SendAccountExistsNotice,
    SendProfileReminder,
    SendValidationLink,
    SendVerificationCode,
    SetAccountStatus,
)
from domain.errors import BusinessError


def validation_token(secret: str, user_id: str) -> str:
    # One token per account: the reminder repeats the first link, a retry sends the same.
    return derive_token(secret, f"account-validation:{user_id}")


class AccountActivities:
    def __init__(
        self, settings: Settings, sessions: SessionMaker, messaging: MessagingActivities
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._messaging = messaging

    async def _user(self, user_id: str) -> User:
        async with self._sessions() as session:
            user = await session.get(User, user_id)
        if user is None:
            raise ApplicationError(f"no account {user_id}", type=BusinessError.not_found.value,
                                   non_retryable=True)
        return user

    async def _store_secret(self, user_id: str, **hashes: str) -> User:
        """Store a secret's hash and read the account to write to, in one transaction."""
        async with self._sessions() as session, session.begin():
            user = await session.get(User, user_id)
            if user is None:
                raise ApplicationError(f"no account {user_id}",
                                       type=BusinessError.not_found.value, non_retryable=True)
            for column, value in hashes.items():
                setattr(user, column, value)
        return user

    @implements(OPEN_ACCOUNT)
    async def open_account(self, command: OpenAccount) -> AccountOpened:
        async with self._sessions() as session:
            found = (await session.execute(
                select(User.role, User.pharmacy_id).where(User.id == command.user_id))).first()
        if found is None:
            # The registration commits the row before it starts the process, and takes it
            # back if the start fails: retry a little in case the start outran the commit
            # on another connection, then give up (registration_commit_timeout).
            raise ApplicationError("the account row is not committed yet",
                                   type="AccountNotCommitted")
        return AccountOpened(user_id=command.user_id, role=Role(found.role),
                             pharmacy_id=found.pharmacy_id)

    @implements(SEND_VALIDATION_LINK)
    async def send_validation_link(self, command: SendValidationLink) -> Done:
        token = validation_token(self._settings.secret_key, command.user_id)
        user = await self._store_secret(command.user_id, validation_token_hash=hash_secret(token))
        suffix = "_reminder" if command.reminder else ""
        await email_user(
            self._messaging, user,
            key=f"account-validation{suffix}:{user.id}",
            template=f"account_validation{suffix}",
            data={
                "validation_url": self._settings.web_links.validate_email(token),
                "expires_at": local_time(command.expires_at, user.timezone),
            },
        )
        return Done()

    @implements(SEND_PROFILE_REMINDER)
    async def send_profile_reminder(self, command: SendProfileReminder) -> Done:
        user = await self._user(command.user_id)
        await email_user(
            self._messaging, user, key=f"profile-reminder:{user.id}",
            template="profile_reminder",
            data={"profile_url": self._settings.web_links.profile()},
        )
        return Done()

    @implements(SEND_VERIFICATION_CODE)
    async def send_verification_code(self, command: SendVerificationCode) -> Done:
        key = f"verification-code:{command.user_id}:{command.generation}"
        code = derive_code(self._settings.secret_key, key)
        user = await self._store_secret(command.user_id, verification_code_hash=hash_secret(code))
        await email_user(
            self._messaging, user, key=key, template="verification_code",
            data={"code": code, "expires_at": local_time(command.expires_at, user.timezone)},
        )
        return Done()

    @implements(CHECK_VERIFICATION_CODE)
    async def check_verification_code(self, command: CheckVerificationCode) -> CodeCheck:
        async with self._sessions() as session:
            stored = await session.scalar(
                select(User.verification_code_hash).where(User.id == command.user_id))
        stored = stored or ""
        return CodeCheck(matches=constant_time_equals(hash_secret(command.code.strip()), stored))

    @implements(RECORD_CODE_VERIFIED)
    async def record_code_verified(self, command: RecordCodeVerified) -> Done:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(User).where(User.id == command.user_id, User.code_verified_at.is_(None))
                .values(code_verified_at=utcnow(), verification_code_hash=None)
            )
        return Done()

    @implements(RECORD_CONSENT)
    async def record_consent(self, command: RecordConsent) -> Done:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(User).where(User.id == command.user_id, User.consent_at.is_(None))
                .values(consent_at=utcnow())
            )
        return Done()

    @implements(SET_ACCOUNT_STATUS)
    async def set_account_status(self, command: SetAccountStatus) -> Done:
        now = utcnow()
        changes: dict[str, Any] = {"status": command.status.value}
        # The first time a status is reached is kept (a retried activity changes nothing).
        if command.status == AccountStatus.email_validated:
            changes["email_validated_at"] = func.coalesce(User.email_validated_at, now)
        elif command.status == AccountStatus.active:
            changes["activated_at"] = func.coalesce(User.activated_at, now)
        async with self._sessions() as session, session.begin():
            changed = await session.execute(
                update(User).where(User.id == command.user_id).values(changes))
            if not changed.rowcount:  # type: ignore[attr-defined]
                raise ApplicationError("no such account", type=BusinessError.not_found.value,
                                       non_retryable=True)
            if command.status == AccountStatus.active:
                # An active doctor is found in the directory.
                await session.execute(
                    update(DoctorProfile).where(DoctorProfile.user_id == command.user_id)
                    .values(listed=True)
                )
        return Done()

    @implements(EXPIRE_ACCOUNT)
    async def expire_account(self, command: ExpireAccount) -> Done:
        async with self._sessions() as session, session.begin():
            user = await session.get(User, command.user_id)
            if user is None or user.status == AccountStatus.expired:
                return Done(changed=False)
            # Freeing the address lets its owner register again.
            user.expired_email = user.email
            user.email = None
            user.status = AccountStatus.expired.value
            user.validation_token_hash = None
        return Done()

    @implements(FIND_PENDING_INVITATIONS)
    async def find_pending_invitations(
        self, command: FindPendingInvitations
    ) -> PendingInvitations:
        async with self._sessions() as session:
            ids = (await session.scalars(
                select(Invitation.id).join(User, User.email == Invitation.email).where(
                    User.id == command.user_id,
                    Invitation.status == InvitationStatus.pending.value,
                    Invitation.inviter_id != command.user_id,
                )
            )).all()
        return PendingInvitations(invitation_ids=list(ids))

    @implements(SEND_ACCOUNT_EXISTS_NOTICE)
    async def send_account_exists_notice(self, command: SendAccountExistsNotice) -> Done:
        user = await self._user(command.user_id)
        await email_user(
            self._messaging, user,
            # One notice per account and day, however many registrations are attempted.
            key=f"account-exists:{user.id}:{command.day.isoformat()}",
            template="account_exists",
            data={"sign_in_url": self._settings.web_links.sign_in()},
        )
        return Done()

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.open_account, self.send_validation_link, self.send_profile_reminder,
            self.send_verification_code, self.check_verification_code,
            self.record_code_verified, self.record_consent, self.set_account_status,
            self.expire_account, self.find_pending_invitations,
            self.send_account_exists_notice,
        ]
