"""What the opinion tests share: a patient on a plan with an opinion, one of their doctors,
a draft as the API writes it, and a stand-in for the payment on the time-skipping server."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from temporalio import workflow

from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import Balance, CareLink, Message, Subscription
from db.models.opinions import OpinionAttachmentRow, OpinionRequestRow
from db.queries.opinions import record_opinion_entry
from db.queries.references import next_reference
from domain.accounts import Role
from domain.ids import new_id
from domain.money import Money
from domain.opinions import OpinionStatus, SubmitOpinion
from domain.paid import PAYMENT_REFUNDED, PaymentPayer, PaymentRefundSettled
from domain.payments import (
    PAYMENT_CREATED,
    PAYMENT_SETTLED,
    PaymentCreated,
    PaymentInput,
    PaymentMethod,
    PaymentResult,
    PaymentSettled,
    PaymentStatus,
    PaymentTimings,
    PaymentView,
    ProviderName,
    RefundRequest,
    RefundResult,
    RefundStatus,
)
from domain.prices import PriceQuote
from domain.references import ReferenceKind
from tests.support.users import TestUser, make_user
from workflows.common import signal_workflow

MINUTE = timedelta(minutes=1)


@dataclass
class People:
    patient: TestUser
    doctor: TestUser


async def subscribe(sessions: SessionMaker, user: TestUser, plan_id: str = "plan-confort",
                    ) -> None:
    async with sessions() as session, session.begin():
        session.add(Subscription(user_id=user.id, plan_id=plan_id, status="active",
                                 current_period_start=utcnow() - timedelta(days=1),
                                 current_period_end=utcnow() + timedelta(days=29)))


async def link(sessions: SessionMaker, patient: TestUser, doctor: TestUser) -> None:
    async with sessions() as session, session.begin():
        session.add(CareLink(patient_id=patient.id, doctor_id=doctor.id, status="active",
                             created_at=utcnow(), decided_at=utcnow()))


async def people(sessions: SessionMaker, settings: Settings, *, plan: bool = True,
                 currency: str = "XAF") -> People:
    """A patient (on the Confort plan unless `plan=False`) and one of their doctors."""
    patient = await make_user(sessions, settings, Role.patient, currency=currency,
                              address_line="12 rue de la Joie", phone="+237670000123")
    doctor = await make_user(sessions, settings, Role.doctor, phone="+237670001122")
    if plan:
        await subscribe(sessions, patient)
    await link(sessions, patient, doctor)
    async with sessions() as session, session.begin():  # SMS the doctor can be sent
        session.add(Balance(user_id=doctor.id, sms_plan=0, sms_purchased=10))
    return People(patient, doctor)


async def write_draft(sessions: SessionMaker, who: People, *, complete: bool = True
                      ) -> OpinionRequestRow:
    """A draft as `POST /opinion-requests` writes it (its process not started)."""
    now = utcnow()
    async with sessions() as session, session.begin():
        reference = await next_reference(session, ReferenceKind.opinion_request, now.year)
        row = OpinionRequestRow(
            id=new_id(), reference=reference, patient_id=who.patient.id,
            doctor_id=who.doctor.id, status=OpinionStatus.draft.value,
            reason="Douleurs thoraciques", symptoms="Oppression à l'effort" if complete
            else None, illness_history="Depuis deux semaines" if complete else None,
            vitals=[], created_at=now, updated_at=now)
        session.add(row)
        await record_opinion_entry(session, row, row.status, now)
    return row


def submission(who: People, amount: int = 20000) -> SubmitOpinion:
    price = Money(amount=amount, currency="XAF")
    return SubmitOpinion(
        patient_id=who.patient.id,
        payer=PaymentPayer(user_id=who.patient.id, method=PaymentMethod.card,
                           provider=ProviderName.sandbox, billing_address_id="address"),
        quote=PriceQuote(price=price, list_price=price, rate=Decimal(1),
                         rate_source="same currency", quoted_at=utcnow()),
        payment_timings=PaymentTimings(deadline=timedelta(hours=1), poll_initial=MINUTE,
                                       poll_max=MINUTE),
        doctor_name="Doctor Test")


async def row_of(sessions: SessionMaker, request_id: str) -> OpinionRequestRow:
    async with sessions() as session:
        row = await session.get(OpinionRequestRow, request_id)
    assert row is not None
    return row


async def attachments_of(sessions: SessionMaker, request_id: str) -> list[OpinionAttachmentRow]:
    async with sessions() as session:
        return list(await session.scalars(select(OpinionAttachmentRow).where(
            OpinionAttachmentRow.request_id == request_id)))


async def templates_to(sessions: SessionMaker, user_id: str) -> list[str]:
    """The templates sent to a user, oldest first (email and SMS)."""
    async with sessions() as session:
        rows = await session.scalars(select(Message).where(Message.user_id == user_id)
                                     .order_by(Message.created_at))
        return [m.template for m in rows]


@workflow.defn(name="PaymentWorkflow")
class ScriptedPayment:
    """Stands for PaymentWorkflow on the time-skipping server: created at once, succeeds a
    minute later (a payer whose billing address is "fail" fails), refunded a minute after
    the refund is asked."""

    def __init__(self) -> None:
        self._refund: RefundRequest | None = None

    @workflow.run
    async def run(self, p: PaymentInput) -> PaymentResult:
        assert p.notify_workflow_id is not None
        view = PaymentView(id=p.payment_id, status=PaymentStatus.pending, method=p.method,
                           provider=p.provider, amount=p.amount,
                           checkout_url=f"https://pay.example/{p.payment_id}")
        await signal_workflow(p.notify_workflow_id, PAYMENT_CREATED, PaymentCreated(payment=view))
        await workflow.sleep(MINUTE)
        status = (PaymentStatus.failed if p.billing_address_id == "fail"
                  else PaymentStatus.succeeded)
        result = PaymentResult(payment_id=p.payment_id, status=status)
        await signal_workflow(p.notify_workflow_id, PAYMENT_SETTLED, PaymentSettled(result=result))
        if status is PaymentStatus.succeeded:
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._refund is not None,
                                              timeout=p.refundable_for)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return PaymentResult(payment_id=p.payment_id,
                             status=PaymentStatus.refunded if self._refund else status)

    @workflow.update(name="refund")
    async def refund(self, request: RefundRequest) -> RefundResult:
        self._refund = request
        info = workflow.info()
        assert info.parent is not None
        await workflow.sleep(MINUTE)  # the provider pays back later
        await signal_workflow(info.parent.workflow_id, PAYMENT_REFUNDED, PaymentRefundSettled(
            payment_id=info.workflow_id.removeprefix("payment-"),
            refund_status=RefundStatus.succeeded, reason=request.reason))
        return RefundResult(payment_id=info.workflow_id, status=PaymentStatus.refunded)


async def message(sessions: SessionMaker, request_id: str, author: TestUser,
                  text: str = "Oui, surtout en montant les escaliers.") -> str:
    """A thread message as the API writes it (before it signals the process)."""
    from db.models.opinions import OpinionMessageRow

    async with sessions() as session, session.begin():
        row = OpinionMessageRow(id=new_id(), request_id=request_id, author_id=author.id,
                                author_role=author.role.value, purpose="message", text=text,
                                created_at=utcnow())
        session.add(row)
    return row.id
