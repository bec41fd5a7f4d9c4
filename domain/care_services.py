"""Which paid services a doctor offers: those whose fee is set (above 0). A doctor without
fees is listed (patients may still ask them to be their doctor and share documents) but
offered for no paid service. The directory shows `services`; every care process checks
`offered` before it takes a payment."""

from __future__ import annotations

from domain.accounts import CareService, DoctorFees
from domain.money import Money

__all__ = ["CareService", "fee_of", "offered", "offered_services"]


def fee_of(fees: DoctorFees, service: CareService) -> Money:
    fee: Money = getattr(fees, service.value)
    return fee


def offered(fees: DoctorFees, service: CareService) -> bool:
    """The rule: a service is offered once its fee is set; 0 means not offered (a paid
    process cannot take a payment of 0)."""
    return fee_of(fees, service).amount > 0


def offered_services(fees: DoctorFees) -> list[CareService]:
    return [service for service in CareService if offered(fees, service)]
