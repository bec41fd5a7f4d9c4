""""My requests" (seed "Mes demandes"): every process that concerns the patient, of every
kind, in one list (domain/requests.py is the registry of kinds)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.cursors import keyset, page
from api.deps import ActivePatient, SessionDep
from api.problems import Problem
from db.models.requests import RequestIndexEntry as Row
from db.queries.requests import request_item, requests_of
from domain.pagination import Page
from domain.references import parse_reference
from domain.requests import ALL_STATUSES, REQUEST_KINDS, RequestItem, RequestKind

router = APIRouter(prefix="/api/v1/me/requests", tags=["my requests"])
Limit = Annotated[int, Query(ge=1, le=100)]


def _checked_status(kind: RequestKind | None, status: str | None) -> str | None:
    if status is None:
        return None
    known = REQUEST_KINDS[kind].statuses if kind is not None else ALL_STATUSES
    if status not in known:
        raise Problem(422, f"{status!r} is not a status of "
                      f"{kind.value if kind else 'any kind of request'}.",
                      errors=[{"field": "status", "message": "unknown status",
                               "type": "enum"}])
    return status


@router.get("", response_model=Page[RequestItem])
async def my_requests(
    user: ActivePatient, session: SessionDep, kind: RequestKind | None = None,
    status: Annotated[str | None, Query(max_length=32)] = None, limit: Limit = 20,
    cursor: str | None = None,
) -> Page[RequestItem]:
    """Newest first, each request once, of every kind (filter by `kind` and `status`)."""
    query = requests_of(user.id, kind, _checked_status(kind, status))
    rows, next_cursor = page(
        list((await session.execute(
            keyset(query, Row.created_at, Row.id, cursor, limit))).tuples()),
        limit, lambda found: (found[0].created_at, found[0].id))
    language = user.language or "fr"
    return Page(items=[request_item(found, language) for found in rows],
                next_cursor=next_cursor)


@router.get("/{reference}", response_model=RequestItem,
            responses={404: {"description": "no request of yours has this reference"}})
async def my_request(reference: str, user: ActivePatient, session: SessionDep) -> RequestItem:
    """One of the caller's requests, by its reference."""
    parsed = parse_reference(reference)
    if parsed is None:
        raise Problem(404, "No request of yours has this reference.")
    found = (await session.execute(
        requests_of(user.id).where(Row.reference == str(parsed)))).tuples().first()
    if found is None:
        raise Problem(404, "No request of yours has this reference.")
    return request_item(found, user.language or "fr")
