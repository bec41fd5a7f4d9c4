"""Opinion requests: the record items a request attaches (as they are now, or frozen), the
care link that lets a patient ask a doctor, and the request's entry in "my requests"."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Allergy,
    Antecedent,
    CareLink,
    Document,
    DocumentShare,
    Treatment,
)
from db.models.opinions import OpinionAttachmentRow, OpinionRequestRow
from db.queries.professionals import verified
from db.queries.requests import record_request
from domain.accounts import CareLinkStatus
from domain.opinions import AttachmentKind
from domain.requests import RequestEntry, RequestKind

_MODELS: dict[AttachmentKind, Any] = {
    AttachmentKind.antecedent: Antecedent,
    AttachmentKind.allergy: Allergy,
    AttachmentKind.treatment: Treatment,
    AttachmentKind.document: Document,
}
_FIELDS: dict[AttachmentKind, tuple[str, ...]] = {
    AttachmentKind.antecedent: ("category", "description", "onset_date", "created_at"),
    AttachmentKind.allergy: ("substance", "reaction", "severity", "created_at"),
    AttachmentKind.treatment: ("drug_id", "name", "dosage", "frequency", "since",
                               "created_at"),
    AttachmentKind.document: ("type", "filename", "content_type", "size", "sha256",
                              "uploaded_at"),
}


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def record_item(session: AsyncSession, kind: AttachmentKind, item_id: str,
                      owner_id: str) -> dict[str, Any] | None:
    """The item as it is now, if it is `owner_id`'s (None otherwise: someone else's or
    gone)."""
    model = _MODELS[kind]
    row = await session.get(model, item_id)
    owner = getattr(row, "owner_id" if kind is AttachmentKind.document else "patient_id", None)
    if row is None or owner != owner_id:
        return None
    return {"id": row.id, **{name: _plain(getattr(row, name)) for name in _FIELDS[kind]}}


async def is_active_doctor(session: AsyncSession, patient_id: str, doctor_id: str) -> bool:
    """The doctor is one of the patient's active doctors, with a verified licence."""
    link = await session.scalar(select(CareLink.id).where(
        CareLink.patient_id == patient_id, CareLink.doctor_id == doctor_id,
        CareLink.status == CareLinkStatus.active.value, verified(CareLink.doctor_id)).limit(1))
    return link is not None


async def freeze_attachments(session: AsyncSession, request: OpinionRequestRow,
                             at: datetime) -> None:
    """Copy each attached item into its attachment row, once: later edits of the record do
    not change what the doctor reads (an item deleted before submission is kept as
    `removed`)."""
    rows = await session.scalars(select(OpinionAttachmentRow).where(
        OpinionAttachmentRow.request_id == request.id, OpinionAttachmentRow.frozen_at.is_(None)))
    for row in rows:
        item = await record_item(session, AttachmentKind(row.kind), row.item_id,
                                 request.patient_id)
        row.frozen = item if item is not None else {"id": row.item_id, "removed": True}
        row.frozen_at = at


async def share_attached_documents(session: AsyncSession, request: OpinionRequestRow) -> None:
    """The attached documents become readable by the doctor through the document shares
    (and their audit); a share that exists already is kept."""
    document_ids = list(await session.scalars(select(OpinionAttachmentRow.item_id).where(
        OpinionAttachmentRow.request_id == request.id,
        OpinionAttachmentRow.kind == AttachmentKind.document.value)))
    if not document_ids:
        return
    owned = set(await session.scalars(select(Document.id).where(
        Document.id.in_(document_ids), Document.owner_id == request.patient_id)))
    shared = set(await session.scalars(select(DocumentShare.document_id).where(
        DocumentShare.document_id.in_(owned), DocumentShare.doctor_id == request.doctor_id)))
    for document_id in sorted(owned - shared):
        session.add(DocumentShare(document_id=document_id, doctor_id=request.doctor_id))


async def record_opinion_entry(session: AsyncSession, request: OpinionRequestRow,
                               status: str, at: datetime) -> None:
    await record_request(session, RequestEntry(
        user_id=request.patient_id, reference=request.reference, kind=RequestKind.opinion,
        status=status, process_id=request.id, doctor_id=request.doctor_id, at=at))
