"""Demo data for `make run`: doctors of several specialties, a pharmacy and its staff, an
admin, and a patient who already has two doctors and a consultation with prescriptions (so
the pharmacy flow can be tried at once).

Idempotent: run it again and it adds only what is missing. The patient's plan is not here:
a subscription's status belongs to its workflow, so `esame up` subscribes the demo patient
through the API once everything runs (cli/demo.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.security import hash_password
from db.base import utcnow
from db.engine import SessionMaker
from db.models import CareLink, Consultation, DoctorProfile, DrugProduct, Pharmacy, User
from db.queries.consultations import publish, write_draft
from domain.accounts import AccountStatus, CareLinkStatus, Role
from domain.consultations import (
    ConsultationIn,
    ConsultationKind,
    ConsultationSource,
    PrescriptionItemIn,
)
from domain.ids import new_esame_id

DEMO_PASSWORD = "esame-demo-2026"
DEMO_PHARMACY_ID = "demo-pharmacy-bastos"
DEMO_PATIENT_EMAIL = "patient@esame.local"
# The demo patient's doctors (accepted, as if they had answered the patient's invitation).
DEMO_PATIENT_DOCTORS = ("dr.mbarga@esame.local", "dr.fotso@esame.local")
# The demo consultation stands for an office visit held before the demo starts: its source
# is no appointment of the database (there is no process to come back to).
DEMO_CONSULTATION_SOURCE = "demo-office-visit-1"


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
        patient = await _user(session, DEMO_PATIENT_EMAIL, Role.patient, "Aïcha", "Bello",
                              password_hash, city="Douala", phone="+237670000001",
                              address_line="Rue Joss, Bonanjo")
        if patient:
            created.append(f"patient {DEMO_PATIENT_EMAIL}")
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
        created += await _patient_care(session)
    return created


async def _user_id(session: AsyncSession, email: str) -> str:
    user_id = await session.scalar(select(User.id).where(User.email == email))
    assert user_id is not None, f"demo account {email} missing"
    return user_id


async def _patient_care(session: AsyncSession) -> list[str]:
    """The demo patient's doctors and a past consultation with prescriptions."""
    created: list[str] = []
    patient_id = await _user_id(session, DEMO_PATIENT_EMAIL)
    for email in DEMO_PATIENT_DOCTORS:
        doctor_id = await _user_id(session, email)
        linked = await session.scalar(select(CareLink.id).where(
            CareLink.patient_id == patient_id, CareLink.doctor_id == doctor_id,
            CareLink.status == CareLinkStatus.active.value))
        if linked is None:
            session.add(CareLink(patient_id=patient_id, doctor_id=doctor_id,
                                 status=CareLinkStatus.active.value, decided_at=utcnow()))
            created.append(f"{email} is a doctor of {DEMO_PATIENT_EMAIL}")
    if await session.scalar(select(Consultation.id).where(
            Consultation.source_id == DEMO_CONSULTATION_SOURCE)) is None:
        await _demo_consultation(session, patient_id,
                                 await _user_id(session, DEMO_PATIENT_DOCTORS[0]))
        created.append(f"a consultation with prescriptions for {DEMO_PATIENT_EMAIL}")
    return created


# Drugs of the catalogue (CIS codes of the BDPM), with a typed name should one be missing.
_DEMO_PRESCRIPTION = (
    ("63458349", "AMLOR 5 mg, gélule", "1 gélule", "le matin", 30, 1),
    ("60234100", "DOLIPRANE 1000 mg, comprimé", "1 comprimé", "jusqu'à 3 fois par jour "
     "en cas de douleur", 10, 1),
)


async def _demo_consultation(session: AsyncSession, patient_id: str, doctor_id: str) -> None:
    """Written and published as a completed appointment's would be (the draft, then its
    publication), a week before the demo starts."""
    known = set(await session.scalars(select(DrugProduct.id).where(
        DrugProduct.id.in_([drug_id for drug_id, *_ in _DEMO_PRESCRIPTION]))))
    items = [
        PrescriptionItemIn(drug_id=drug_id if drug_id in known else None,
                           name=None if drug_id in known else name, dosage=dosage,
                           frequency=frequency, duration_days=days, quantity=quantity)
        for drug_id, name, dosage, frequency, days, quantity in _DEMO_PRESCRIPTION
    ]
    body = ConsultationIn(
        summary=("Contrôle de l'hypertension artérielle. Tension à 150/95 mmHg au cabinet, "
                 "pas de signe de gravité. Traitement par amlodipine débuté.\n"
                 "Automesure tensionnelle à domicile pendant deux semaines."),
        recommendations="Réduire le sel, marcher 30 minutes par jour; revoir dans un mois.",
        prescriptions=items,
    )
    consultation_id = await write_draft(
        session, source=ConsultationSource.appointment, source_id=DEMO_CONSULTATION_SOURCE,
        kind=ConsultationKind.office, patient_id=patient_id, doctor_id=doctor_id,
        occurred_at=utcnow() - timedelta(days=7), body=body)
    await publish(session, consultation_id, DEMO_CONSULTATION_SOURCE)
