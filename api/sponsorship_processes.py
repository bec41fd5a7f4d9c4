"""Starting a sponsorship's process: its input, summary and search attributes, and the
sponsor's payment answered at once (an update-with-start, as for subscriptions)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from api.account_processes import named
from api.appointment_processes import appointment_timings
from api.paid_processes import start_paid_process
from api.payments import payment_timings
from api.problems import Problem
from api.processes import process_exists
from core.settings import Settings
from db.models import Appointment, User
from db.models.requests import RequestIndexEntry
from db.models.sponsorships import Sponsorship
from domain.appointments import AppointmentInput, AppointmentType
from domain.paid import PaymentPayer
from domain.payments import PaymentView
from domain.sponsorships import SponsorshipInput, SponsorshipTimings, sponsorship_workflow_id
from workflows.common import ESAME_DOCTOR_ID, ESAME_PATIENT_ID, ESAME_SPONSOR_ID, ESAME_STATUS
from workflows.sponsorship import SponsorshipWorkflow


def sponsorship_summary(reference: str, sponsor: User, beneficiary: User, doctor: User) -> str:
    """People by name and E-same id, never a health detail."""
    return (f"Sponsorship {reference}: {named(sponsor)} for {named(beneficiary)}, "
            f"with Dr {named(doctor)}")


async def start_sponsorship(
    session: AsyncSession, temporal: Client, settings: Settings, *, sponsorship: Sponsorship,
    appointment: Appointment, sponsor: User, beneficiary: User, doctor: User,
    payer: PaymentPayer,
) -> PaymentView:
    """Commit the rows, start `sponsorship-<id>` and answer the sponsor's payment once it
    exists at the provider (the kit's update-with-start). Should no process take the rows,
    they go again (the slot is free) and the problem is answered."""
    await session.commit()
    quote = sponsorship.quote
    appointment_input = AppointmentInput(
        appointment_id=appointment.id, reference=appointment.reference,
        patient_id=beneficiary.id, doctor_id=doctor.id, type=AppointmentType(appointment.type),
        start=appointment.start_at, end=appointment.end_at,
        hold_expires_at=appointment.hold_expires_at or appointment.start_at,
        timings=appointment_timings(settings))
    process = SponsorshipInput(
        sponsorship_id=sponsorship.id, reference=sponsorship.reference, sponsor_id=sponsor.id,
        beneficiary_id=beneficiary.id, doctor_id=doctor.id, appointment=appointment_input,
        appointment_summary=(f"Appointment {appointment.reference} of patient "
                             f"{named(beneficiary)} with Dr {named(doctor)} "
                             f"(sponsored, {sponsorship.reference})"),
        hold_expires_at=appointment_input.hold_expires_at, price=quote.price,
        list_price=quote.list_price, payer=payer,
        timings=SponsorshipTimings(
            payment=payment_timings(settings),
            # The beneficiary may reschedule as far as an agenda goes: the sponsor's payment
            # stays refundable past the latest end the appointment can move to.
            refundable_after_end=timedelta(days=settings.limits.slot_range_max_days + 1)))
    workflow_id = sponsorship_workflow_id(sponsorship.id)
    try:
        return await start_paid_process(
            temporal, SponsorshipWorkflow.run, process, workflow_id=workflow_id,
            settings=settings,
            summary=sponsorship_summary(sponsorship.reference, sponsor, beneficiary, doctor),
            search_attributes=TypedSearchAttributes([
                # Found from either person: the beneficiary (whose care it is, as on the
                # appointment) and the sponsor (who pays; their payment carries their id).
                SearchAttributePair(ESAME_PATIENT_ID, beneficiary.id),
                SearchAttributePair(ESAME_SPONSOR_ID, sponsor.id),
                SearchAttributePair(ESAME_DOCTOR_ID, doctor.id),
                SearchAttributePair(ESAME_STATUS, "sponsorship_pending_payment")]),
            result_type=PaymentView)
    except Problem:
        if not await process_exists(temporal, workflow_id):
            await _forget(session, sponsorship, appointment)
        raise


async def _forget(session: AsyncSession, sponsorship: Sponsorship,
                  appointment: Appointment) -> None:
    """No process took the sponsorship: its rows go, and the slot is free again."""
    await session.execute(delete(RequestIndexEntry).where(
        RequestIndexEntry.reference == sponsorship.reference))
    await session.execute(delete(Sponsorship).where(Sponsorship.id == sponsorship.id))
    await session.execute(delete(Appointment).where(Appointment.id == appointment.id))
    await session.commit()
