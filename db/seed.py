"""Demo data for `make run`: doctors of several specialties (with a week of availability
each, so slots are free at once), three pharmacies (Yaoundé, Douala) each with its staff,
an admin, and a patient who already has two doctors and a consultation with prescriptions
(so the pharmacy flow can be tried at once).
The demo doctors and pharmacist have their licence verified.

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
from db.models import (
    AvailabilityRule,
    BillingAddress,
    CareLink,
    Consultation,
    DoctorProfile,
    DrugProduct,
    Pharmacy,
    ProfessionalVerification,
    User,
)
from db.queries.consultations import publish, write_draft
from domain.accounts import AccountStatus, CareLinkStatus, Role, VerificationStatus
from domain.agendas import clock_minutes
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


@dataclass(frozen=True)
class DemoPharmacy:
    id: str
    name: str
    city: str
    address_line: str
    phone: str
    staff_email: str
    staff_name: tuple[str, str]


# Three pharmacies, each with one verified staff account, for the pharmacy flow.
DEMO_PHARMACIES = (
    DemoPharmacy(DEMO_PHARMACY_ID, "Pharmacie de Bastos", "Yaoundé", "Rue 1.750, Bastos",
                 "+237222200000", "pharmacie.bastos@esame.local", ("Marie", "Essomba")),
    DemoPharmacy("demo-pharmacy-mvog-mbi", "Pharmacie de Mvog-Mbi", "Yaoundé",
                 "Carrefour Mvog-Mbi", "+237222200001", "pharmacie.mvogmbi@esame.local",
                 ("Paul", "Ndzana")),
    DemoPharmacy("demo-pharmacy-akwa", "Pharmacie d'Akwa", "Douala", "Boulevard de la "
                 "Liberté, Akwa", "+237233400000", "pharmacie.akwa@esame.local",
                 ("Brigitte", "Ngo Mbe")),
)
# A relative in France who pays, in euros, for the demo patient's consultations
# (docs/sponsorship.md): the demo patient's E-same id and one of her doctors is all it takes.
DEMO_SPONSOR_EMAIL = "parrain@esame.local"
# The demo patient's doctors (accepted, as if they had answered the patient's invitation).
DEMO_PATIENT_DOCTORS = ("dr.mbarga@esame.local", "dr.fotso@esame.local")
# The demo consultation stands for an office visit held before the demo starts: its source
# is no appointment of the database (there is no process to come back to).
DEMO_CONSULTATION_SOURCE = "demo-office-visit-1"


# A block of a demo week: these ISO weekdays, from start to end (the doctor's wall clock),
# slots of one type and length.
Block = tuple[tuple[int, ...], str, str, str, int]
WEEKDAYS_MON_FRI = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class DemoDoctor:
    email: str
    first_name: str
    last_name: str
    specialty: str
    city: str
    # opinion, teleconsultation, office, record fill (minor units of `currency`); 0: not offered
    fees: tuple[int, int, int, int]
    week: tuple[Block, ...]
    bio: str
    languages: tuple[str, ...]
    office_address: str | None
    timezone: str = "Africa/Douala"
    currency: str = "XAF"
    country: str = "CM"


DEMO_DOCTORS = (
    DemoDoctor(
        "dr.mbarga@esame.local", "Paul", "Mbarga", "cardiology", "Yaoundé",
        (25000, 15000, 20000, 10000),
        week=((WEEKDAYS_MON_FRI, "08:00", "12:00", "office", 30),
              ((2, 4), "14:00", "17:00", "teleconsultation", 20),
              ((3,), "17:00", "19:00", "emergency", 30),
              ((6,), "09:00", "12:00", "office", 30)),
        bio="Cardiologue, ancien interne des hôpitaux de Yaoundé. Hypertension, insuffisance "
            "cardiaque, suivi après infarctus.",
        languages=("fr", "en", "ewo"), office_address="Clinique du Golf, Bastos, Yaoundé"),
    DemoDoctor(
        "dr.ngo@esame.local", "Christiane", "Ngo Biyong", "pediatrics", "Douala",
        (20000, 12000, 15000, 8000),
        week=((WEEKDAYS_MON_FRI, "08:30", "12:30", "office", 30),
              ((1, 3, 5), "15:00", "18:00", "teleconsultation", 20),
              ((6,), "08:00", "11:00", "emergency", 30)),
        bio="Pédiatre à Douala : suivi du nourrisson, vaccinations, paludisme de l'enfant.",
        languages=("fr", "bas"), office_address="Rue Joffre, Akwa, Douala"),
    DemoDoctor(
        "dr.fotso@esame.local", "Jean", "Fotso", "general_practice", "Bafoussam",
        (10000, 7500, 10000, 5000),
        week=((WEEKDAYS_MON_FRI, "07:30", "12:00", "office", 15),
              (WEEKDAYS_MON_FRI, "13:00", "15:00", "teleconsultation", 15),
              ((6,), "08:00", "12:00", "office", 15)),
        bio="Médecin généraliste, médecine de famille et maladies chroniques.",
        languages=("fr", "ybb"), office_address="Avenue Wanko, Bafoussam"),
    DemoDoctor(
        "dr.ekane@esame.local", "Grace", "Ekane", "gynecology", "Buea",
        (22000, 14000, 18000, 9000),
        week=(((1, 2, 4), "09:00", "13:00", "office", 30),
              ((3, 5), "10:00", "13:00", "teleconsultation", 30),
              ((1, 2, 4), "14:00", "16:00", "teleconsultation", 30)),
        bio="Gynaecologist and obstetrician: pregnancy follow-up, family planning.",
        languages=("en", "fr", "wes"), office_address="Molyko, Buea"),
    DemoDoctor(
        "dr.abena@esame.local", "Samuel", "Abena", "dermatology", "Yaoundé",
        (18000, 11000, 15000, 7000),
        week=(((1, 3, 5), "08:00", "12:00", "office", 20),
              ((2, 4), "09:00", "12:00", "teleconsultation", 20),
              ((2, 4), "14:00", "16:00", "office", 20)),
        bio="Dermatologue : affections de la peau, des cheveux et des ongles.",
        languages=("fr", "en", "bum"), office_address="Carrefour Warda, Yaoundé"),
    # Abroad: teleconsultations from Paris, on Paris time (daylight saving time included).
    DemoDoctor(
        "dr.kamga@esame.local", "Hélène", "Kamga", "endocrinology", "Paris",
        (6000, 4000, 0, 3000),
        week=(((1, 3, 5), "18:00", "21:00", "teleconsultation", 30),
              ((6,), "10:00", "13:00", "teleconsultation", 30)),
        bio="Endocrinologue à Paris, originaire de Dschang : diabète, thyroïde. "
            "Téléconsultations pour les patients au Cameroun.",
        languages=("fr", "en"), office_address=None,
        timezone="Europe/Paris", currency="EUR", country="FR"),
)


async def _user(session, email: str, role: Role, first: str, last: str,  # type: ignore[no-untyped-def]
                password_hash: str, *, timezone: str = "Africa/Douala", currency: str = "XAF",
                country: str = "CM", **extra) -> User | None:
    if await session.scalar(select(User.id).where(User.email == email)):
        return None
    now = utcnow()
    user = User(
        esame_id=new_esame_id(), email=email, password_hash=password_hash, role=role.value,
        status=AccountStatus.active.value, first_name=first, last_name=last, language="fr",
        timezone=timezone, currency=currency, country=country, profile_saved_at=now,
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
        for pharmacy in DEMO_PHARMACIES:
            if await session.get(Pharmacy, pharmacy.id) is None:
                session.add(Pharmacy(id=pharmacy.id, name=pharmacy.name, city=pharmacy.city,
                                     address_line=pharmacy.address_line,
                                     phone=pharmacy.phone))
                await session.flush()
        admin = await _user(session, "admin@esame.local", Role.admin, "Ada", "Admin",
                            password_hash, city="Yaoundé")
        if admin:
            created.append("admin admin@esame.local")
        for pharmacy in DEMO_PHARMACIES:
            first_name, last_name = pharmacy.staff_name
            pharmacist = await _user(session, pharmacy.staff_email, Role.pharmacist,
                                     first_name, last_name, password_hash, city=pharmacy.city,
                                     pharmacy_id=pharmacy.id)
            if pharmacist:
                created.append(f"pharmacist {pharmacy.staff_email}")
        patient = await _user(session, DEMO_PATIENT_EMAIL, Role.patient, "Aïcha", "Bello",
                              password_hash, city="Douala", phone="+237670000001",
                              address_line="Rue Joss, Bonanjo")
        if patient:
            created.append(f"patient {DEMO_PATIENT_EMAIL}")
        sponsor = await _user(session, DEMO_SPONSOR_EMAIL, Role.patient, "Marc", "Bello",
                              password_hash, city="Paris", timezone="Europe/Paris",
                              currency="EUR", country="FR", phone="+33612345678",
                              address_line="12 rue de la Roquette")
        if sponsor:
            session.add(BillingAddress(user_id=sponsor.id, line1="12 rue de la Roquette",
                                       city="Paris", country="FR", postal_code="75011",
                                       from_profile=True))
            created.append(f"sponsor {DEMO_SPONSOR_EMAIL} (pays in EUR)")
        for doc in DEMO_DOCTORS:
            user = await _user(session, doc.email, Role.doctor, doc.first_name, doc.last_name,
                               password_hash, city=doc.city, timezone=doc.timezone,
                               currency=doc.currency, country=doc.country)
            if user is not None:
                opinion, tele, office, record_fill = doc.fees
                session.add(DoctorProfile(
                    user_id=user.id, specialty=doc.specialty,
                    license_number=f"CM-{user.esame_id}", city=doc.city,
                    fee_currency=doc.currency, fee_opinion=opinion, fee_teleconsultation=tele,
                    fee_office=office, fee_record_fill=record_fill, listed=True,
                ))
                await session.flush()
                created.append(f"doctor {doc.email} ({doc.specialty}, {doc.timezone})")
            await _demo_agenda(session, doc)
        await _verify_demo_professionals(session)
        created += await _patient_care(session)
    return created


async def _demo_agenda(session, doc: DemoDoctor) -> None:  # type: ignore[no-untyped-def]
    """The doctor's page and week, for a demo doctor who has none yet (also one seeded before
    agendas existed)."""
    user_id = await session.scalar(select(User.id).where(User.email == doc.email))
    profile = await session.get(DoctorProfile, user_id) if user_id else None
    if profile is None:
        return
    if profile.bio is None:
        profile.bio, profile.languages = doc.bio, list(doc.languages)
        profile.office_address = doc.office_address
    if await session.scalar(select(AvailabilityRule.id)
                            .where(AvailabilityRule.doctor_id == user_id).limit(1)):
        return
    for weekdays, start, end, kind, slot_minutes in doc.week:
        session.add_all(AvailabilityRule(
            doctor_id=user_id, weekday=weekday, start_minute=clock_minutes(start),
            end_minute=clock_minutes(end, end_of_day=True), type=kind,
            slot_minutes=slot_minutes) for weekday in weekdays)


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


async def _verify_demo_professionals(session) -> None:  # type: ignore[no-untyped-def]
    """Demo data, not a decision: no process runs for them (a database migrated from before
    verifications gave them a pending one)."""
    emails = ([doc.email for doc in DEMO_DOCTORS]
              + [pharmacy.staff_email for pharmacy in DEMO_PHARMACIES])
    now = utcnow()
    for user_id in (await session.scalars(select(User.id).where(User.email.in_(emails)))):
        verification = await session.get(ProfessionalVerification, user_id)
        if verification is None:
            session.add(ProfessionalVerification(
                user_id=user_id, status=VerificationStatus.verified.value, decided_at=now))
        elif verification.status == VerificationStatus.pending:
            verification.status, verification.decided_at = VerificationStatus.verified, now
