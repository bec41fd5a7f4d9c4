"""The patient's own medical record: sections added and removed directly (plain data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.appointment_views import appointment_views
from api.deps import ActivePatient, ActiveUser, SessionDep, SettingsDep
from api.problems import Problem
from api.record_fhir import record_bundle
from db.models import (
    Allergy,
    Antecedent,
    Appointment,
    AttendingDoctor,
    Consultation,
    DoctorProfile,
    Document,
    DrugProduct,
    Treatment,
    User,
    VitalSign,
)
from db.queries.audit import Outcome, record_access
from db.queries.consultations import consultation_views, published
from db.queries.professionals import listed_doctor
from db.queries.sponsorships import seen_by_its_patient
from domain import record as r

router = APIRouter(prefix="/api/v1/me/record", tags=["medical record"])

_SECTIONS: dict[str, Any] = {
    r.RecordSection.antecedents.value: Antecedent,
    r.RecordSection.allergies.value: Allergy,
    r.RecordSection.treatments.value: Treatment,
    r.RecordSection.attending_doctors.value: AttendingDoctor,
}


def document_out(row: Document) -> r.Document:
    return r.Document(id=row.id, type=r.DocumentType(row.type), filename=row.filename,
                      content_type=row.content_type, size=row.size, sha256=row.sha256,
                      uploaded_at=row.uploaded_at)


def author_out(user: User | None, fill_id: str | None) -> r.RecordAuthor | None:
    if user is None:
        return None
    return r.RecordAuthor(id=user.id, role=user.role, first_name=user.first_name,
                          last_name=user.last_name, record_fill_id=fill_id)


def antecedent_out(row: Antecedent, author: User | None = None) -> r.Antecedent:
    return r.Antecedent(id=row.id, category=r.AntecedentCategory(row.category),
                        description=row.description, onset_date=row.onset_date,
                        created_at=row.created_at,
                        author=author_out(author, row.record_fill_id))


def allergy_out(row: Allergy, author: User | None = None) -> r.Allergy:
    return r.Allergy(id=row.id, substance=row.substance, reaction=row.reaction,
                     severity=r.Severity(row.severity) if row.severity else None,
                     created_at=row.created_at, author=author_out(author, row.record_fill_id))


def treatment_out(row: Treatment, author: User | None = None) -> r.Treatment:
    return r.Treatment(id=row.id, drug_id=row.drug_id, name=row.name, dosage=row.dosage,
                       frequency=row.frequency, since=row.since, created_at=row.created_at,
                       author=author_out(author, row.record_fill_id))


def attending_out(
    row: AttendingDoctor, doctor: User | None, profile: DoctorProfile | None
) -> r.AttendingDoctor:
    if doctor is not None:
        return r.AttendingDoctor(
            id=row.id, doctor_id=doctor.id, registered=True, first_name=doctor.first_name,
            last_name=doctor.last_name, specialty=profile.specialty if profile else None,
            phone=None, email=None, created_at=row.created_at,
        )
    return r.AttendingDoctor(
        id=row.id, doctor_id=None, registered=False, first_name=row.first_name or "",
        last_name=row.last_name or "", specialty=row.specialty, phone=row.phone,
        email=row.email, created_at=row.created_at,
    )


async def load_record(session: AsyncSession, patient_id: str) -> r.Record:
    async def rows(model: Any, order: Any) -> list[Any]:
        result = await session.scalars(
            select(model).where(model.patient_id == patient_id).order_by(order, model.id)
        )
        return list(result)

    antecedents = await rows(Antecedent, Antecedent.created_at)
    allergies = await rows(Allergy, Allergy.created_at)
    treatments = await rows(Treatment, Treatment.created_at)
    # An entry without an author is the patient's own (written before authors were kept).
    author_ids = {row.author_id or patient_id for row in (*antecedents, *allergies, *treatments)}
    authors = {u.id: u for u in await session.scalars(
        select(User).where(User.id.in_(author_ids)))} if author_ids else {}

    def by(row: Any) -> User | None:
        return authors.get(row.author_id or patient_id)

    attending = await session.execute(
        select(AttendingDoctor, User, DoctorProfile)
        .outerjoin(User, User.id == AttendingDoctor.doctor_id)
        .outerjoin(DoctorProfile, DoctorProfile.user_id == AttendingDoctor.doctor_id)
        .where(AttendingDoctor.patient_id == patient_id)
        .order_by(AttendingDoctor.created_at, AttendingDoctor.id)
    )
    documents = await session.scalars(
        select(Document).where(Document.owner_id == patient_id)
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
    )
    return r.Record(
        antecedents=[antecedent_out(x, by(x)) for x in antecedents],
        allergies=[allergy_out(x, by(x)) for x in allergies],
        treatments=[treatment_out(x, by(x)) for x in treatments],
        attending_doctors=[attending_out(a, u, p) for a, u, p in attending.tuples()],
        documents=[document_out(d) for d in documents],
    )


# --- adding entries: the patient's own routes and a doctor's during a record fill ---------

async def insert_antecedent(session: AsyncSession, body: r.AntecedentIn, patient_id: str,
                            author: User, fill_id: str | None = None) -> r.Antecedent:
    row = Antecedent(patient_id=patient_id, category=body.category.value,
                     description=body.description, onset_date=body.onset_date,
                     author_id=author.id, record_fill_id=fill_id)
    session.add(row)
    await session.commit()
    return antecedent_out(row, author)


async def insert_allergy(session: AsyncSession, body: r.AllergyIn, patient_id: str,
                         author: User, fill_id: str | None = None) -> r.Allergy:
    row = Allergy(patient_id=patient_id, substance=body.substance, reaction=body.reaction,
                  severity=body.severity.value if body.severity else None,
                  author_id=author.id, record_fill_id=fill_id)
    session.add(row)
    await session.commit()
    return allergy_out(row, author)


async def insert_treatment(session: AsyncSession, body: r.TreatmentIn, patient_id: str,
                           author: User, fill_id: str | None = None) -> r.Treatment:
    name = body.name
    if body.drug_id is not None:
        drug = await session.get(DrugProduct, body.drug_id)
        if drug is None:
            raise Problem(422, "This drug is not in the catalogue.",
                          errors=[{"location": "body",
                                   "field": "drug_id", "message": "unknown drug"}])
        name = name or drug.name
    assert name is not None  # TreatmentIn requires drug_id or name
    row = Treatment(patient_id=patient_id, drug_id=body.drug_id, name=name,
                    dosage=body.dosage, frequency=body.frequency, since=body.since,
                    author_id=author.id, record_fill_id=fill_id)
    session.add(row)
    await session.commit()
    return treatment_out(row, author)


@router.get("", response_model=r.Record)
async def get_record(user: ActivePatient, session: SessionDep) -> r.Record:
    """The patient's medical record: every section and the documents."""
    return await load_record(session, user.id)


@router.post("/antecedents", status_code=201, response_model=r.Antecedent)
async def add_antecedent(
    body: r.AntecedentIn, user: ActivePatient, session: SessionDep
) -> r.Antecedent:
    """Add a medical, surgical, family or obstetric antecedent to the record."""
    return await insert_antecedent(session, body, user.id, user)


@router.post("/allergies", status_code=201, response_model=r.Allergy)
async def add_allergy(body: r.AllergyIn, user: ActivePatient, session: SessionDep) -> r.Allergy:
    """Add an allergy to the record."""
    return await insert_allergy(session, body, user.id, user)


@router.post("/treatments", status_code=201, response_model=r.Treatment)
async def add_treatment(
    body: r.TreatmentIn, user: ActivePatient, session: SessionDep
) -> r.Treatment:
    """Add a treatment to the record, from the drug catalogue or by name."""
    return await insert_treatment(session, body, user.id, user)


@router.post("/attending-doctors", status_code=201, response_model=r.AttendingDoctor)
async def add_attending_doctor(
    body: r.AttendingDoctorIn, user: ActivePatient, session: SessionDep
) -> r.AttendingDoctor:
    """Add an attending doctor: a registered doctor or one typed in."""
    doctor: User | None = None
    profile: DoctorProfile | None = None
    if body.doctor_id is not None:
        listed = await listed_doctor(session, body.doctor_id)  # verified doctors only
        if listed is None:
            raise Problem(422, "No registered doctor has this id.",
                          errors=[{"location": "body",
                                   "field": "doctor_id", "message": "unknown doctor"}])
        doctor, profile = listed
        already = await session.scalar(select(AttendingDoctor.id).where(
            AttendingDoctor.patient_id == user.id, AttendingDoctor.doctor_id == doctor.id))
        if already is not None:
            raise Problem(409, "This doctor is already one of your attending doctors.")
        row = AttendingDoctor(patient_id=user.id, doctor_id=doctor.id)
    else:
        assert body.new is not None
        row = AttendingDoctor(
            patient_id=user.id, first_name=body.new.first_name, last_name=body.new.last_name,
            specialty=body.new.specialty, phone=body.new.phone,
            email=str(body.new.email) if body.new.email else None,
        )
    session.add(row)
    await session.commit()
    return attending_out(row, doctor, profile)


@router.delete("/{section}/{item_id}", status_code=204, response_class=Response)
async def delete_entry(
    section: str, item_id: str, user: ActiveUser, session: SessionDep
) -> Response:
    """Remove an entry from a section of the record.

    Any role reaches the lookup, so that an attempt on someone's entry is audited."""
    model = _SECTIONS.get(section)
    if model is None:
        raise Problem(404, f"No record section {section!r}.")
    owner_id = await session.scalar(select(model.patient_id).where(model.id == item_id))
    if owner_id != user.id:
        if owner_id is not None:
            await record_access(session, user, owner_id, f"record.{section}.delete",
                                f"{section}/{item_id}", Outcome.denied, "not the owner")
        raise Problem(404, "No such entry in your record.")
    await session.execute(delete(model).where(model.id == item_id))
    await session.commit()
    return Response(status_code=204)


@router.get("/fhir", response_model=dict[str, Any])
async def get_record_fhir(
    user: ActivePatient, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """The record exported as a FHIR R4B Bundle (type `collection`)."""
    record = await load_record(session, user.id)
    vitals = list(await session.scalars(
        select(VitalSign).where(VitalSign.patient_id == user.id)
        .order_by(VitalSign.measured_at, VitalSign.id)
    ))
    consultations = list(await session.scalars(
        select(Consultation).where(Consultation.patient_id == user.id, published())
        .order_by(Consultation.occurred_at, Consultation.id)))
    appointments = list(await session.scalars(
        select(Appointment).where(Appointment.patient_id == user.id, seen_by_its_patient())
        .order_by(Appointment.start_at, Appointment.id)))
    return record_bundle(user, record, vitals, settings.public_base_url,
                         await consultation_views(session, consultations),
                         await appointment_views(session, appointments))
