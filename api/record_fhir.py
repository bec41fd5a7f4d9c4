"""The medical record as a FHIR R4B Bundle (checked with fhir.resources before it leaves).

Consultations are an `Encounter` each, with the doctor's summary as a `ClinicalImpression`,
and one `MedicationRequest` per prescription item (`groupIdentifier`: the consultation).
Vital signs follow the FHIR vital-signs profile: category `vital-signs`, LOINC codes, UCUM
units; blood pressure is the panel 85354-9 with systolic (8480-6) and diastolic (8462-4)
components.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from db.models import User, VitalSign
from domain import record as r
from domain.appointments import AppointmentStatus, AppointmentView
from domain.consultations import (
    Consultation,
    ConsultationKind,
    PrescriptionItem,
    PrescriptionStatus,
)
from domain.text import printable
from domain.vitals import VITAL_TYPES, VitalType

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
# The CIS code of the French medicines database (BDPM, ANSM).
CIS_SYSTEM = "urn:oid:1.2.250.1.213.2.3.1"
ESAME = "https://esame.cm/fhir"
_GENDER = {"female": "female", "male": "male", "other": "other"}
_CRITICALITY = {"mild": "low", "moderate": "low", "severe": "high"}


def _urn(item_id: str) -> str:
    return f"urn:uuid:{uuid.UUID(hex=item_id)}"


def _entry(item_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": _urn(item_id), "resource": {"id": item_id, **resource}}


def _quantity(value: float, unit: str, ucum: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": ucum}


def _patient(user: User) -> dict[str, Any]:
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": f"{ESAME}/esame-id", "value": user.esame_id}],
        "name": [{"family": user.last_name, "given": [user.first_name]}],
    }
    if user.sex in _GENDER:
        patient["gender"] = _GENDER[user.sex]
    if user.date_of_birth:
        patient["birthDate"] = user.date_of_birth.isoformat()
    telecom = [{"system": "phone", "value": user.phone, "use": "mobile"}] if user.phone else []
    telecom += [{"system": "email", "value": user.email}] if user.email else []
    if telecom:
        patient["telecom"] = telecom
    address = {"use": "home", "line": [user.address_line] if user.address_line else None,
               "city": user.city, "country": user.country}
    if any(address[k] for k in ("line", "city", "country")):
        patient["address"] = [{k: v for k, v in address.items() if v}]
    return patient


def _practitioner(item: r.AttendingDoctor) -> dict[str, Any]:
    practitioner: dict[str, Any] = {
        "resourceType": "Practitioner",
        "name": [{"family": item.last_name, "given": [item.first_name]}],
    }
    if item.doctor_id:
        practitioner["identifier"] = [{"system": f"{ESAME}/doctor-id", "value": item.doctor_id}]
    if item.specialty:
        practitioner["qualification"] = [{"code": {"text": item.specialty}}]
    telecom = [{"system": "phone", "value": item.phone}] if item.phone else []
    telecom += [{"system": "email", "value": item.email}] if item.email else []
    if telecom:
        practitioner["telecom"] = telecom
    return practitioner


def _recorder(author: r.RecordAuthor | None, subject: dict[str, str]) -> dict[str, Any]:
    """Who wrote an entry: a doctor during a record fill, or the patient."""
    if author is None or author.role != "doctor":
        return dict(subject)
    return {"identifier": {"system": f"{ESAME}/doctor-id", "value": author.id},
            "display": f"Dr {author.first_name} {author.last_name}"}


def _condition(item: r.Antecedent, subject: dict[str, str]) -> dict[str, Any]:
    condition: dict[str, Any] = {
        "resourceType": "Condition",
        "category": [{
            "coding": [{"system": f"{ESAME}/antecedent-category", "code": item.category.value}],
            "text": f"{item.category.value} history",
        }],
        "code": {"text": item.description},
        "subject": subject,
        "recordedDate": item.created_at.isoformat(),
        "recorder": _recorder(item.author, subject),
    }
    if item.onset_date:
        condition["onsetDateTime"] = item.onset_date.isoformat()
    return condition


def _allergy(item: r.Allergy, subject: dict[str, str]) -> dict[str, Any]:
    allergy: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "code": {"text": item.substance},
        "patient": subject,
        "recordedDate": item.created_at.isoformat(),
        "recorder": _recorder(item.author, subject),
    }
    if item.severity:
        allergy["criticality"] = _CRITICALITY[item.severity.value]
    if item.reaction or item.severity:
        reaction: dict[str, Any] = {"manifestation": [{"text": item.reaction or "unspecified"}]}
        if item.severity:
            reaction["severity"] = item.severity.value
        allergy["reaction"] = [reaction]
    return allergy


def _medication(item: r.Treatment, subject: dict[str, str]) -> dict[str, Any]:
    medication: dict[str, Any] = {"text": item.name}
    if item.drug_id:
        medication["coding"] = [{"system": CIS_SYSTEM, "code": item.drug_id,
                                 "display": item.name}]
    statement: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": medication,
        "subject": subject,
        "dateAsserted": item.created_at.isoformat(),
        "informationSource": _recorder(item.author, subject),
    }
    if item.since:
        statement["effectivePeriod"] = {"start": item.since.isoformat()}
    dosage = ", ".join(part for part in (item.dosage, item.frequency) if part)
    if dosage:
        statement["dosage"] = [{"text": dosage}]
    return statement


def _observation(vital: VitalSign, subject: dict[str, str]) -> dict[str, Any]:
    info = VITAL_TYPES[VitalType(vital.type)]
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs", "display": "Vital Signs",
        }]}],
        "code": {"coding": [{"system": LOINC, "code": info.loinc,
                             "display": info.loinc_display}], "text": info.label},
        "subject": subject,
        "effectiveDateTime": vital.measured_at.isoformat(),
    }
    if info.components:
        values = {"systolic": vital.systolic, "diastolic": vital.diastolic}
        observation["component"] = [
            {
                "code": {"coding": [{"system": LOINC, "code": c.loinc, "display": c.label}]},
                "valueQuantity": _quantity(values[c.code] or 0.0, c.unit, c.ucum),
            }
            for c in info.components
        ]
    else:
        observation["valueQuantity"] = _quantity(vital.value or 0.0, info.unit, info.ucum)
    return observation


def _document(item: r.Document, subject: dict[str, str], base_url: str) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": f"{ESAME}/document-type", "code": item.type.value}],
                 "text": item.type.value.replace("_", " ")},
        "subject": subject,
        "date": item.uploaded_at.isoformat(),
        "content": [{"attachment": {
            "contentType": item.content_type,
            "url": f"{base_url}/api/v1/documents/{item.id}/content",
            "size": item.size,
            "title": item.filename,
            "creation": item.uploaded_at.isoformat(),
        }}],
    }


# Encounter.class (v3 ActCode): an opinion is written care at a distance, like a video call.
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_ENCOUNTER_CLASS = {
    ConsultationKind.office: ("AMB", "ambulatory"),
    ConsultationKind.emergency: ("EMER", "emergency"),
    ConsultationKind.teleconsultation: ("VR", "virtual"),
    ConsultationKind.opinion: ("VR", "virtual"),
}
# Open or asked of a pharmacy, a prescription is still to be served; collected, it is done.
_REQUEST_STATUS = {PrescriptionStatus.open: "active", PrescriptionStatus.requested: "active",
                   PrescriptionStatus.dispensed: "completed"}


def _doctor(item: Consultation) -> dict[str, Any]:
    return {"identifier": {"system": f"{ESAME}/doctor-id", "value": item.doctor.id},
            "display": f"Dr {item.doctor.first_name} {item.doctor.last_name}"}


def _encounter(item: Consultation, subject: dict[str, str]) -> dict[str, Any]:
    code, display = _ENCOUNTER_CLASS[item.kind]
    return {
        "resourceType": "Encounter",
        "identifier": [{"system": f"{ESAME}/consultation-id", "value": item.id}],
        "status": "finished",
        "class": {"system": ACT_CODE, "code": code, "display": display},
        "type": [{"coding": [{"system": f"{ESAME}/consultation-kind",
                              "code": item.kind.value}],
                  "text": item.kind.value}],
        "subject": subject,
        "participant": [{"individual": _doctor(item)}],
        "period": {"start": item.date.isoformat()},
    }


def _impression(item: Consultation, subject: dict[str, str]) -> dict[str, Any]:
    """The doctor's written summary (Encounter has no place for it)."""
    impression: dict[str, Any] = {
        "resourceType": "ClinicalImpression",
        "status": "completed",
        "subject": subject,
        "encounter": {"reference": _urn(item.id)},
        "effectiveDateTime": item.date.isoformat(),
        "date": item.published_at.isoformat(),
        "assessor": _doctor(item),
        "summary": item.summary,
    }
    if item.recommendations:
        impression["note"] = [{"text": item.recommendations}]
    return impression


def _medication_request(
    item: PrescriptionItem, consultation: Consultation, subject: dict[str, str]
) -> dict[str, Any]:
    medication: dict[str, Any] = {"text": item.name}
    if item.drug_id:
        medication["coding"] = [{"system": CIS_SYSTEM, "code": item.drug_id,
                                 "display": item.name}]
    dispense: dict[str, Any] = {"quantity": {"value": item.quantity}}
    if item.duration_days:
        dispense["expectedSupplyDuration"] = {"value": item.duration_days, "unit": "days",
                                              "system": UCUM, "code": "d"}
    return {
        "resourceType": "MedicationRequest",
        "status": _REQUEST_STATUS[item.status],
        "intent": "order",
        # One prescription = one consultation's items.
        "groupIdentifier": {"system": f"{ESAME}/consultation-id", "value": consultation.id},
        "medicationCodeableConcept": medication,
        "subject": subject,
        "encounter": {"reference": _urn(consultation.id)},
        "authoredOn": consultation.date.isoformat(),
        "requester": _doctor(consultation),
        "dosageInstruction": [{"text": ", ".join(
            part for part in (item.dosage, item.frequency) if part)}],
        "dispenseRequest": dispense,
    }


def _consultation_entries(items: Sequence[Consultation],
                          subject: dict[str, str]) -> list[dict[str, Any]]:
    entries = []
    for item in items:
        entries.append(_entry(item.id, _encounter(item, subject)))
        # A second resource of the same consultation: its own id, derived from it.
        entries.append(_entry(uuid.uuid5(uuid.UUID(hex=item.id), "impression").hex,
                              _impression(item, subject)))
        entries += [_entry(p.id, _medication_request(p, item, subject))
                    for p in item.prescriptions]
    return entries


# Appointment.status (FHIR): what the process's statuses stand for.
_APPOINTMENT_STATUS = {
    AppointmentStatus.pending_payment: "pending", AppointmentStatus.confirmed: "booked",
    AppointmentStatus.completed: "fulfilled", AppointmentStatus.no_show: "noshow",
    AppointmentStatus.canceled: "cancelled", AppointmentStatus.expired: "cancelled",
    AppointmentStatus.payment_failed: "cancelled"}


def _appointment(item: AppointmentView, subject: dict[str, str]) -> dict[str, Any]:
    """An appointment, without the reason the patient gave (kept in E-same)."""
    doctor = (f"Dr {item.doctor.first_name} {item.doctor.last_name}" if item.doctor
              else "Doctor")
    return {
        "resourceType": "Appointment",
        "identifier": [{"system": f"{ESAME}/appointment-reference", "value": item.reference}],
        "status": _APPOINTMENT_STATUS[item.status],
        "serviceType": [{"coding": [{"system": f"{ESAME}/appointment-type",
                                     "code": item.type.value}], "text": item.type.value}],
        "start": item.start.isoformat(),
        "end": item.end.isoformat(),
        "created": item.created_at.isoformat(),
        "participant": [
            {"actor": subject, "status": "accepted"},
            {"actor": {"identifier": {"system": f"{ESAME}/doctor-id", "value": item.doctor_id},
                       "display": doctor}, "status": "accepted"},
        ],
    }


def record_bundle(
    user: User, record: r.Record, vitals: list[VitalSign], base_url: str,
    consultations: Sequence[Consultation] = (), appointments: Sequence[AppointmentView] = (),
) -> dict[str, Any]:
    subject = {"reference": _urn(user.id), "display": f"{user.first_name} {user.last_name}"}
    patient = _patient(user)
    if record.attending_doctors:
        patient["generalPractitioner"] = [
            {"reference": _urn(d.id), "display": f"{d.first_name} {d.last_name}"}
            for d in record.attending_doctors
        ]
    entries = [_entry(user.id, patient)]
    entries += [_entry(d.id, _practitioner(d)) for d in record.attending_doctors]
    entries += [_entry(x.id, _condition(x, subject)) for x in record.antecedents]
    entries += [_entry(x.id, _allergy(x, subject)) for x in record.allergies]
    entries += [_entry(x.id, _medication(x, subject)) for x in record.treatments]
    entries += [_entry(v.id, _observation(v, subject)) for v in vitals]
    entries += [_entry(x.id, _document(x, subject, base_url)) for x in record.documents]
    entries += _consultation_entries(consultations, subject)
    entries += [_entry(a.id, _appointment(a, subject)) for a in appointments]
    bundle = {
        "resourceType": "Bundle",
        "id": uuid.uuid4().hex,
        "type": "collection",
        "timestamp": datetime.now(UTC).isoformat(),
        "entry": entries,
    }
    # Text is shown as stored, made printable: a value stored before input was checked (a
    # control character, nothing visible) must not break the export. Validation then fails
    # only on a defect of this module, and loudly, rather than hand out a bundle other
    # systems would reject.
    validated = Bundle.model_validate(_printable(bundle))
    result: dict[str, Any] = validated.model_dump(mode="json", exclude_none=True)
    return result


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_printable(item) for item in value]
    return value
