"""Making users directly in the database, for tests of features behind an active account."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.security import create_access_token, hash_password
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import DoctorProfile, Pharmacy, ProfessionalVerification, User
from domain.accounts import AccountStatus, Role, VerificationStatus
from domain.ids import new_esame_id, new_id

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)


@dataclass
class TestUser:
    __test__ = False  # a helper, not a test class

    id: str
    esame_id: str
    email: str
    role: Role
    token: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_user(
    sessions: SessionMaker,
    settings: Settings,
    role: Role = Role.patient,
    *,
    status: AccountStatus = AccountStatus.active,
    currency: str = "XAF",
    timezone: str = "Africa/Douala",
    specialty: str = "cardiology",
    pharmacy_id: str | None = None,
    verification: VerificationStatus = VerificationStatus.verified,
    **profile: object,
) -> TestUser:
    """An account in the given state (active by default), with a valid access token; a
    doctor or pharmacist with their licence checked (`verification`, verified by default)."""
    user_id = new_id()
    email = f"{role.value}-{user_id[:10]}@example.test"
    now = utcnow()
    active = status == AccountStatus.active
    async with sessions() as session, session.begin():
        if role == Role.pharmacist and pharmacy_id is None:
            pharmacy = Pharmacy(id=new_id(), name=f"Pharmacie {user_id[:6]}", city="Yaoundé")
            session.add(pharmacy)
            await session.flush()
            pharmacy_id = pharmacy.id
        user = User(
            id=user_id,
            esame_id=new_esame_id(),
            email=email,
            password_hash=_PASSWORD_HASH,
            role=role.value,
            status=status.value,
            first_name=role.value.title(),
            last_name=user_id[:6],
            language="en",
            pharmacy_id=pharmacy_id,
            timezone=timezone if active else None,
            currency=currency if active else None,
            country="CM" if active else None,
            city="Douala" if active else None,
            email_validated_at=now if status != AccountStatus.pending_email_validation else None,
            consent_at=now if active else None,
            activated_at=now if active else None,
            profile_saved_at=now if active else None,
            **profile,  # type: ignore[arg-type]
        )
        session.add(user)
        await session.flush()
        if role == Role.doctor:
            session.add(DoctorProfile(
                user_id=user_id, specialty=specialty, license_number=f"LIC-{user_id[:8]}",
                city="Douala", fee_currency="XAF", fee_opinion=20000,
                fee_teleconsultation=15000, fee_office=18000, fee_record_fill=8000,
                listed=active,
            ))
        if role in (Role.doctor, Role.pharmacist):
            session.add(ProfessionalVerification(
                user_id=user_id, status=verification.value,
                decided_at=None if verification is VerificationStatus.pending else now,
                reason="licence unknown" if verification is VerificationStatus.refused
                else None))
        esame_id = user.esame_id
    token = create_access_token(settings.secret_key, user_id, role.value, settings.access_token_ttl)
    extra = {"pharmacy_id": pharmacy_id} if pharmacy_id else {}
    return TestUser(user_id, esame_id, email, role, token, extra)
