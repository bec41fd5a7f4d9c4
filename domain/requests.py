""""My requests" (seed "Mes demandes"): the one place that knows every kind of request.

Each kind of process a patient starts (an appointment of each type, an opinion request, a
record fill, a pharmacy order, a sponsorship) is registered here once: its reference
prefix, its statuses, the API path of the object and the title shown in the list. The list
itself is an index table (`request_index`) that each process writes in the same transaction
as its own read model, through `db.queries.requests.record_request`; `GET /me/requests`
reads only that table. Adding a kind is one entry in `REQUEST_KINDS` and one call of
`record_request` from the new process's activities (docs/care.md).

An entry belongs to one user: a sponsored appointment is the beneficiary's appointment
(`RDV-…`) and the sponsor's sponsorship (`PAR-…`), two entries, each seen by one person.
Titles name the doctor or the pharmacy, never a health detail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.care import CareService
from domain.references import ReferenceKind


class RequestKind(StrEnum):
    office_appointment = "office_appointment"
    teleconsultation = "teleconsultation"
    emergency = "emergency"
    opinion = "opinion"
    record_fill = "record_fill"
    pharmacy = "pharmacy"
    sponsorship = "sponsorship"


_APPOINTMENT_STATUSES = ("pending_payment", "confirmed", "completed", "expired",
                         "payment_failed", "canceled", "no_show")


@dataclass(frozen=True)
class RequestKindSpec:
    kind: RequestKind
    reference: ReferenceKind
    # The process's statuses, as API.md names them (the `status` filter accepts these).
    statuses: tuple[str, ...]
    # The object's own endpoint; `{id}` is the process's business id.
    path: str
    # Per language; placeholders: {doctor}, {pharmacy}, and the keys of `title_data`.
    titles: Mapping[str, str] = field(default_factory=dict)


REQUEST_KINDS: dict[RequestKind, RequestKindSpec] = {spec.kind: spec for spec in (
    RequestKindSpec(
        RequestKind.office_appointment, ReferenceKind.appointment, _APPOINTMENT_STATUSES,
        "/api/v1/appointments/{id}",
        {"en": "Office appointment with {doctor}", "fr": "Rendez-vous au cabinet avec {doctor}"}),
    RequestKindSpec(
        RequestKind.teleconsultation, ReferenceKind.appointment, _APPOINTMENT_STATUSES,
        "/api/v1/appointments/{id}",
        {"en": "Teleconsultation with {doctor}", "fr": "Téléconsultation avec {doctor}"}),
    RequestKindSpec(
        RequestKind.emergency, ReferenceKind.appointment, _APPOINTMENT_STATUSES,
        "/api/v1/appointments/{id}",
        {"en": "Emergency appointment with {doctor}",
         "fr": "Consultation d'urgence avec {doctor}"}),
    RequestKindSpec(
        RequestKind.opinion, ReferenceKind.opinion_request,
        ("draft", "pending_payment", "transmitted", "in_review", "waiting_for_patient",
         "answered", "closed", "declined", "expired", "canceled", "payment_failed"),
        "/api/v1/opinion-requests/{id}",
        {"en": "Medical opinion from {doctor}", "fr": "Demande d'avis médical à {doctor}"}),
    RequestKindSpec(
        RequestKind.record_fill, ReferenceKind.record_fill,
        ("pending_payment", "in_progress", "completed", "expired", "payment_failed"),
        "/api/v1/record-fill-requests/{id}",
        {"en": "{doctor} fills in your record", "fr": "{doctor} remplit votre dossier"}),
    RequestKindSpec(
        RequestKind.pharmacy, ReferenceKind.pharmacy_order,
        ("requested", "quoted", "ordered", "validated", "paid", "collected", "canceled",
         "rejected", "expired"),
        "/api/v1/pharmacy-orders/{id}",
        {"en": "Prescription at {pharmacy}", "fr": "Ordonnance à la {pharmacy}"}),
    RequestKindSpec(
        RequestKind.sponsorship, ReferenceKind.sponsorship,
        ("pending_payment", "confirmed", "completed", "expired", "payment_failed",
         "canceled"),
        "/api/v1/sponsorships/{id}",
        {"en": "Consultation sponsored for {beneficiary}",
         "fr": "Consultation parrainée pour {beneficiary}"}),
)}

ALL_STATUSES = frozenset(s for spec in REQUEST_KINDS.values() for s in spec.statuses)

_APPOINTMENT_KIND = {
    CareService.office: RequestKind.office_appointment,
    CareService.teleconsultation: RequestKind.teleconsultation,
    CareService.emergency: RequestKind.emergency,
}


def appointment_request_kind(service: CareService) -> RequestKind:
    """The list's kind of an appointment booked for `service`."""
    return _APPOINTMENT_KIND[service]


class UnknownStatus(ValueError):
    pass


def check_status(kind: RequestKind, status: str) -> str:
    if status not in REQUEST_KINDS[kind].statuses:
        raise UnknownStatus(f"{status!r} is not a status of {kind.value}")
    return status


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "…"


def request_title(kind: RequestKind, language: str, values: Mapping[str, str]) -> str:
    titles = REQUEST_KINDS[kind].titles
    template = titles.get(language) or titles.get("en") or kind.value
    return template.format_map(_Blank(values))


def request_path(kind: RequestKind, process_id: str) -> str:
    return REQUEST_KINDS[kind].path.format(id=process_id)


# --- what a process writes, what the list shows ------------------------------------------

class RequestEntry(BaseModel):
    """One request as one user sees it in their list; written (created, then each status
    change) by the process in the transaction of its own read model."""

    user_id: str
    reference: str
    kind: RequestKind
    status: str
    process_id: str = Field(description="The business id (appointment id, order id...).")
    doctor_id: str | None = None
    pharmacy_id: str | None = None
    # Extra title values that are neither the doctor nor the pharmacy (a display name).
    title_data: dict[str, str] = Field(default_factory=dict)
    # A sponsored appointment, under its beneficiary: the sponsor's display name ("Jean
    # D."). Kept once written: an entry written again without it keeps it.
    sponsored_by: str | None = None
    at: datetime


class RequestDoctor(BaseModel):
    id: str
    first_name: str
    last_name: str


class RequestPharmacy(BaseModel):
    id: str
    name: str
    city: str


class SponsoredBy(BaseModel):
    display_name: str


class RequestItem(BaseModel):
    reference: str
    kind: RequestKind
    status: str
    title: str
    doctor: RequestDoctor | None = None
    pharmacy: RequestPharmacy | None = None
    sponsored_by: SponsoredBy | None = Field(
        default=None, description="Who paid for this appointment, when it is sponsored.")
    created_at: datetime
    updated_at: datetime
    url: str = Field(description="The API path of the request itself.")
