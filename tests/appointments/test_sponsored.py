"""A sponsored appointment (what SponsorshipWorkflow starts once the sponsor paid): confirmed
without a payment of its own and without the plan check; canceled by the doctor, the
sponsor's payment is refunded through the kit, and the sponsorship is told
`appointment_ended` with the refund's status. A stand-in sponsorship receives the signal."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from api.appointment_processes import appointment_timings, appointment_workflow_id
from api.payments import payment_timings
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import Payment
from db.queries.sandbox import DbSandboxLedger
from db.queries.slots import take_hold
from domain.appointments import (
    APPOINTMENT_ENDED,
    AppointmentEnded,
    AppointmentInput,
    AppointmentType,
    SponsoredAppointment,
)
from domain.ids import new_id, payment_workflow_id
from domain.money import Money
from domain.payments import (
    InvoiceLine,
    PaymentInput,
    PaymentMethod,
    PaymentStatus,
    ProviderEventSignal,
    ProviderName,
)
from tests.appointments.support import (
    a_doctor,
    a_patient_of,
    at,
    eventually,
    free_slot,
    row,
    status_is,
)
from workflows.appointment import AppointmentWorkflow
from workflows.payment import PaymentWorkflow

pytestmark = pytest.mark.db


@workflow.defn(name="SponsorshipWorkflow")
class StandInSponsorship:
    """Waits for its appointment's end, as the sponsorship process does."""

    def __init__(self) -> None:
        self._ended: AppointmentEnded | None = None

    @workflow.run
    async def run(self) -> AppointmentEnded:
        await workflow.wait_condition(lambda: self._ended is not None)
        assert self._ended is not None
        return self._ended

    @workflow.signal(name=APPOINTMENT_ENDED.name)
    def appointment_ended(self, ended: AppointmentEnded) -> None:
        self._ended = ended


async def _paid(client, sessions: SessionMaker, settings: Settings,  # type: ignore[no-untyped-def]
                sponsor_id: str, address_id: str) -> str:
    """The sponsor's payment, succeeded and still refundable."""
    price = Money(amount=23, currency="EUR")
    payment = PaymentInput(
        payment_id=new_id(), user_id=sponsor_id, amount=price, method=PaymentMethod.card,
        provider=ProviderName.sandbox, billing_address_id=address_id, description="Sponsor",
        lines=[InvoiceLine(description="Consultation médicale", unit_price=price,
                           total=price)],
        timings=payment_timings(settings), refundable_for=timedelta(days=30))
    handle = await client.start_workflow(PaymentWorkflow.run, payment,
                                         id=payment_workflow_id(payment.payment_id),
                                         task_queue=settings.temporal.task_queue)

    async def created() -> bool:
        async with sessions() as session:
            found = await session.get(Payment, payment.payment_id)
            return found is not None and found.checkout_url is not None

    await eventually(created)
    await DbSandboxLedger(sessions).settle(payment.payment_id, "succeeded")
    await handle.signal("provider_event", ProviderEventSignal(
        provider=ProviderName.sandbox, event_id=f"evt-{payment.payment_id}",
        status=PaymentStatus.succeeded))

    async def succeeded() -> bool:
        async with sessions() as session:
            found = await session.get(Payment, payment.payment_id)
            return found is not None and found.status == "succeeded"

    await eventually(succeeded)
    return payment.payment_id


async def test_a_sponsored_appointment_is_confirmed_and_its_refund_goes_to_the_sponsor(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    client = time_skipping_env.client
    doctor = await a_doctor(sessions, settings)
    # The beneficiary has no plan: a sponsored appointment is not gated by it.
    beneficiary, _ = await a_patient_of(sessions, settings, ts_api, doctor, plan=None)
    sponsor, sponsor_address = await a_patient_of(sessions, settings, ts_api, doctor)
    start = at(await free_slot(ts_api, beneficiary, doctor, "teleconsultation"))
    async with Worker(client, task_queue=f"{settings.temporal.task_queue}-sponsor",
                      workflows=[StandInSponsorship],
                      workflow_runner=UnsandboxedWorkflowRunner()):
        sponsorship_id = new_id()
        sponsorship = await client.start_workflow(
            StandInSponsorship.run, id=f"sponsorship-{sponsorship_id}",
            task_queue=f"{settings.temporal.task_queue}-sponsor")
        payment_id = await _paid(client, sessions, settings, sponsor.id, sponsor_address)
        appointment_id = new_id()
        async with sessions() as session, session.begin():
            await take_hold(session, appointment_id=appointment_id,
                            reference=f"RDV-2026-9{appointment_id[:5]}",
                            patient_id=beneficiary.id, doctor_id=doctor.id,
                            type=AppointmentType.teleconsultation, start=start,
                            end=start + timedelta(minutes=30),
                            hold_expires_at=utcnow() + timedelta(minutes=15),
                            sponsor_id=sponsor.id)
        await client.start_workflow(
            AppointmentWorkflow.run, AppointmentInput(
                appointment_id=appointment_id, reference=f"RDV-2026-9{appointment_id[:5]}",
                patient_id=beneficiary.id, doctor_id=doctor.id,
                type=AppointmentType.teleconsultation, start=start,
                end=start + timedelta(minutes=30), hold_expires_at=utcnow(),
                sponsored=SponsoredAppointment(sponsorship_id=sponsorship_id,
                                               sponsor_id=sponsor.id, payment_id=payment_id),
                timings=appointment_timings(settings)),
            id=appointment_workflow_id(appointment_id), task_queue=settings.temporal.task_queue)
        confirmed = await eventually(status_is(sessions, appointment_id, "confirmed"))
        assert confirmed.payment_id == payment_id
        canceled = await ts_api.post(f"/api/v1/appointments/{appointment_id}/cancel",
                                     json={"reason": "Congrès"}, headers=doctor.headers)
        assert canceled.status_code == 200, canceled.text
        ended = await sponsorship.result()
    assert ended.appointment_id == appointment_id and ended.status == "canceled"
    assert ended.refund_status == "pending"
    assert (await row(sessions, appointment_id)).canceled_by == "doctor"

    async def refunded() -> bool:
        async with sessions() as session:
            found = await session.get(Payment, payment_id)
            return found is not None and found.status == "refunded"

    await eventually(refunded)
