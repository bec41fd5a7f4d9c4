"""Which paid services a doctor offers (one rule for the directory and the care
processes), and what a care process gets for the doctor a patient chose."""

from __future__ import annotations

import pytest

from api.problems import Problem
from api.professionals import doctor_offering
from core.settings import Settings
from db.engine import SessionMaker
from db.models import DoctorProfile
from domain.accounts import AccountStatus, DoctorFees, Role, VerificationStatus
from domain.care_services import CareService, offered, offered_services
from domain.money import Money
from tests.support.users import make_user


def _fees(opinion: int = 0, teleconsultation: int = 0, office: int = 0,
          record_fill: int = 0) -> DoctorFees:
    def xaf(amount: int) -> Money:
        return Money(amount=amount, currency="XAF")

    return DoctorFees(opinion=xaf(opinion), teleconsultation=xaf(teleconsultation),
                      office=xaf(office), record_fill=xaf(record_fill))


def test_a_service_is_offered_once_its_fee_is_set() -> None:
    assert offered_services(_fees()) == []
    assert offered_services(_fees(teleconsultation=10000, record_fill=1)) == [
        CareService.teleconsultation, CareService.record_fill]
    assert not offered(_fees(office=0), CareService.office)


@pytest.mark.db
async def test_a_care_process_gets_a_listed_doctor_offering_the_service(
    sessions: SessionMaker, settings: Settings,
) -> None:
    doctor = await make_user(sessions, settings, Role.doctor)
    async with sessions() as session, session.begin():
        profile = await session.get(DoctorProfile, doctor.id)
        assert profile is not None
        profile.fee_office = 0
    unchecked = await make_user(sessions, settings, Role.doctor,
                                verification=VerificationStatus.pending)
    refused = await make_user(sessions, settings, Role.doctor,
                              verification=VerificationStatus.refused)
    inactive = await make_user(sessions, settings, Role.doctor,
                               status=AccountStatus.profile_completed)
    patient = await make_user(sessions, settings, Role.patient)
    async with sessions() as session:
        offer = await doctor_offering(session, doctor.id, CareService.teleconsultation)
        assert offer.doctor.id == doctor.id
        assert offer.fee == Money(amount=15000, currency="XAF")
        with pytest.raises(Problem) as not_offered:
            await doctor_offering(session, doctor.id, CareService.office)
        assert not_offered.value.status == 422
        assert not_offered.value.errors and not_offered.value.errors[0]["field"] == "doctor_id"
        for someone in (unchecked, refused, inactive, patient):
            with pytest.raises(Problem) as missing:
                await doctor_offering(session, someone.id, CareService.opinion)
            assert missing.value.status == 404
