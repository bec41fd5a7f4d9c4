"""Side effects of a professional's verification: the decision written, the professional
told, the admins reminded of a licence still unchecked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from temporalio.exceptions import ApplicationError

from activities.account_messages import email_user, full_name, local_time
from activities.defn import implements
from activities.messaging import MessagingActivities
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import DoctorProfile, Pharmacy, ProfessionalVerification, User
from domain.accounts import AccountStatus, Role
from domain.errors import BusinessError
from domain.professionals import (
    NOTIFY_PROFESSIONAL_OF_VERIFICATION,
    OPEN_VERIFICATION,
    RECORD_VERIFICATION,
    REMIND_ADMINS_OF_VERIFICATION,
    AdminsReminded,
    NotifyProfessional,
    OpenVerification,
    RecordVerification,
    RemindAdmins,
    VerificationDone,
    VerificationOpened,
    VerificationStatus,
)
from domain.templates.professionals import ROLE_NAMES


class ProfessionalActivities:
    def __init__(
        self, settings: Settings, sessions: SessionMaker, messaging: MessagingActivities
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._messaging = messaging

    async def _professional(self, user_id: str) -> tuple[User, ProfessionalVerification, str]:
        """The professional, their verification, and what the admin checks (a doctor's
        licence number, a pharmacist's pharmacy)."""
        async with self._sessions() as session:
            user = await session.get(User, user_id)
            verification = await session.get(ProfessionalVerification, user_id)
            credential = ""
            if user is not None and user.role == Role.doctor:
                credential = await session.scalar(select(DoctorProfile.license_number).where(
                    DoctorProfile.user_id == user_id)) or ""
            elif user is not None and user.pharmacy_id:
                credential = await session.scalar(select(Pharmacy.name).where(
                    Pharmacy.id == user.pharmacy_id)) or ""
        if user is None or verification is None:
            # Committed with the account before the process starts: retry briefly.
            raise ApplicationError("the verification row is not committed yet",
                                   type="VerificationNotCommitted")
        return user, verification, credential

    @implements(OPEN_VERIFICATION)
    async def open_verification(self, command: OpenVerification) -> VerificationOpened:
        _, verification, _ = await self._professional(command.user_id)
        return VerificationOpened(status=VerificationStatus(verification.status))

    @implements(REMIND_ADMINS_OF_VERIFICATION)
    async def remind_admins_of_verification(self, command: RemindAdmins) -> AdminsReminded:
        user, verification, credential = await self._professional(command.user_id)
        if user.status == AccountStatus.expired:
            return AdminsReminded(account_open=False)
        async with self._sessions() as session:
            admins = (await session.scalars(select(User).where(
                User.role == Role.admin.value, User.status == AccountStatus.active.value)
            )).all()
        for admin in admins:
            await email_user(
                self._messaging, admin,
                key=f"professional-verification-reminder:{user.id}:{command.reminder}:"
                    f"{admin.id}",
                template="professional_verification_reminder",
                data={"professional_name": full_name(user),
                      "role": ROLE_NAMES[user.role][admin.language],
                      "credential": credential,
                      "submitted_at": local_time(verification.submitted_at, admin.timezone),
                      "professionals_url": self._settings.web_links.admin_professionals()},
            )
        return AdminsReminded(account_open=True, admins=len(admins))

    @implements(RECORD_VERIFICATION)
    async def record_verification(self, command: RecordVerification) -> VerificationDone:
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(ProfessionalVerification)
                .where(ProfessionalVerification.user_id == command.user_id,
                       ProfessionalVerification.status == VerificationStatus.pending.value)
                .values(status=command.status.value, decided_at=utcnow(),
                        decided_by=command.admin_id, reason=command.reason))
        return VerificationDone(changed=bool(getattr(result, "rowcount", 0)))

    @implements(NOTIFY_PROFESSIONAL_OF_VERIFICATION)
    async def notify_professional_of_verification(
        self, command: NotifyProfessional
    ) -> VerificationDone:
        user, verification, credential = await self._professional(command.user_id)
        data: dict[str, Any] = {"role": ROLE_NAMES[user.role][user.language],
                                "credential": credential}
        if command.status is VerificationStatus.verified:
            template = "professional_verified"
            data["sign_in_url"] = self._settings.web_links.sign_in()
        elif command.status is VerificationStatus.refused:
            template = "professional_refused"
            data["reason"] = verification.reason or ""
        else:
            raise ApplicationError("a professional is told a decision, not pending",
                                   type=BusinessError.invalid.value, non_retryable=True)
        await email_user(self._messaging, user,
                         key=f"professional-{command.status.value}:{user.id}",
                         template=template, data=data)
        return VerificationDone()

    def all(self) -> list[Callable[..., Any]]:
        return [self.open_verification, self.remind_admins_of_verification,
                self.record_verification, self.notify_professional_of_verification]
