"""Demo data for `make run`: doctors of several specialties, a pharmacy and its staff, an admin.
The demo doctors and pharmacist have their licence verified.

Idempotent: run it again and it adds only what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.security import hash_password
from db.base import utcnow
from db.engine import SessionMaker
from db.models import DoctorProfile, Pharmacy, ProfessionalVerification, User
from domain.accounts import AccountStatus, Role, VerificationStatus
from domain.ids import new_esame_id

DEMO_PASSWORD = "esame-demo-2026"
DEMO_PHARMACY_ID = "demo-pharmacy-bastos"


@dataclass(frozen=True)
class DemoDoctor:
    email: str
    first_name: str
    last_name: str
    specialty: str
    city: str
    fees: tuple[int, int, int, int]  # opinion, teleconsultation, office, record fill (XAF)


DEMO_DOCTORS = (
    DemoDoctor("dr.mbarga@esame.local", "Paul", "Mbarga", "cardiology", "Yaoundé",
               (25000, 15000, 20000, 10000)),
    DemoDoctor("dr.ngo@esame.local", "Christiane", "Ngo Biyong", "pediatrics", "Douala",
               (20000, 12000, 15000, 8000)),
    DemoDoctor("dr.fotso@esame.local", "Jean", "Fotso", "general_practice", "Bafoussam",
               (10000, 7500, 10000, 5000)),
    DemoDoctor("dr.ekane@esame.local", "Grace", "Ekane", "gynecology", "Buea",
               (22000, 14000, 18000, 9000)),
    DemoDoctor("dr.abena@esame.local", "Samuel", "Abena", "dermatology", "Yaoundé",
               (18000, 11000, 15000, 7000)),
)


async def _user(session, email: str, role: Role, first: str, last: str,  # type: ignore[no-untyped-def]
                password_hash: str, **extra) -> User | None:
    if await session.scalar(select(User.id).where(User.email == email)):
        return None
    now = utcnow()
    user = User(
        esame_id=new_esame_id(), email=email, password_hash=password_hash, role=role.value,
        status=AccountStatus.active.value, first_name=first, last_name=last, language="fr",
        timezone="Africa/Douala", currency="XAF", country="CM", profile_saved_at=now,
        email_validated_at=now, phone_verified_at=now, consent_at=now, activated_at=now,
        **extra,
    )
    session.add(user)
    await session.flush()
    return user


async def seed_demo_data(sessions: SessionMaker) -> list[str]:
    """Insert the demo accounts; return a line per account created."""
    created: list[str] = []
    password_hash = hash_password(DEMO_PASSWORD)
    async with sessions() as session, session.begin():
        if await session.get(Pharmacy, DEMO_PHARMACY_ID) is None:
            session.add(Pharmacy(id=DEMO_PHARMACY_ID, name="Pharmacie de Bastos",
                                 city="Yaoundé", address_line="Rue 1.750, Bastos",
                                 phone="+237222200000"))
            await session.flush()
        admin = await _user(session, "admin@esame.local", Role.admin, "Ada", "Admin",
                            password_hash, city="Yaoundé")
        if admin:
            created.append("admin admin@esame.local")
        pharmacist = await _user(session, "pharmacie.bastos@esame.local", Role.pharmacist,
                                 "Marie", "Essomba", password_hash, city="Yaoundé",
                                 pharmacy_id=DEMO_PHARMACY_ID)
        if pharmacist:
            created.append("pharmacist pharmacie.bastos@esame.local")
        patient = await _user(session, "patient@esame.local", Role.patient, "Aïcha", "Bello",
                              password_hash, city="Douala", phone="+237670000001")
        if patient:
            created.append("patient patient@esame.local")
        for doc in DEMO_DOCTORS:
            user = await _user(session, doc.email, Role.doctor, doc.first_name, doc.last_name,
                               password_hash, city=doc.city)
            if user is None:
                continue
            opinion, tele, office, record_fill = doc.fees
            session.add(DoctorProfile(
                user_id=user.id, specialty=doc.specialty, license_number=f"CM-{user.esame_id}",
                city=doc.city, fee_currency="XAF", fee_opinion=opinion,
                fee_teleconsultation=tele, fee_office=office, fee_record_fill=record_fill,
                listed=True,
            ))
            created.append(f"doctor {doc.email} ({doc.specialty})")
        await _verify_demo_professionals(session)
    return created


async def _verify_demo_professionals(session) -> None:  # type: ignore[no-untyped-def]
    """Demo data, not a decision: no process runs for them (a database migrated from before
    verifications gave them a pending one)."""
    emails = [doc.email for doc in DEMO_DOCTORS] + ["pharmacie.bastos@esame.local"]
    now = utcnow()
    for user_id in (await session.scalars(select(User.id).where(User.email.in_(emails)))):
        verification = await session.get(ProfessionalVerification, user_id)
        if verification is None:
            session.add(ProfessionalVerification(
                user_id=user_id, status=VerificationStatus.verified.value, decided_at=now))
        elif verification.status == VerificationStatus.pending:
            verification.status, verification.decided_at = VerificationStatus.verified, now
