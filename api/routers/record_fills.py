"""A doctor fills in my record (API.md): the patient asks and pays, the doctor completes.

The fill's status belongs to `RecordFillWorkflow`; these routes create its row (with its
reference and its "my requests" entry), start it, read it, and ask it to complete. What
the doctor may do with the record meanwhile is in `api/routers/patient_records.py`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from api.cursors import keyset, page
from api.deps import (
    ActivePatient,
    ActiveUser,
    SessionDep,
    SettingsDep,
    TemporalClient,
    VerifiedDoctor,
)
from api.one_at_a_time import insert_or_conflict
from api.paid_processes import payment_payer, start_paid_process
from api.payments import payment_timings
from api.prices import quote_for
from api.problems import Problem
from api.processes import process_exists
from api.routers.documents import is_active_doctor_of
from api.workflow_errors import problem_from_temporal
from core.settings import Settings
from db.base import utcnow
from db.models import Payment, RecordFill, User
from db.models.record_fills import LIVE_RECORD_FILL_PER_PAIR
from db.models.requests import RequestIndexEntry
from db.queries.audit import Outcome, record_access
from db.queries.professionals import listed_doctor
from db.queries.record_fills import added_during
from db.queries.references import next_reference
from db.queries.requests import record_request
from domain.ids import new_id
from domain.money import Money
from domain.pagination import Page
from domain.paid import PaymentOrder
from domain.payments import InvoiceLine, PaymentView
from domain.prices import PriceQuote
from domain.record_fills import (
    CompleteRecordFill,
    RecordFillAdded,
    RecordFillCompleteIn,
    RecordFillCreated,
    RecordFillIn,
    RecordFillInput,
    RecordFillPerson,
    RecordFillStatus,
    RecordFillTimings,
    record_fill_workflow_id,
)
from domain.record_fills import RecordFill as RecordFillView
from domain.references import ReferenceKind
from domain.requests import RequestEntry, RequestKind
from workflows.common import ESAME_DOCTOR_ID, ESAME_PATIENT_ID, ESAME_STATUS
from workflows.record_fill import RecordFillWorkflow

router = APIRouter(prefix="/api/v1", tags=["record fills"])
Limit = Annotated[int, Query(ge=1, le=100)]
FillId = Annotated[str, Path(min_length=1, max_length=32)]

_NOT_YOUR_DOCTOR: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not one of the patient's active doctors."}}


def record_fill_timings(settings: Settings) -> RecordFillTimings:
    d = settings.durations
    return RecordFillTimings(within=d.record_fill_within, checkout_wait=d.payment_checkout_wait)


def _person(user: User) -> RecordFillPerson:
    return RecordFillPerson(id=user.id, esame_id=user.esame_id, first_name=user.first_name,
                            last_name=user.last_name)


async def fill_view(session: AsyncSession, row: RecordFill) -> RecordFillView:
    patient = await session.get(User, row.patient_id)
    doctor = await session.get(User, row.doctor_id)
    assert patient is not None and doctor is not None
    payment = await session.get(Payment, row.payment_id) if row.payment_id else None
    quote = row.quote
    added = (await added_during(session, row.id)
             if row.status != RecordFillStatus.pending_payment.value else RecordFillAdded())
    return RecordFillView(
        id=row.id, reference=row.reference, status=RecordFillStatus(row.status),
        patient=_person(patient), doctor=_person(doctor), note=row.note,
        completion_note=row.completion_note, price=quote.price, list_price=quote.list_price,
        rate=str(quote.rate), payment_id=row.payment_id,
        refund_status=payment.refund_status if payment is not None else None,
        created_at=row.created_at, updated_at=row.updated_at, paid_at=row.paid_at,
        ends_at=row.ends_at if row.status == RecordFillStatus.in_progress.value else None,
        closed_at=row.closed_at, added=added)


def _order(settings: Settings, quote: PriceQuote, reference: str, patient: User,
           doctor: User) -> PaymentOrder:
    description = f"Remplissage du dossier médical par Dr {doctor.first_name} {doctor.last_name}"
    price = quote.price
    d = settings.durations
    return PaymentOrder(
        amount=price, description=description,
        lines=[InvoiceLine(description=description, unit_price=price, total=price)],
        timings=payment_timings(settings), purpose="record_fill",
        summary=f"Payment for record fill {reference}", patient_id=patient.id,
        doctor_id=doctor.id,
        # Refundable until the fill can have expired: the payment's own deadline, the fill's
        # time, and a day's margin for the process to ask.
        refundable_for=d.payment_deadline + d.record_fill_within + timedelta(days=1))


@router.post("/record-fill-requests", status_code=201, response_model=RecordFillCreated,
             responses=_NOT_YOUR_DOCTOR)
async def ask_record_fill(
    body: RecordFillIn, user: ActivePatient, session: SessionDep, settings: SettingsDep,
    temporal: TemporalClient,
) -> RecordFillCreated:
    """Ask one of my doctors to fill in my record, and pay for it.

    Only one of the patient's active doctors (403 otherwise), at the price of their
    `record_fill` fee in the patient's currency (not gated by the plan). One fill under way
    per doctor at a time (409). Paid, the doctor may read and add to the record until they
    complete it or `record_fill_within` passes (then expired and refunded)."""
    listed = await listed_doctor(session, body.doctor_id)
    if listed is None or not await is_active_doctor_of(session, body.doctor_id, user.id):
        raise Problem(403, "This doctor is not one of your active doctors.")
    doctor, profile = listed
    quote = quote_for(settings, user, Money(amount=profile.fee_record_fill,
                                            currency=profile.fee_currency))
    payer = await payment_payer(session, settings, user, body)
    now = utcnow()
    reference = await next_reference(session, ReferenceKind.record_fill, now.year)
    row = RecordFill(id=new_id(), reference=reference, patient_id=user.id, doctor_id=doctor.id,
                     status=RecordFillStatus.pending_payment.value, note=body.note,
                     created_at=now, updated_at=now)
    row.set_quote(quote)
    await insert_or_conflict(session, row, rule=LIVE_RECORD_FILL_PER_PAIR,
                             detail="A record fill with this doctor is already under way.")
    await record_request(session, RequestEntry(
        user_id=user.id, reference=reference, kind=RequestKind.record_fill,
        status=row.status, process_id=row.id, doctor_id=doctor.id, at=now))
    await session.commit()

    fill_id = row.id
    workflow_id = record_fill_workflow_id(fill_id)
    try:
        payment = await start_paid_process(
            temporal, RecordFillWorkflow.run,
            RecordFillInput(fill_id=fill_id, reference=reference, patient_id=user.id,
                            doctor_id=doctor.id, payer=payer,
                            order=_order(settings, quote, reference, user, doctor),
                            timings=record_fill_timings(settings)),
            workflow_id=workflow_id, settings=settings, result_type=PaymentView,
            summary=(f"Record fill {reference}: patient {user.first_name} {user.last_name} "
                     f"({user.esame_id}) with Dr {doctor.first_name} {doctor.last_name} "
                     f"({doctor.esame_id})"),
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(ESAME_PATIENT_ID, user.id),
                SearchAttributePair(ESAME_DOCTOR_ID, doctor.id),
                SearchAttributePair(ESAME_STATUS, "record_fill_pending_payment")]))
    except Problem:
        if not await process_exists(temporal, workflow_id):
            # No process took it: the row goes, and with it the place it held.
            await _forget(session, fill_id)
        raise  # otherwise the process runs and records its end
    view = await _fresh_view(session, fill_id)
    return RecordFillCreated(**view.model_dump(), payment=payment)


async def _fresh_view(session: AsyncSession, fill_id: str) -> RecordFillView:
    """The fill as its process has just written it (a new transaction sees that write)."""
    await session.commit()
    fresh = await session.get(RecordFill, fill_id, populate_existing=True)
    assert fresh is not None
    return await fill_view(session, fresh)


async def _forget(session: AsyncSession, fill_id: str) -> None:
    row = await session.get(RecordFill, fill_id)
    if row is not None:
        await session.execute(delete(RequestIndexEntry).where(
            RequestIndexEntry.reference == row.reference))
        await session.delete(row)
        await session.commit()


def _list(query: Any, status: RecordFillStatus | None) -> Any:
    return query.where(RecordFill.status == status.value) if status is not None else query


@router.get("/me/record-fill-requests", response_model=Page[RecordFillView])
async def my_record_fills(
    user: ActivePatient, session: SessionDep, limit: Limit = 20, cursor: str | None = None,
    status: RecordFillStatus | None = None,
) -> Page[RecordFillView]:
    """The patient's record fill requests, newest first."""
    query = _list(select(RecordFill).where(RecordFill.patient_id == user.id), status)
    rows, next_cursor = page(list(await session.scalars(
        keyset(query, RecordFill.created_at, RecordFill.id, cursor, limit))),
        limit, lambda row: (row.created_at, row.id))
    return Page(items=[await fill_view(session, r) for r in rows], next_cursor=next_cursor)


@router.get("/record-fill-requests/{fill_id}", response_model=RecordFillView)
async def get_record_fill(fill_id: FillId, user: ActiveUser,
                          session: SessionDep) -> RecordFillView:
    """One record fill request: its patient or its doctor."""
    row = await session.get(RecordFill, fill_id)
    if row is None or user.id not in (row.patient_id, row.doctor_id):
        await _refused(session, user, row, "record_fill.read")
        raise Problem(404, "No such record fill request.")
    return await fill_view(session, row)


async def _refused(session: AsyncSession, user: User, row: RecordFill | None,
                   action: str) -> None:
    """An attempt on someone else's fill is audited (its patient as the subject)."""
    if row is not None:
        await record_access(session, user, row.patient_id, action,
                            f"record-fill-requests/{row.id}", Outcome.denied,
                            "not the patient or the doctor of this fill")


@router.get("/doctor/record-fill-requests", response_model=Page[RecordFillView])
async def doctor_record_fills(
    doctor: VerifiedDoctor, session: SessionDep, limit: Limit = 20,
    cursor: str | None = None, status: RecordFillStatus | None = None,
) -> Page[RecordFillView]:
    """The record fills patients asked of this doctor, newest first (paid ones: the
    unpaid are the patient's business)."""
    query = _list(select(RecordFill).where(
        RecordFill.doctor_id == doctor.id,
        RecordFill.status != RecordFillStatus.pending_payment.value), status)
    rows, next_cursor = page(list(await session.scalars(
        keyset(query, RecordFill.created_at, RecordFill.id, cursor, limit))),
        limit, lambda row: (row.created_at, row.id))
    return Page(items=[await fill_view(session, r) for r in rows], next_cursor=next_cursor)


@router.post("/doctor/record-fill-requests/{fill_id}/complete",
             response_model=RecordFillView)
async def complete_record_fill(
    fill_id: FillId, body: RecordFillCompleteIn, doctor: VerifiedDoctor, session: SessionDep,
    temporal: TemporalClient,
) -> RecordFillView:
    """Say the record is filled in: the fill is completed and the patient told.

    Only while in progress (409 otherwise); the doctor's access to the record ends here."""
    row = await session.get(RecordFill, fill_id)
    if row is None or row.doctor_id != doctor.id:
        await _refused(session, doctor, row, "record_fill.complete")
        raise Problem(404, "No such record fill request.")
    if row.status != RecordFillStatus.in_progress.value:
        raise Problem(409, f"This record fill is {row.status}.")
    if body.note is not None:
        # Plain data the doctor writes (the process carries no text); written before the
        # process decides, it stays on the request whatever the outcome.
        row.completion_note = body.note
        await session.commit()
    handle = temporal.get_workflow_handle(record_fill_workflow_id(fill_id))
    try:
        await handle.execute_update(RecordFillWorkflow.complete,
                                    CompleteRecordFill(doctor_id=doctor.id))
    except Exception as err:
        raise problem_from_temporal(err, closed_detail="This record fill is over.") from err
    return await _fresh_view(session, fill_id)
