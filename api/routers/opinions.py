"""Medical opinion requests (seed §VIII "Faire une demande d'avis médical").

The patient writes a draft (plain data, edited here), attaches record items, talks with the
doctor and submits; the process `opinion-<id>` owns every status from then on (and the
draft's own end: deleted, or closed when left alone). The doctor's side reads the request
with its frozen attachments (each read audited) and acts through the process's Updates.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.account_processes import commit_then_start
from api.consultation_drafts import write_consultation_draft
from api.cursors import keyset, page
from api.deps import (
    ActivePatient,
    ActiveUser,
    SessionDep,
    SettingsDep,
    TemporalClient,
    VerifiedDoctor,
)
from api.opinion_processes import opinion_handle, start_opinion, update_opinion
from api.paid_processes import payment_payer
from api.payments import payment_timings
from api.plan_gate import require_plan
from api.prices import quote_for
from api.problems import Problem
from db.base import utcnow
from db.models import DoctorProfile, User
from db.models.opinions import OpinionAttachmentRow, OpinionMessageRow, OpinionRequestRow
from db.queries.audit import Outcome, record_access
from db.queries.consultations import consultation_views, published_consultation
from db.queries.opinions import is_active_doctor, record_item, record_opinion_entry
from db.queries.references import next_reference
from domain.accounts import Role
from domain.care import CareService
from domain.consultations import ConsultationIn, ConsultationKind, ConsultationSource
from domain.ids import new_id
from domain.money import Money
from domain.opinions import (
    DOCTOR_VISIBLE,
    FINAL,
    MAX_ATTACHMENTS,
    MESSAGE_POSTED,
    AnswerGiven,
    AnswerIn,
    AskIn,
    Attachment,
    AttachmentIn,
    AttachmentKind,
    DeclineIn,
    DiscardDraft,
    DoctorAction,
    MessageIn,
    MessagePosted,
    MessagePurpose,
    OpinionDraftIn,
    OpinionDraftPatch,
    OpinionRequest,
    OpinionState,
    OpinionStatus,
    OpinionSubmitted,
    SubmitOpinion,
    ThreadMessage,
)
from domain.pagination import Page
from domain.payments import PaymentRequest, PaymentView
from domain.references import ReferenceKind

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["opinion requests"])
doctor_router = APIRouter(prefix="/api/v1/doctor/opinion-requests",
                          tags=["opinion requests", "doctors"])
Limit = Annotated[int, Query(ge=1, le=100)]
NOT_FOUND = "No such opinion request."


# --- reading ----------------------------------------------------------------------------

def _resource(row: OpinionRequestRow) -> str:
    return f"opinion-request/{row.id}"


async def _attachments(session: AsyncSession, row: OpinionRequestRow, *,
                       frozen_only: bool) -> list[Attachment]:
    rows = await session.scalars(select(OpinionAttachmentRow).where(
        OpinionAttachmentRow.request_id == row.id).order_by(
        OpinionAttachmentRow.created_at, OpinionAttachmentRow.id))
    out = []
    for a in rows:
        if a.frozen_at is not None:
            item = a.frozen
        elif frozen_only:
            continue
        else:
            item = await record_item(session, AttachmentKind(a.kind), a.item_id, row.patient_id)
        out.append(Attachment(id=a.id, kind=AttachmentKind(a.kind), item_id=a.item_id,
                              attached_at=a.created_at, frozen_at=a.frozen_at, item=item))
    return out


async def _view(session: AsyncSession, row: OpinionRequestRow, *,
                for_doctor: bool = False) -> OpinionRequest:
    draft_for_doctor = for_doctor and row.status in (OpinionStatus.draft.value,
                                                     OpinionStatus.canceled.value)
    consultation = None
    if row.consultation_id is not None:
        published = await published_consultation(session, row.consultation_id)
        if published is not None:
            consultation = (await consultation_views(session, [published]))[0]
    view = OpinionRequest(
        id=row.id, reference=row.reference, status=OpinionStatus(row.status),
        patient_id=row.patient_id, doctor_id=row.doctor_id, reason=row.reason,
        symptoms=row.symptoms, illness_history=row.illness_history, vitals=row.vitals or [],
        attachments=[] if draft_for_doctor else await _attachments(
            session, row, frozen_only=for_doctor),
        price=row.price, list_price=row.list_price, rate=row.price_rate,
        payment_id=row.payment_id, refund_status=row.refund_status,
        created_at=row.created_at, updated_at=row.updated_at, submitted_at=row.submitted_at,
        paid_at=row.paid_at, due_at=row.due_at, answered_at=row.answered_at,
        follow_up_until=row.follow_up_until, consultation=consultation)
    if draft_for_doctor:
        # A draft reaches the doctor with its reason only.
        view = view.model_copy(update={"symptoms": None, "illness_history": None,
                                       "vitals": []})
    return view


async def _request_for(session: AsyncSession, user: User, request_id: str, action: str,
                       ) -> OpinionRequestRow:
    """The request if `user` is its patient or its doctor (a doctor's read audited);
    404 for anyone else, the attempt audited."""
    row = await session.get(OpinionRequestRow, request_id)
    if row is None:
        raise Problem(404, NOT_FOUND)
    if user.id == row.patient_id:
        return row
    if user.id == row.doctor_id and user.role == Role.doctor:
        await record_access(session, user, row.patient_id, action, _resource(row),
                            Outcome.allowed)
        return row
    await record_access(session, user, row.patient_id, action, _resource(row), Outcome.denied,
                        "neither its patient nor its doctor")
    raise Problem(404, NOT_FOUND)


async def _own_draft(session: AsyncSession, patient: User, request_id: str,
                     action: str) -> OpinionRequestRow:
    row = await _request_for(session, patient, request_id, action)
    if row.patient_id != patient.id:
        raise Problem(404, NOT_FOUND)
    if row.status != OpinionStatus.draft.value or row.submitted_at is not None:
        raise Problem(409, f"This request is {row.status}: only a draft can change.")
    return row


# --- the patient's draft ----------------------------------------------------------------

def _vitals(body: OpinionDraftIn | OpinionDraftPatch) -> list[dict[str, Any]] | None:
    if body.vitals is None:
        return None
    return [v.model_dump(mode="json", exclude_none=True) for v in body.vitals]


@router.post("/opinion-requests", status_code=201, response_model=OpinionRequest,
             responses={403: {"description": "not one of your active doctors"}})
async def create_opinion_request(
    body: OpinionDraftIn, patient: ActivePatient, session: SessionDep,
    settings: SettingsDep, temporal: TemporalClient,
) -> OpinionRequest:
    """Write a draft opinion request to one of your active doctors."""
    doctor = await session.get(User, body.doctor_id)
    if doctor is None or doctor.role != Role.doctor or not await is_active_doctor(
            session, patient.id, doctor.id):
        raise Problem(403, "You can ask an opinion only of one of your active doctors.")
    now = utcnow()
    reference = await next_reference(session, ReferenceKind.opinion_request, now.year)
    row = OpinionRequestRow(
        id=new_id(), reference=reference, patient_id=patient.id, doctor_id=doctor.id,
        status=OpinionStatus.draft.value, reason=body.reason, symptoms=body.symptoms,
        illness_history=body.illness_history, vitals=_vitals(body) or [], created_at=now,
        updated_at=now)
    session.add(row)
    await record_opinion_entry(session, row, OpinionStatus.draft.value, now)
    await session.flush()

    async def start() -> None:
        await start_opinion(temporal, settings, row, patient, doctor)

    await commit_then_start(session, start, row)
    return await _view(session, row)


@router.patch("/opinion-requests/{request_id}", response_model=OpinionRequest)
async def edit_opinion_request(
    request_id: str, body: OpinionDraftPatch, patient: ActivePatient, session: SessionDep,
) -> OpinionRequest:
    """Edit a draft (409 once submitted)."""
    row = await _own_draft(session, patient, request_id, "opinion.edit")
    # Locked until committed: the submission's freeze waits for this edit, then sees it.
    await session.refresh(row, with_for_update=True)
    if row.status != OpinionStatus.draft.value or row.submitted_at is not None:
        raise Problem(409, f"This request is {row.status}: only a draft can change.")
    for name in ("reason", "symptoms", "illness_history"):
        value = getattr(body, name)
        if value is not None:
            setattr(row, name, value)
    vitals = _vitals(body)
    if vitals is not None:
        row.vitals = vitals
    row.updated_at = utcnow()
    await session.commit()
    return await _view(session, row)


@router.delete("/opinion-requests/{request_id}", status_code=204, response_class=Response)
async def delete_opinion_request(
    request_id: str, patient: ActivePatient, session: SessionDep, temporal: TemporalClient,
) -> Response:
    """Delete a draft: its process ends it (`canceled`)."""
    row = await _own_draft(session, patient, request_id, "opinion.delete")
    await update_opinion(temporal, row.id, "discard", DiscardDraft(patient_id=patient.id),
                         OpinionState)
    return Response(status_code=204)


@router.get("/opinion-requests/{request_id}", response_model=OpinionRequest)
async def get_opinion_request(
    request_id: str, user: ActiveUser, session: SessionDep,
) -> OpinionRequest:
    """One opinion request: its patient, or its doctor (audited)."""
    row = await _request_for(session, user, request_id, "opinion.read")
    return await _view(session, row, for_doctor=user.id != row.patient_id)


@router.get("/me/opinion-requests", response_model=Page[OpinionRequest])
async def my_opinion_requests(
    patient: ActivePatient, session: SessionDep, limit: Limit = 20, cursor: str | None = None,
    status: OpinionStatus | None = None,
) -> Page[OpinionRequest]:
    """The patient's opinion requests, newest first."""
    query = select(OpinionRequestRow).where(OpinionRequestRow.patient_id == patient.id)
    if status is not None:
        query = query.where(OpinionRequestRow.status == status.value)
    rows, next_cursor = page(
        list(await session.scalars(keyset(query, OpinionRequestRow.created_at,
                                          OpinionRequestRow.id, cursor, limit))),
        limit, lambda row: (row.created_at, row.id))
    return Page(items=[await _view(session, row) for row in rows], next_cursor=next_cursor)


# --- attachments ------------------------------------------------------------------------

@router.post("/opinion-requests/{request_id}/attachments", status_code=201,
             response_model=Attachment)
async def attach(
    request_id: str, body: AttachmentIn, patient: ActivePatient, session: SessionDep,
    response: Response,
) -> Attachment:
    """Attach one of your record items or documents to a draft.

    Attaching the same item again answers 200."""
    row = await _own_draft(session, patient, request_id, "opinion.attach")
    item = await record_item(session, body.kind, body.item_id, patient.id)
    if item is None:
        raise Problem(422, "Attach only items of your own record.", errors=[{
            "location": "body", "field": "item_id", "message": "not an item of your record",
            "type": "not_found"}])
    existing = await session.scalar(select(OpinionAttachmentRow).where(
        OpinionAttachmentRow.request_id == row.id,
        OpinionAttachmentRow.kind == body.kind.value,
        OpinionAttachmentRow.item_id == body.item_id))
    if existing is None:
        count = await session.scalar(select(func.count()).where(
            OpinionAttachmentRow.request_id == row.id))
        if (count or 0) >= MAX_ATTACHMENTS:
            raise Problem(422, f"At most {MAX_ATTACHMENTS} attachments.", errors=[{
                "location": "body", "field": "item_id", "message": "too many attachments"}])
        existing = OpinionAttachmentRow(id=new_id(), request_id=row.id, kind=body.kind.value,
                                        item_id=body.item_id, created_at=utcnow())
        session.add(existing)
        await session.commit()
    else:
        response.status_code = 200
    return Attachment(id=existing.id, kind=body.kind, item_id=existing.item_id,
                      attached_at=existing.created_at, item=item)


@router.delete("/opinion-requests/{request_id}/attachments/{attachment_id}",
               status_code=204, response_class=Response)
async def detach(
    request_id: str, attachment_id: str, patient: ActivePatient, session: SessionDep,
) -> Response:
    """Take an attachment off a draft."""
    row = await _own_draft(session, patient, request_id, "opinion.detach")
    result = await session.execute(delete(OpinionAttachmentRow).where(
        OpinionAttachmentRow.id == attachment_id, OpinionAttachmentRow.request_id == row.id))
    await session.commit()
    if not getattr(result, "rowcount", 0):
        raise Problem(404, "No such attachment.")
    return Response(status_code=204)


# --- the thread -------------------------------------------------------------------------

def _message_out(row: OpinionMessageRow) -> ThreadMessage:
    return ThreadMessage(id=row.id, author_id=row.author_id, author_role=row.author_role,
                         purpose=MessagePurpose(row.purpose), text=row.text,
                         created_at=row.created_at)


async def _write_message(session: AsyncSession, row: OpinionRequestRow, author: User,
                         text: str, purpose: MessagePurpose) -> OpinionMessageRow:
    message = OpinionMessageRow(id=new_id(), request_id=row.id, author_id=author.id,
                                author_role=author.role, purpose=purpose.value, text=text,
                                created_at=utcnow())
    session.add(message)
    await session.commit()
    return message


@router.post("/opinion-requests/{request_id}/messages", status_code=201,
             response_model=ThreadMessage)
async def post_message(
    request_id: str, body: MessageIn, user: ActiveUser, session: SessionDep,
    temporal: TemporalClient,
) -> ThreadMessage:
    """Write in the request's thread (its patient or its doctor); the other side is emailed."""
    row = await _request_for(session, user, request_id, "opinion.message.write")
    if row.status in {s.value for s in FINAL}:
        raise Problem(409, f"This request is {row.status}: its thread is closed.")
    message = await _write_message(session, row, user, body.text, MessagePurpose.message)
    try:
        await opinion_handle(temporal, row.id).signal(
            MESSAGE_POSTED.name, MessagePosted(message_id=message.id, author_role=user.role))
    except Exception as err:  # the process ended at this moment: the thread is closed
        await session.execute(delete(OpinionMessageRow).where(
            OpinionMessageRow.id == message.id))
        await session.commit()
        raise Problem(409, "This request's thread is closed.") from err
    return _message_out(message)


@router.get("/opinion-requests/{request_id}/messages", response_model=Page[ThreadMessage])
async def list_messages(
    request_id: str, user: ActiveUser, session: SessionDep, limit: Annotated[
        int, Query(ge=1, le=200)] = 100, cursor: str | None = None,
) -> Page[ThreadMessage]:
    """The request's thread, oldest first."""
    row = await _request_for(session, user, request_id, "opinion.messages.read")
    query = select(OpinionMessageRow).where(OpinionMessageRow.request_id == row.id)
    rows, next_cursor = page(
        list(await session.scalars(keyset(query, OpinionMessageRow.created_at,
                                          OpinionMessageRow.id, cursor, limit,
                                          newest_first=False))),
        limit, lambda m: (m.created_at, m.id))
    return Page(items=[_message_out(m) for m in rows], next_cursor=next_cursor)


# --- submitting ---------------------------------------------------------------------------

@router.post("/opinion-requests/{request_id}/submit", status_code=201,
             response_model=OpinionSubmitted)
async def submit(
    request_id: str, body: PaymentRequest, patient: ActivePatient, session: SessionDep,
    settings: SettingsDep, temporal: TemporalClient,
) -> OpinionSubmitted:
    """Pay and transmit a draft ("payer et transmettre")."""
    row = await _own_draft(session, patient, request_id, "opinion.submit")
    await require_plan(session, settings, patient, CareService.opinion)
    profile = await session.get(DoctorProfile, row.doctor_id)
    doctor = await session.get(User, row.doctor_id)
    if profile is None or doctor is None or profile.fee_opinion <= 0:
        raise Problem(409, "This doctor does not give paid opinions.")
    quote = quote_for(settings, patient, Money(amount=profile.fee_opinion,
                                               currency=profile.fee_currency))
    payer = await payment_payer(session, settings, patient, body)
    await session.commit()  # no lock held while the process answers
    view = await update_opinion(temporal, row.id, "submit", SubmitOpinion(
        patient_id=patient.id, payer=payer, quote=quote,
        payment_timings=payment_timings(settings),
        doctor_name=f"{doctor.first_name} {doctor.last_name}"), PaymentView)
    return OpinionSubmitted(id=row.id, reference=row.reference,
                            status=OpinionStatus.pending_payment, price=quote.price,
                            list_price=quote.list_price, payment=view)


# --- the doctor's side --------------------------------------------------------------------

async def _doctors(session: AsyncSession, doctor: User, request_id: str,
                   action: str) -> OpinionRequestRow:
    row = await _request_for(session, doctor, request_id, action)
    if row.doctor_id != doctor.id:
        raise Problem(404, NOT_FOUND)
    return row


@doctor_router.get("", response_model=Page[OpinionRequest])
async def doctor_queue(
    doctor: VerifiedDoctor, session: SessionDep, status: OpinionStatus | None = None,
    limit: Limit = 20, cursor: str | None = None,
) -> Page[OpinionRequest]:
    """The doctor's opinion requests, newest first (by `status`).

    Without `status`: every request but drafts; a draft shows its reason only."""
    query = select(OpinionRequestRow).where(OpinionRequestRow.doctor_id == doctor.id)
    if status is not None:
        query = query.where(OpinionRequestRow.status == status.value)
    else:
        query = query.where(OpinionRequestRow.status.in_([s.value for s in DOCTOR_VISIBLE]))
    rows, next_cursor = page(
        list(await session.scalars(keyset(query, OpinionRequestRow.created_at,
                                          OpinionRequestRow.id, cursor, limit))),
        limit, lambda row: (row.created_at, row.id))
    items = [await _view(session, row, for_doctor=True) for row in rows]
    for patient_id in dict.fromkeys(row.patient_id for row in rows):
        await record_access(session, doctor, patient_id, "opinion.list",
                            "doctor/opinion-requests", Outcome.allowed)
    return Page(items=items, next_cursor=next_cursor)


@doctor_router.get("/{request_id}", response_model=OpinionRequest)
async def doctor_request(
    request_id: str, doctor: VerifiedDoctor, session: SessionDep,
) -> OpinionRequest:
    """One request with its frozen attachments (each attachment read is audited)."""
    row = await _doctors(session, doctor, request_id, "opinion.read")
    view = await _view(session, row, for_doctor=True)
    for attachment in view.attachments:
        await record_access(session, doctor, row.patient_id, "opinion.attachment.read",
                            f"{_resource(row)}/attachment/{attachment.kind.value}/"
                            f"{attachment.item_id}", Outcome.allowed)
    return view


async def _doctor_update(temporal: TemporalClient, session: AsyncSession, row: OpinionRequestRow,
                         update: str, arg: Any) -> OpinionRequest:
    await update_opinion(temporal, row.id, update, arg, OpinionState)
    await session.refresh(row)
    return await _view(session, row, for_doctor=True)


@doctor_router.post("/{request_id}/accept", response_model=OpinionRequest)
async def accept(
    request_id: str, doctor: VerifiedDoctor, session: SessionDep, temporal: TemporalClient,
) -> OpinionRequest:
    """Take a transmitted request in review."""
    row = await _doctors(session, doctor, request_id, "opinion.accept")
    return await _doctor_update(temporal, session, row, "accept",
                                DoctorAction(doctor_id=doctor.id))


async def _with_message(temporal: TemporalClient, session: AsyncSession,
                        row: OpinionRequestRow, doctor: User, text: str,
                        purpose: MessagePurpose, update: str) -> OpinionRequest:
    if row.status not in {s.value for s in (OpinionStatus.transmitted, OpinionStatus.in_review,
                                            OpinionStatus.waiting_for_patient)}:
        raise Problem(409, f"This request is {row.status}.")
    message = await _write_message(session, row, doctor, text, purpose)
    try:
        return await _doctor_update(temporal, session, row, update,
                                    DoctorAction(doctor_id=doctor.id, message_id=message.id))
    except Problem:
        # Refused: the thread does not keep a question or a reason that did not happen.
        await session.execute(delete(OpinionMessageRow).where(
            OpinionMessageRow.id == message.id))
        await session.commit()
        raise


@doctor_router.post("/{request_id}/decline", response_model=OpinionRequest)
async def decline(
    request_id: str, body: DeclineIn, doctor: VerifiedDoctor, session: SessionDep,
    temporal: TemporalClient,
) -> OpinionRequest:
    """Decline a request: the patient is refunded in full and told."""
    row = await _doctors(session, doctor, request_id, "opinion.decline")
    return await _with_message(temporal, session, row, doctor, body.reason,
                               MessagePurpose.decline, "decline")


@doctor_router.post("/{request_id}/ask", response_model=OpinionRequest)
async def ask(
    request_id: str, body: AskIn, doctor: VerifiedDoctor, session: SessionDep,
    temporal: TemporalClient,
) -> OpinionRequest:
    """Ask the patient a question: the clock stops until they answer."""
    row = await _doctors(session, doctor, request_id, "opinion.ask")
    return await _with_message(temporal, session, row, doctor, body.question,
                               MessagePurpose.question, "ask")


@doctor_router.post("/{request_id}/answer", response_model=OpinionRequest)
async def answer(
    request_id: str, body: AnswerIn, doctor: VerifiedDoctor, session: SessionDep,
    temporal: TemporalClient,
) -> OpinionRequest:
    """Answer in writing, with prescriptions: final, it cannot be changed afterwards."""
    row = await _doctors(session, doctor, request_id, "opinion.answer")
    if row.status not in {s.value for s in (OpinionStatus.transmitted, OpinionStatus.in_review,
                                            OpinionStatus.waiting_for_patient)}:
        raise Problem(409, f"This request is {row.status}.")
    consultation_id = await write_consultation_draft(
        session, source=ConsultationSource.opinion_request, source_id=row.id,
        kind=ConsultationKind.opinion, patient_id=row.patient_id, doctor_id=doctor.id,
        occurred_at=utcnow(), body=ConsultationIn(
            summary=body.opinion, recommendations=body.recommendations,
            prescriptions=body.prescriptions))
    await session.commit()
    return await _doctor_update(temporal, session, row, "answer",
                                AnswerGiven(doctor_id=doctor.id,
                                            consultation_id=consultation_id))

