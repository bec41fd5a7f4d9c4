"""A doctor's public profile and agenda: weekly availability rules, closed periods, services.

Availability is wall-clock time in the doctor's IANA timezone; `domain/slots.py` turns it
into bookable slots.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from domain.accounts import CareService, DoctorFees
from domain.appointments import AppointmentStatus, AppointmentType
from domain.care_services import fee_of, offered
from domain.money import Money

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY = 24 * 60
MIN_SLOT_MINUTES, MAX_SLOT_MINUTES = 10, 120
MAX_RULES = 100

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def clock_minutes(value: str, *, end_of_day: bool = False) -> int:
    """Minutes after midnight of "HH:MM"; "24:00" (the end of the day) only for an end."""
    if end_of_day and value == "24:00":
        return MINUTES_PER_DAY
    match = _CLOCK.fullmatch(value)
    if match is None:
        raise ValueError("a time as HH:MM, from 00:00 to 23:59" + (" (or 24:00)" if end_of_day
                                                                      else ""))
    return int(match[1]) * 60 + int(match[2])


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- weekly availability ------------------------------------------------------------------

class AvailabilityRule(BaseModel):
    """Every `weekday`, from `start` to `end` (wall clock in the doctor's timezone), slots of
    `slot_minutes` of one type."""

    weekday: int = Field(ge=1, le=7, description="ISO weekday: Monday = 1 ... Sunday = 7",
                         examples=[1])
    start: str = Field(description="HH:MM, the doctor's wall clock", examples=["09:00"])
    end: str = Field(description="HH:MM (24:00 for midnight), after `start` on the same day",
                     examples=["12:30"])
    type: AppointmentType
    slot_minutes: int = Field(ge=MIN_SLOT_MINUTES, le=MAX_SLOT_MINUTES, examples=[30])

    @field_validator("start")
    @classmethod
    def _start_clock(cls, value: str) -> str:
        clock_minutes(value)
        return value

    @field_validator("end")
    @classmethod
    def _end_clock(cls, value: str) -> str:
        clock_minutes(value, end_of_day=True)
        return value

    @model_validator(mode="after")
    def _one_slot_at_least(self) -> AvailabilityRule:
        if self.end_minute <= self.start_minute:
            raise ValueError(f"ends ({self.end}) before it starts ({self.start})")
        if self.end_minute - self.start_minute < self.slot_minutes:
            raise ValueError(f"shorter than one slot of {self.slot_minutes} minutes")
        return self

    @property
    def start_minute(self) -> int:
        return clock_minutes(self.start)

    @property
    def end_minute(self) -> int:
        return clock_minutes(self.end, end_of_day=True)

    def describe(self) -> str:
        return f"{WEEKDAYS[self.weekday - 1]} {self.start}–{self.end} {self.type.value}"


class Availability(BaseModel):
    rules: list[AvailabilityRule] = Field(max_length=MAX_RULES)


class AvailabilityView(Availability):
    timezone: str = Field(description="The doctor's IANA timezone the rules are read in.")


def overlapping_rules(rules: list[AvailabilityRule]) -> list[dict[str, str]]:
    """Field errors (`rules.<i>`) for each rule that overlaps an earlier one on its weekday,
    whatever their types: a doctor is in one place at a time. Touching is fine."""
    errors = []
    order = sorted(range(len(rules)), key=lambda i: (rules[i].weekday, rules[i].start_minute))
    reach: int | None = None  # the rule reaching furthest into the day so far
    for i in order:
        rule = rules[i]
        if reach is None or rules[reach].weekday != rule.weekday:
            reach = i
            continue
        if rule.start_minute < rules[reach].end_minute:
            first, second = sorted((reach, i))
            errors.append({"field": f"rules.{second}",
                           "message": f"rules.{second} ({rules[second].describe()}) "
                                      f"overlaps rules.{first} ({rules[first].describe()})"})
        if rule.end_minute > rules[reach].end_minute:
            reach = i
    return errors


# --- closed periods -------------------------------------------------------------------------

class ClosedPeriodIn(BaseModel):
    start: AwareDatetime = Field(examples=["2026-12-20T00:00:00+01:00"])
    end: AwareDatetime = Field(examples=["2027-01-04T00:00:00+01:00"])
    reason: str | None = Field(default=None, max_length=300, examples=["Congress"])
    cancel_appointments: bool = Field(
        default=False, description="Cancel the appointments in the period (by the doctor: "
                                   "refunded, patients told) instead of answering 409.")

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        return clean_text(value, multiline=False)

    @model_validator(mode="after")
    def _ordered(self) -> ClosedPeriodIn:
        if self.end <= self.start:
            raise ValueError("the period ends before it starts")
        return self


class ClosedPeriod(BaseModel):
    id: str
    start: datetime
    end: datetime
    reason: str | None = None
    created_at: datetime
    canceled_appointments: list[str] = Field(
        default_factory=list, description="Appointments canceled because of this period "
                                          "(with `cancel_appointments: true`).")


class AppointmentInPeriod(BaseModel):
    """A live appointment in a period the doctor wants to close, as the 409 lists it."""

    id: str
    reference: str
    start: datetime
    end: datetime
    type: AppointmentType
    status: AppointmentStatus
    patient_id: str
    patient_first_name: str
    patient_last_name: str


# --- the doctor's profile and public page ----------------------------------------------------

# ISO 639-1, plus the ISO 639-3 codes of languages of Cameroon that have no two-letter code.
_LANGUAGE_LIST = """
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da
de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy
hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg
li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or
os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta
te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
agq bas bax bbj bum dua ewo fmp jgo kkj ksf mgo mua nmg nnh wes yav ybb
"""
LANGUAGE_CODES = frozenset(_LANGUAGE_LIST.split())
MAX_LANGUAGES = 12


def clean_text(value: str | None, *, multiline: bool) -> str | None:
    """Trimmed text without control characters (newlines kept in multiline text); empty
    means none."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
    allowed = "\n\t" if multiline else ""
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):
        raise ValueError("control characters are not allowed"
                         + (" (line breaks are)" if multiline else ""))
    return value or None


class DoctorProfileUpdate(BaseModel):
    """Only the fields sent change; null (or an empty text) clears one."""

    bio: str | None = Field(default=None, max_length=4000)
    languages: list[str] | None = Field(default=None, max_length=MAX_LANGUAGES,
                                        examples=[["fr", "en", "dua"]],
                                        description="ISO 639-1 codes (ISO 639-3 for "
                                                    "languages of Cameroon without one)")
    office_address: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=100)

    @field_validator("bio")
    @classmethod
    def _bio(cls, value: str | None) -> str | None:
        return clean_text(value, multiline=True)

    @field_validator("office_address", "city")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return clean_text(value, multiline=False)

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        codes: list[str] = []
        for raw in value:
            code = raw.strip().lower()
            if code not in LANGUAGE_CODES:
                raise ValueError(f"{raw!r} is not a language code (ISO 639-1, e.g. fr, en)")
            if code not in codes:
                codes.append(code)
        return codes


class Service(StrEnum):
    opinion = "opinion"
    record_fill = "record_fill"
    teleconsultation = "teleconsultation"
    office = "office"
    emergency = "emergency"


class DoctorService(BaseModel):
    service: Service
    fee: Money
    appointment: bool = Field(description="Booked as a slot of the agenda "
                                          "(GET /doctors/{id}/slots?type=<service>).")


class DoctorPage(BaseModel):
    """The directory entry plus the doctor's page; `services` here says, for each service
    offered, its fee and whether it is booked in the agenda."""

    id: str
    first_name: str
    last_name: str
    specialty: str
    city: str | None = None
    fees: DoctorFees
    bio: str | None = None
    languages: list[str] = Field(default_factory=list)
    office_address: str | None = None
    timezone: str = Field(description="The doctor's IANA timezone (their agenda's).")
    services: list[DoctorService]


def offered_services(fees: DoctorFees, available: set[AppointmentType]) -> list[DoctorService]:
    """The services a doctor offers: offered by their fee (`domain.care_services.offered`)
    and, for appointments, availability of that type. Emergencies have no fee of their own:
    they are charged as office visits."""
    services = []
    for service in Service:
        care = CareService.office if service is Service.emergency else CareService(service.value)
        if not offered(fees, care):
            continue
        is_appointment = service.value in AppointmentType.__members__
        if is_appointment and AppointmentType(service.value) not in available:
            continue
        services.append(DoctorService(service=service, fee=fee_of(fees, care),
                                      appointment=is_appointment))
    return services
