"""Vital signs: the measure types (units, LOINC codes, plausible ranges) and the rules a
measure must follow."""

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from domain.dates import CLOCK_SKEW, EARLIEST, check_measured
from domain.errors import InvalidField


class VitalType(StrEnum):
    blood_pressure = "blood_pressure"
    heart_rate = "heart_rate"
    temperature = "temperature"
    weight = "weight"
    height = "height"
    spo2 = "spo2"
    blood_glucose = "blood_glucose"


class VitalComponent(BaseModel):
    code: str
    label: str
    loinc: str
    unit: str
    ucum: str
    min: float
    max: float


class VitalTypeInfo(BaseModel):
    code: VitalType
    label: str
    loinc: str
    loinc_display: str
    unit: str = Field(description="The unit values are given in (UCUM code in `ucum`).")
    ucum: str
    min: float | None = None
    max: float | None = None
    components: list[VitalComponent] = Field(default_factory=list)


# Ranges are what a human body can show (and a device record), not what is healthy: they
# catch typing slips (a weight of 750 kg, a temperature of 3.7 °C), not illness.
VITAL_TYPES: dict[VitalType, VitalTypeInfo] = {
    info.code: info
    for info in [
        VitalTypeInfo(
            code=VitalType.blood_pressure, label="Blood pressure", loinc="85354-9",
            loinc_display="Blood pressure panel with all children optional",
            unit="mmHg", ucum="mm[Hg]",
            components=[
                VitalComponent(code="systolic", label="Systolic blood pressure", loinc="8480-6",
                               unit="mmHg", ucum="mm[Hg]", min=50, max=260),
                VitalComponent(code="diastolic", label="Diastolic blood pressure",
                               loinc="8462-4", unit="mmHg", ucum="mm[Hg]", min=20, max=160),
            ],
        ),
        VitalTypeInfo(code=VitalType.heart_rate, label="Heart rate", loinc="8867-4",
                      loinc_display="Heart rate", unit="/min", ucum="/min", min=20, max=250),
        VitalTypeInfo(code=VitalType.temperature, label="Body temperature", loinc="8310-5",
                      loinc_display="Body temperature", unit="°C", ucum="Cel", min=30, max=45),
        VitalTypeInfo(code=VitalType.weight, label="Body weight", loinc="29463-7",
                      loinc_display="Body weight", unit="kg", ucum="kg", min=0.3, max=400),
        VitalTypeInfo(code=VitalType.height, label="Body height", loinc="8302-2",
                      loinc_display="Body height", unit="cm", ucum="cm", min=20, max=260),
        VitalTypeInfo(code=VitalType.spo2, label="Oxygen saturation (SpO2)", loinc="59408-5",
                      loinc_display="Oxygen saturation in Arterial blood by Pulse oximetry",
                      unit="%", ucum="%", min=50, max=100),
        VitalTypeInfo(code=VitalType.blood_glucose, label="Blood glucose", loinc="2339-0",
                      loinc_display="Glucose [Mass/volume] in Blood", unit="mg/dL",
                      ucum="mg/dL", min=20, max=800),
    ]
}


class VitalIn(BaseModel):
    type: VitalType
    measured_at: AwareDatetime = Field(
        description=f"When it was measured: after {EARLIEST.isoformat()}, not in the future "
                    f"(a clock ahead by up to {int(CLOCK_SKEW.total_seconds() // 60)} minutes "
                    "is tolerated).")
    value: float | None = None
    systolic: float | None = None
    diastolic: float | None = None

    @field_validator("measured_at")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        check_measured(value, datetime.now(UTC))
        return value

    @model_validator(mode="after")
    def _plausible(self) -> "VitalIn":
        info = VITAL_TYPES[self.type]
        if self.type == VitalType.blood_pressure:
            if self.value is not None:
                raise InvalidField("value", "blood_pressure takes systolic and diastolic, "
                                            "not value")
            for component in info.components:
                given = getattr(self, component.code)
                if given is None:
                    raise InvalidField(component.code, "required for blood_pressure")
                _in_range(component.code, given, component.min, component.max, info.unit)
            assert self.systolic is not None and self.diastolic is not None
            if self.diastolic >= self.systolic:
                raise InvalidField("diastolic", "must be below systolic")
        else:
            for extra in ("systolic", "diastolic"):
                if getattr(self, extra) is not None:
                    raise InvalidField(extra, f"only for blood_pressure; {self.type.value} "
                                              "takes value")
            if self.value is None:
                raise InvalidField("value", f"required for {self.type.value}")
            assert info.min is not None and info.max is not None
            _in_range("value", self.value, info.min, info.max, info.unit)
        return self


def _in_range(name: str, value: float, low: float, high: float, unit: str) -> None:
    if not low <= value <= high:
        raise InvalidField(name, f"{value:g} {unit} is outside the plausible range "
                                 f"{low:g}–{high:g} {unit}")


class Vital(BaseModel):
    id: str
    type: VitalType
    measured_at: datetime
    value: float | None = None
    systolic: float | None = None
    diastolic: float | None = None
    unit: str


# --- sharing with a doctor ----------------------------------------------------------------

class VitalShareIn(BaseModel):
    doctor_id: str = Field(min_length=1, max_length=32)
    types: list[VitalType] | None = Field(
        default=None, min_length=1,
        description="The types shared with this doctor (all of today's types when absent). "
                    "Sharing again replaces the doctor's types.")


class VitalShareView(BaseModel):
    """What one of the patient's doctors may read of their vital signs."""

    doctor_id: str
    doctor_first_name: str
    doctor_last_name: str
    types: list[VitalType]
    shared_at: datetime
    updated_at: datetime


def shared_types(types: list[VitalType] | None) -> list[VitalType]:
    """The types of a share, each once, in the order of the list of types."""
    chosen = set(types) if types is not None else set(VitalType)
    return [t for t in VitalType if t in chosen]


class PatientShares(BaseModel):
    vital_types: list[VitalType]
    documents: int = Field(description="How many documents the patient shares with you.")


class DoctorPatient(BaseModel):
    """One of a doctor's active patients, with what they share with the doctor."""

    patient_id: str
    esame_id: str
    first_name: str
    last_name: str
    since: datetime
    shares: PatientShares
