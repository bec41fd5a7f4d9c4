"""Documents: upload, list, download and delete; sharing with the patient's active doctors;
written reports. Every access by someone other than the owner is in the audit log."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from sqlalchemy import and_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.cursors import keyset, page
from api.deps import ActivePatient, ActiveUser, SessionDep, SettingsDep, VerifiedDoctor
from api.problems import Problem
from api.routers.record import document_out
from db.base import utcnow
from db.models import CareLink, Document, DocumentReport, DocumentShare, User
from db.queries.audit import Outcome, record_access
from db.queries.entitlements import load_entitlements
from db.queries.professionals import verified
from domain import record as r
from domain.accounts import CareLinkStatus, Role
from domain.documents import safe_filename, sniff_content_type
from domain.ids import new_id
from domain.pagination import Page
from providers.storage import DocumentStorage, StoredObjectMissing, build_storage

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["documents"])


def get_storage(request: Request) -> DocumentStorage:
    """The app's storage provider, built from settings on first use."""
    state = request.app.state
    storage: DocumentStorage | None = getattr(state, "storage", None)
    if storage is None:
        storage = state.storage = build_storage(state.settings)
    return storage


StorageDep = Annotated[DocumentStorage, Depends(get_storage)]


# --- access -----------------------------------------------------------------------------

async def is_active_doctor_of(session: AsyncSession, doctor_id: str, patient_id: str, *,
                              for_update: bool = False) -> bool:
    """Whether the doctor is one of the patient's active doctors, with a verified licence (a
    refused one never acts). `for_update` when about to share with them: the link's row
    stays locked until the share is committed, so a removal of the doctor at that moment
    (which ends every share) waits and then sees the share (PostgreSQL; SQLite has a single
    writer)."""
    query = select(CareLink.id).where(
        CareLink.patient_id == patient_id, CareLink.doctor_id == doctor_id,
        CareLink.status == CareLinkStatus.active.value, verified(CareLink.doctor_id),
    ).limit(1)
    link = await session.scalar(query.with_for_update() if for_update else query)
    return link is not None


async def _shared_with(session: AsyncSession, document: Document, doctor_id: str) -> bool:
    shared = await session.scalar(select(DocumentShare.id).where(
        DocumentShare.document_id == document.id, DocumentShare.doctor_id == doctor_id))
    # A share lasts while the doctor is still the patient's doctor.
    return shared is not None and await is_active_doctor_of(session, doctor_id, document.owner_id)


@dataclass
class Access:
    document: Document
    is_owner: bool


async def document_access(
    session: AsyncSession, user: User, document_id: str, action: str, *, owner_only: bool
) -> Access:
    """The document if `user` may do `action` on it: its owner, or (unless owner_only) a
    doctor it is shared with. Anyone else gets 404, and the attempt is audited."""
    document = await session.get(Document, document_id)
    if document is None:
        raise Problem(404, "No such document.")
    if document.owner_id == user.id:
        return Access(document, is_owner=True)
    resource = f"document/{document.id}"
    shared = user.role == Role.doctor and await _shared_with(session, document, user.id)
    if shared and not owner_only:
        await record_access(session, user, document.owner_id, action, resource, Outcome.allowed)
        return Access(document, is_owner=False)
    await record_access(session, user, document.owner_id, action, resource, Outcome.denied,
                        "shared with this doctor, owner only" if shared else "not shared")
    if shared:
        raise Problem(403, "Only the patient can do this.")
    raise Problem(404, "No such document.")


# --- upload and list --------------------------------------------------------------------

@dataclass
class _Upload:
    id: str
    filename: str
    content_type: str
    data: bytes
    sha256: str
    key: str


async def _read_upload(file: UploadFile, max_bytes: int, owner_id: str) -> _Upload:
    data = await file.read(max_bytes + 1)
    name = file.filename or "document"
    if not data:
        raise Problem(422, f"{name}: the file is empty.",
                      errors=[{"location": "body",
                               "field": "files", "message": f"{name} is empty"}])
    if len(data) > max_bytes:
        raise Problem(413, f"{name}: a file may be at most {max_bytes} bytes.")
    content_type = sniff_content_type(data)
    if content_type is None:
        raise Problem(415, f"{name}: only PDF, JPEG, PNG and DICOM files are accepted "
                           "(checked from the content, not the name).")
    document_id = new_id()
    return _Upload(
        id=document_id, filename=safe_filename(file.filename, content_type),
        content_type=content_type, data=data, sha256=hashlib.sha256(data).hexdigest(),
        key=f"documents/{owner_id}/{document_id}",
    )


@router.post("/me/documents", status_code=201, response_model=Page[r.Document],
             tags=["medical record"])
async def upload_documents(
    user: ActivePatient,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    type: Annotated[r.DocumentType, Form()],  # noqa: A002 (the API's field name)
    files: Annotated[list[UploadFile], File(description="One or more files.")],
) -> Page[r.Document]:
    """Upload one or more documents (PDF, JPEG, PNG, DICOM) to the record.

    All or nothing: every file is checked before any is stored, and a failure while
    storing or recording removes what was already stored."""
    limits = settings.limits
    if len(files) > limits.documents_per_upload:
        raise Problem(422, f"At most {limits.documents_per_upload} files per upload.",
                      errors=[{"location": "body", "field": "files", "message": "too many files"}])
    uploads = [await _read_upload(f, limits.document_max_bytes, user.id) for f in files]
    # One upload at a time per user from the quota check to the commit, so that two uploads
    # racing cannot both fit in the same free space (a row lock on PostgreSQL; SQLite has
    # no row locks, and a single writer anyway).
    await session.execute(select(User.id).where(User.id == user.id).with_for_update())
    entitlements = await load_entitlements(
        session, user.id, free_storage_bytes=limits.storage_default_quota_bytes)
    quota, used = entitlements.storage_quota_bytes, entitlements.storage_used_bytes
    incoming = sum(len(u.data) for u in uploads)
    if used + incoming > quota:
        raise Problem(413, f"Storage quota exceeded: {used} of {quota} bytes used, "
                           f"{incoming} more asked.", type_="https://esame.cm/problems/quota")
    stored: list[str] = []
    try:
        for upload in uploads:
            await storage.put(upload.key, upload.data, upload.content_type)
            stored.append(upload.key)
        now = utcnow()
        rows = [
            Document(id=u.id, owner_id=user.id, type=type.value, filename=u.filename,
                     content_type=u.content_type, size=len(u.data), sha256=u.sha256,
                     storage_key=u.key, uploaded_at=now)
            for u in uploads
        ]
        session.add_all(rows)
        await session.commit()
    except BaseException:
        await session.rollback()
        for key in stored:
            try:
                await storage.delete(key)
            except Exception:  # the original error matters more; the orphan is logged
                log.exception("could not remove stored file %s after a failed upload", key)
        raise
    return Page(items=[document_out(row) for row in rows])


@router.get("/me/documents", response_model=Page[r.Document], tags=["medical record"])
async def list_documents(
    user: ActivePatient,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> Page[r.Document]:
    """The patient's documents, newest first."""
    query = select(Document).where(Document.owner_id == user.id)
    rows, next_cursor = page(
        list(await session.scalars(
            keyset(query, Document.uploaded_at, Document.id, cursor, limit))),
        limit, lambda row: (row.uploaded_at, row.id))
    return Page(items=[document_out(row) for row in rows], next_cursor=next_cursor)


# --- one document -----------------------------------------------------------------------

@router.get("/documents/{document_id}/content", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}})
async def download(
    document_id: str, user: ActiveUser, session: SessionDep, storage: StorageDep
) -> Response:
    """Download a document's content (its owner, or a doctor it is shared with)."""
    access = await document_access(session, user, document_id, "document.read",
                                   owner_only=False)
    document = access.document
    try:
        data = await storage.get(document.storage_key)
    except StoredObjectMissing as err:
        log.error("document %s has no stored content", document.id)
        raise Problem(404, "The document's content is missing.") from err
    return Response(
        content=data,
        media_type=document.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "ETag": f'"{document.sha256}"',
        },
    )


@router.delete("/documents/{document_id}", status_code=204, response_class=Response)
async def delete_document(
    document_id: str, user: ActiveUser, session: SessionDep, storage: StorageDep
) -> Response:
    """Delete a document, its shares and its reports."""
    access = await document_access(session, user, document_id, "document.delete",
                                   owner_only=True)
    key = access.document.storage_key
    # The row goes first: a storage failure then leaves an orphan file, never a row that
    # points at nothing.
    await session.execute(delete(DocumentReport).where(DocumentReport.document_id == document_id))
    await session.execute(delete(DocumentShare).where(DocumentShare.document_id == document_id))
    await session.execute(delete(Document).where(Document.id == document_id))
    await session.commit()
    try:
        await storage.delete(key)
    except Exception:
        log.exception("document %s deleted, its stored file %s was not", document_id, key)
    return Response(status_code=204)


# --- sharing ----------------------------------------------------------------------------

def _share_out(row: DocumentShare) -> r.Share:
    return r.Share(document_id=row.document_id, doctor_id=row.doctor_id,
                   shared_at=row.shared_at)


@router.post("/documents/{document_id}/shares", status_code=201, response_model=r.Share)
async def share(
    document_id: str, body: r.ShareIn, user: ActiveUser, session: SessionDep,
    response: Response,
) -> r.Share:
    """Share a document with one of the patient's active doctors.

    Sharing again answers 200."""
    await document_access(session, user, document_id, "document.share", owner_only=True)
    if not await is_active_doctor_of(session, body.doctor_id, user.id, for_update=True):
        raise Problem(422, "You can share only with one of your active doctors.",
                      errors=[{"location": "body",
                               "field": "doctor_id", "message": "not one of your active doctors"}])
    existing = await session.scalar(select(DocumentShare).where(
        DocumentShare.document_id == document_id, DocumentShare.doctor_id == body.doctor_id))
    if existing is not None:
        response.status_code = 200
        return _share_out(existing)
    row = DocumentShare(document_id=document_id, doctor_id=body.doctor_id)
    session.add(row)
    await session.commit()
    return _share_out(row)


@router.get("/documents/{document_id}/shares", response_model=Page[r.Share])
async def list_shares(document_id: str, user: ActiveUser, session: SessionDep) -> Page[r.Share]:
    """The doctors a document is shared with."""
    await document_access(session, user, document_id, "document.shares.read", owner_only=True)
    rows = await session.scalars(select(DocumentShare).where(
        DocumentShare.document_id == document_id).order_by(DocumentShare.shared_at))
    return Page(items=[_share_out(row) for row in rows])


@router.delete("/documents/{document_id}/shares/{doctor_id}", status_code=204,
               response_class=Response)
async def revoke(
    document_id: str, doctor_id: str, user: ActiveUser, session: SessionDep
) -> Response:
    """Stop sharing a document with a doctor."""
    await document_access(session, user, document_id, "document.unshare", owner_only=True)
    result = await session.execute(delete(DocumentShare).where(
        DocumentShare.document_id == document_id, DocumentShare.doctor_id == doctor_id))
    await session.commit()
    if not getattr(result, "rowcount", 0):
        raise Problem(404, "This document is not shared with this doctor.")
    return Response(status_code=204)


@router.get("/doctor/shared-documents", response_model=Page[r.SharedDocument],
            tags=["doctors"])
async def shared_with_me(
    doctor: VerifiedDoctor,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> Page[r.SharedDocument]:
    """The documents patients share with this doctor, newest share first.

    Only from patients whose active doctor this still is."""
    query = (
        select(DocumentShare, Document, User)
        .join(Document, Document.id == DocumentShare.document_id)
        .join(User, User.id == Document.owner_id)
        .join(CareLink, and_(CareLink.patient_id == Document.owner_id,
                             CareLink.doctor_id == doctor.id,
                             CareLink.status == CareLinkStatus.active.value))
        .where(DocumentShare.doctor_id == doctor.id)
    )
    rows, next_cursor = page(
        list((await session.execute(keyset(
            query, DocumentShare.shared_at, DocumentShare.id, cursor, limit))).tuples()),
        limit, lambda row: (row[0].shared_at, row[0].id))
    items = [
        r.SharedDocument(**document_out(doc).model_dump(), patient_id=patient.id,
                         patient_first_name=patient.first_name,
                         patient_last_name=patient.last_name, shared_at=share_row.shared_at)
        for share_row, doc, patient in rows
    ]
    # Reading the list is reading patients' data: one entry per patient shown.
    for patient_id in dict.fromkeys(item.patient_id for item in items):
        await record_access(session, doctor, patient_id, "documents.list_shared",
                            "doctor/shared-documents", Outcome.allowed)
    return Page(items=items, next_cursor=next_cursor)


# --- reports ----------------------------------------------------------------------------

def _report_out(row: DocumentReport) -> r.Report:
    return r.Report(id=row.id, document_id=row.document_id, author_id=row.author_id,
                    author_role=row.author_role, text=row.text, created_at=row.created_at)


@router.post("/documents/{document_id}/reports", status_code=201, response_model=r.Report)
async def add_report(
    document_id: str, body: r.ReportIn, user: ActiveUser, session: SessionDep
) -> r.Report:
    """Write a report on a document: its patient, or a doctor it is shared with."""
    await document_access(session, user, document_id, "document.report.write",
                          owner_only=False)
    row = DocumentReport(document_id=document_id, author_id=user.id, author_role=user.role,
                         text=body.text)
    session.add(row)
    await session.commit()
    return _report_out(row)


@router.get("/documents/{document_id}/reports", response_model=Page[r.Report])
async def list_reports(
    document_id: str, user: ActiveUser, session: SessionDep
) -> Page[r.Report]:
    """The reports written on a document, oldest first."""
    await document_access(session, user, document_id, "document.reports.read",
                          owner_only=False)
    rows = await session.scalars(select(DocumentReport).where(
        DocumentReport.document_id == document_id
    ).order_by(DocumentReport.created_at, DocumentReport.id))
    return Page(items=[_report_out(row) for row in rows])
