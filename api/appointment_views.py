"""An appointment as its patient and its doctor read it (the routes, the FHIR export)."""

from __future__ import annotations

from db.models import Appointment, User
from domain.appointments import (
    AppointmentStatus,
    AppointmentType,
    AppointmentView,
    PersonName,
)
from domain.money import Money


def appointment_view(row: Appointment, doctor: User | None = None,
          patient: User | None = None) -> AppointmentView:
    price = (Money(amount=row.price_amount, currency=row.price_currency)
             if row.price_amount is not None and row.price_currency else None)
    list_price = (Money(amount=row.list_price_amount, currency=row.list_price_currency)
                  if row.list_price_amount is not None and row.list_price_currency else None)
    return AppointmentView(
        id=row.id, reference=row.reference, status=AppointmentStatus(row.status),
        type=AppointmentType(row.type), doctor_id=row.doctor_id, patient_id=row.patient_id,
        doctor=_name(doctor), patient=_name(patient), start=row.start_at, end=row.end_at,
        hold_expires_at=(row.hold_expires_at
                         if row.status == AppointmentStatus.pending_payment else None),
        price=price, list_price=list_price, rate=row.price_rate, payment_id=row.payment_id,
        refund_status=row.refund_status, refundable_until=row.refundable_until,
        canceled_by=row.canceled_by, consultation_id=row.consultation_id,
        sponsored=row.sponsor_id is not None, created_at=row.created_at)


def _name(user: User | None) -> PersonName | None:
    if user is None:
        return None
    return PersonName(id=user.id, first_name=user.first_name, last_name=user.last_name)
