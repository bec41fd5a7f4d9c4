"""The medical record: sections, documents, sharing and reports (plain data, no process)."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, EmailStr, Field, model_validator

from domain.contact import PhoneNumber
from domain.dates import PastDate
from domain.errors import InvalidField
from domain.text import MultiLineText, SingleLineText


class AntecedentCategory(StrEnum):
    medical = "medical"
    surgical = "surgical"
    family = "family"
    obstetric = "obstetric"
    other = "other"


class Severity(StrEnum):
    mild = "mild"
    moderate = "moderate"
    severe = "severe"


class RecordSection(StrEnum):
    """The path segment of each section, as in `DELETE /me/record/{section}/{id}`."""

    antecedents = "antecedents"
    allergies = "allergies"
    treatments = "treatments"
    attending_doctors = "attending-doctors"


class DocumentType(StrEnum):
    prescription = "prescription"
    lab_result = "lab_result"
    imaging = "imaging"
    report = "report"
    attestation = "attestation"
    other = "other"


# --- sections ---------------------------------------------------------------------------

# Input models check what people type; the models read back (below each) take what is
# stored as it is, so that a value stored before a rule existed never breaks a read.

class RecordAuthor(BaseModel):
    """Who wrote a record entry: the patient, or a doctor during a record fill."""

    id: str
    role: str = Field(description="`patient` or `doctor`.")
    first_name: str
    last_name: str
    record_fill_id: str | None = Field(
        default=None, description="The record fill during which a doctor wrote it.")


class AntecedentIn(BaseModel):
    category: AntecedentCategory
    description: Annotated[MultiLineText, Field(max_length=2000)]
    onset_date: PastDate | None = None


class Antecedent(BaseModel):
    id: str
    category: AntecedentCategory
    description: str
    onset_date: date | None = None
    created_at: datetime
    author: RecordAuthor | None = None


class AllergyIn(BaseModel):
    substance: Annotated[SingleLineText, Field(max_length=200)]
    reaction: Annotated[MultiLineText, Field(max_length=500)] | None = None
    severity: Severity | None = None


class Allergy(BaseModel):
    id: str
    substance: str
    reaction: str | None = None
    severity: Severity | None = None
    created_at: datetime
    author: RecordAuthor | None = None


class TreatmentIn(BaseModel):
    drug_id: Annotated[SingleLineText, Field(max_length=16)] | None = None
    name: Annotated[SingleLineText, Field(max_length=300)] | None = None
    dosage: Annotated[SingleLineText, Field(max_length=200)] | None = None
    frequency: Annotated[SingleLineText, Field(max_length=200)] | None = None
    since: PastDate | None = None

    @model_validator(mode="after")
    def _names_a_drug(self) -> "TreatmentIn":
        if self.drug_id is None and self.name is None:
            raise InvalidField("name", "give drug_id (from the drug catalogue) or name")
        return self


class Treatment(BaseModel):
    id: str
    drug_id: str | None
    name: str
    dosage: str | None
    frequency: str | None
    since: date | None
    created_at: datetime
    author: RecordAuthor | None = None


class NewDoctor(BaseModel):
    """A doctor the patient types in: not a platform account."""

    first_name: Annotated[SingleLineText, Field(max_length=100)]
    last_name: Annotated[SingleLineText, Field(max_length=100)]
    specialty: Annotated[SingleLineText, Field(max_length=80)] | None = None
    phone: PhoneNumber | None = None
    email: EmailStr | None = None


class AttendingDoctorIn(BaseModel):
    doctor_id: Annotated[SingleLineText, Field(max_length=32)] | None = None
    new: NewDoctor | None = None

    @model_validator(mode="after")
    def _one_of(self) -> "AttendingDoctorIn":
        if (self.doctor_id is None) == (self.new is None):
            raise InvalidField("doctor_id" if self.new is None else "new",
                               "give either doctor_id (a registered doctor) or new")
        return self


class AttendingDoctor(BaseModel):
    id: str
    doctor_id: str | None = Field(description="Set when the doctor is registered on E-same.")
    registered: bool
    first_name: str
    last_name: str
    specialty: str | None
    phone: str | None
    email: str | None
    created_at: datetime


# --- documents --------------------------------------------------------------------------

class Document(BaseModel):
    id: str
    type: DocumentType
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class SharedDocument(Document):
    patient_id: str
    patient_first_name: str
    patient_last_name: str
    shared_at: datetime


class ShareIn(BaseModel):
    doctor_id: Annotated[SingleLineText, Field(max_length=32)]


class Share(BaseModel):
    document_id: str
    doctor_id: str
    shared_at: datetime


class ReportIn(BaseModel):
    text: Annotated[MultiLineText, Field(max_length=10000)]


class Report(BaseModel):
    id: str
    document_id: str
    author_id: str
    author_role: str
    text: str
    created_at: datetime


class Record(BaseModel):
    antecedents: list[Antecedent]
    allergies: list[Allergy]
    treatments: list[Treatment]
    attending_doctors: list[AttendingDoctor]
    documents: list[Document]


class AuditRecord(BaseModel):
    id: str
    at: datetime
    actor_id: str | None
    actor_role: str | None
    subject_id: str | None
    action: str
    resource: str
    outcome: str
    detail: str | None
