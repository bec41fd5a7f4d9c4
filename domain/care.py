"""The care services E-same sells: what an appointment or an opinion request is for, what a
consultation was, and what a plan must include (domain.entitlements.required_feature)."""

from enum import StrEnum


class CareService(StrEnum):
    office = "office"
    teleconsultation = "teleconsultation"
    emergency = "emergency"
    opinion = "opinion"


# The services an appointment is booked for (the agenda's slot types).
APPOINTMENT_SERVICES = (CareService.office, CareService.teleconsultation, CareService.emergency)
