"""Consultations and their prescriptions (seed §XII "Mes ordonnances").

A completed appointment or an answered opinion request is a consultation. The doctor's text
never travels through a workflow: the API writes it as an unpublished draft
(`db.queries.consultations.write_draft`), and the process that owns the outcome publishes
it with the `PUBLISH_CONSULTATION` activity when it decides the appointment is completed or
the opinion answered. Once published a consultation never changes; only the status of its
prescription items moves, as the pharmacy process serves them (`move_item`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from domain.activity_ref import ActivityRef
from domain.care import CareService
from domain.text import CleanLine, CleanParagraphs

# What a consultation was: the service it was held for.
ConsultationKind = CareService

MAX_PRESCRIPTION_ITEMS = 30
SUMMARY_MAX_LENGTH = 20_000
MAX_QUANTITY = 100
MAX_DURATION_DAYS = 365


class ConsultationSource(StrEnum):
    """The process a consultation comes from (its id is the consultation's `source_id`)."""

    appointment = "appointment"
    opinion_request = "opinion_request"


# --- prescription items and their status ------------------------------------------------

class PrescriptionStatus(StrEnum):
    open = "open"            # prescribed, not asked of any pharmacy
    requested = "requested"  # in one live pro-forma request or order
    dispensed = "dispensed"  # collected at the pharmacy


# requested -> open: the request or order was canceled, rejected or expired.
_MOVES: dict[PrescriptionStatus, frozenset[PrescriptionStatus]] = {
    PrescriptionStatus.open: frozenset({PrescriptionStatus.requested}),
    PrescriptionStatus.requested: frozenset({PrescriptionStatus.open,
                                             PrescriptionStatus.dispensed}),
    PrescriptionStatus.dispensed: frozenset(),
}


class PrescriptionMoveError(ValueError):
    def __init__(self, current: PrescriptionStatus, target: PrescriptionStatus) -> None:
        super().__init__(f"a prescription item cannot go from {current.value} to "
                         f"{target.value}")
        self.current = current
        self.target = target


def can_move(current: PrescriptionStatus, target: PrescriptionStatus) -> bool:
    return target in _MOVES[current]


def move_item(current: PrescriptionStatus, target: PrescriptionStatus) -> PrescriptionStatus:
    """`target` if an item in `current` may go there; the same status is a no-op (a replayed
    activity), anything else a `PrescriptionMoveError`."""
    if current == target or can_move(current, target):
        return target
    raise PrescriptionMoveError(current, target)


# --- what the doctor writes -------------------------------------------------------------

ItemText = Annotated[str, Field(min_length=1, max_length=200), CleanLine]


class PrescriptionItemIn(BaseModel):
    """One line of a prescription: a drug of the catalogue (`drug_id`, its name then comes
    from the catalogue) or a name typed in."""

    drug_id: str | None = Field(default=None, pattern=r"^[0-9]{1,16}$",
                                description="The CIS code of the drug catalogue.")
    name: Annotated[str, Field(min_length=1, max_length=300), CleanLine] | None = None
    dosage: ItemText = Field(examples=["1 comprimé de 5 mg"])
    frequency: ItemText | None = Field(default=None, examples=["le matin"])
    duration_days: int | None = Field(default=None, ge=1, le=MAX_DURATION_DAYS)
    quantity: int = Field(ge=1, le=MAX_QUANTITY, description="Boxes (or units) to dispense.")

    @model_validator(mode="after")
    def _names_a_drug(self) -> PrescriptionItemIn:
        if self.drug_id is None and self.name is None:
            raise ValueError("give drug_id (from the drug catalogue) or name")
        return self


class ConsultationIn(BaseModel):
    """The doctor's written outcome: completing an appointment, answering an opinion."""

    summary: Annotated[str, Field(min_length=1, max_length=SUMMARY_MAX_LENGTH),
                       CleanParagraphs]
    recommendations: Annotated[str, Field(min_length=1, max_length=SUMMARY_MAX_LENGTH),
                               CleanParagraphs] | None = None
    prescriptions: list[PrescriptionItemIn] = Field(default_factory=list,
                                                    max_length=MAX_PRESCRIPTION_ITEMS)


class UnknownDrugs(ValueError):
    """Prescription items naming drugs the catalogue does not have (their positions)."""

    def __init__(self, positions: list[int]) -> None:
        super().__init__("drugs not in the catalogue at positions "
                         + ", ".join(str(p) for p in positions))
        self.positions = positions


class ConsultationAlreadyPublished(ValueError):
    def __init__(self) -> None:
        super().__init__("this consultation is published and cannot change")


# --- read models ------------------------------------------------------------------------

class PersonRef(BaseModel):
    id: str
    first_name: str
    last_name: str


class DoctorRef(PersonRef):
    specialty: str | None = None


class PrescriptionItem(BaseModel):
    id: str
    drug_id: str | None = None
    name: str
    dosage: str
    frequency: str | None = None
    duration_days: int | None = None
    quantity: int
    status: PrescriptionStatus


class Consultation(BaseModel):
    id: str
    kind: ConsultationKind
    source: ConsultationSource
    source_id: str = Field(description="The appointment or opinion request it concludes.")
    doctor: DoctorRef
    patient: PersonRef
    date: datetime
    summary: str
    recommendations: str | None = None
    prescriptions: list[PrescriptionItem]
    published_at: datetime


class PrescriptionGroup(BaseModel):
    """The prescriptions of one consultation (`GET /me/prescriptions`)."""

    consultation_id: str
    kind: ConsultationKind
    doctor: DoctorRef
    date: datetime
    items: list[PrescriptionItem]


# --- publishing, from the process that owns the outcome ---------------------------------

class PublishConsultation(BaseModel):
    consultation_id: str
    # The business id of the calling process (appointment or opinion request): a draft
    # written for another process is refused.
    source_id: str


class ConsultationPublished(BaseModel):
    consultation_id: str
    published_at: datetime
    # True when an earlier attempt had published it already (a replayed activity).
    already_published: bool
    prescription_item_ids: list[str] = Field(default_factory=list)


PUBLISH_CONSULTATION = ActivityRef(
    "publish_consultation", PublishConsultation, ConsultationPublished)
