"""What a care process asks of the doctor a patient chose: listed (an active account, the
licence verified) and offering the service asked for, at the fee the process charges.

    offer = await doctor_offering(session, body.doctor_id, CareService.teleconsultation)
    price = convert(offer.fee, payer_currency)  # the quote, stored with the process

The rule of what is offered is `domain.care_services.offered`, the one the directory
shows as `services`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import Problem
from db.models import DoctorProfile, User
from db.queries.professionals import doctor_fees, listed_doctor
from domain.care_services import CareService, fee_of, offered
from domain.money import Money

NOT_OFFERED = "https://esame.cm/problems/service-not-offered"


@dataclass(frozen=True)
class Offer:
    doctor: User
    profile: DoctorProfile
    fee: Money


async def doctor_offering(session: AsyncSession, doctor_id: str,
                          service: CareService) -> Offer:
    """404 when the doctor is not in the directory (unknown, unchecked, refused, not
    active); 422 on `doctor_id` when they do not offer `service` (no fee set)."""
    found = await listed_doctor(session, doctor_id)
    if found is None:
        raise Problem(404, "No such doctor in the directory.")
    doctor, profile = found
    fees = doctor_fees(profile)
    if not offered(fees, service):
        raise Problem(422, f"This doctor does not offer {service.value.replace('_', ' ')}.",
                      type_=NOT_OFFERED, errors=[{
                          "field": "doctor_id", "type": "service_not_offered",
                          "message": f"offers no {service.value} (no fee set)"}])
    return Offer(doctor=doctor, profile=profile, fee=fee_of(fees, service))
