"""Availability rules and profile fields: what the domain accepts and how it names a bad rule."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from domain.accounts import DoctorFees
from domain.agendas import (
    AvailabilityRule,
    DoctorProfileUpdate,
    Service,
    offered_services,
    overlapping_rules,
)
from domain.appointments import AppointmentType
from domain.money import Money


def rule(weekday: int, start: str, end: str, type_: str = "office",
         minutes: int = 30) -> AvailabilityRule:
    return AvailabilityRule(weekday=weekday, start=start, end=end,
                            type=AppointmentType(type_), slot_minutes=minutes)


def test_overlaps_are_found_whatever_the_type_and_name_both_rules() -> None:
    rules = [rule(1, "09:00", "12:00"), rule(2, "09:00", "12:00"),
             rule(1, "11:30", "13:00", "teleconsultation"), rule(1, "12:00", "13:00"),
             rule(1, "13:00", "14:00")]
    errors = overlapping_rules(rules)
    assert [error["field"] for error in errors] == ["rules.2", "rules.3"]
    assert errors[0]["message"] == ("rules.2 (Monday 11:30–13:00 teleconsultation) overlaps "
                                    "rules.0 (Monday 09:00–12:00 office)")
    assert "rules.3 (Monday 12:00–13:00 office) overlaps rules.2" in errors[1]["message"]


def test_a_long_rule_overlaps_every_rule_inside_it() -> None:
    rules = [rule(3, "08:00", "18:00"), rule(3, "09:00", "10:00"), rule(3, "15:00", "16:00")]
    assert [e["field"] for e in overlapping_rules(rules)] == ["rules.1", "rules.2"]
    assert overlapping_rules([rule(3, "08:00", "12:00"), rule(3, "12:00", "24:00")]) == []


@pytest.mark.parametrize(("fields", "message"), [
    ({"start": "12:00", "end": "09:00"}, "ends (09:00) before it starts (12:00)"),
    ({"start": "09:00", "end": "09:00"}, "before it starts"),
    ({"start": "09:00", "end": "09:20"}, "shorter than one slot of 30 minutes"),
    ({"start": "24:00", "end": "24:00"}, "HH:MM"),
    ({"start": "9:00", "end": "12:00"}, "HH:MM"),
    ({"start": "09:00", "end": "12:60"}, "HH:MM"),
    ({"slot_minutes": 9}, "greater than or equal to 10"),
    ({"slot_minutes": 121}, "less than or equal to 120"),
    ({"weekday": 0}, "greater than or equal to 1"),
    ({"weekday": 8}, "less than or equal to 7"),
    ({"type": "house_call"}, "teleconsultation"),
])
def test_a_bad_rule_says_what_is_wrong(fields: dict[str, object], message: str) -> None:
    body = {"weekday": 1, "start": "09:00", "end": "12:00", "type": "office",
            "slot_minutes": 30, **fields}
    with pytest.raises(ValidationError, match=re.escape(message)):
        AvailabilityRule.model_validate(body)


def test_24_00_ends_the_day() -> None:
    assert rule(5, "20:00", "24:00").end_minute == 1440


def test_profile_text_and_languages() -> None:
    update = DoctorProfileUpdate(bio="  Cardiologue.\r\nHypertension.  ",
                                 languages=["FR", "en", "fr", " dua "], city="  ")
    assert update.bio == "Cardiologue.\nHypertension."
    assert update.languages == ["fr", "en", "dua"]
    assert update.city is None
    with pytest.raises(ValidationError, match="not a language code"):
        DoctorProfileUpdate(languages=["fr", "xx"])
    with pytest.raises(ValidationError, match="control characters"):
        DoctorProfileUpdate(office_address="Rue\nJoffre")
    with pytest.raises(ValidationError, match="control characters"):
        DoctorProfileUpdate(bio="ok\x00")


def test_services_need_a_fee_and_appointments_availability() -> None:
    xaf = lambda amount: Money(amount=amount, currency="XAF")  # noqa: E731
    fees = DoctorFees(opinion=xaf(20000), record_fill=xaf(0), teleconsultation=xaf(15000),
                      office=xaf(18000))
    assert [s.service for s in offered_services(fees, set())] == [Service.opinion]
    offered = offered_services(fees, {AppointmentType.office, AppointmentType.emergency})
    assert [(s.service, s.fee.amount, s.appointment) for s in offered] == [
        (Service.opinion, 20000, False), (Service.office, 18000, True),
        (Service.emergency, 18000, True)]
