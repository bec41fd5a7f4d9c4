""""My requests": what processes write (`record_request`) and what the list reads.

A process calls `record_request` in the transaction that writes its own read model: when it
is created (the API's insert of the process's row) and at each status change (the
activity that records the status). The row is keyed by (user, reference), so a replayed
activity rewrites the same row; `updated_at` moves only when the status does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Pharmacy, User
from db.models.requests import RequestIndexEntry as Row
from domain.ids import new_id
from domain.requests import (
    RequestDoctor,
    RequestEntry,
    RequestItem,
    RequestKind,
    RequestPharmacy,
    SponsoredBy,
    request_path,
    request_title,
)


async def record_request(session: AsyncSession, entry: RequestEntry) -> None:
    """Create or update `entry`'s row (insert or update in one statement, so two writers
    at once cannot make two rows)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values: dict[str, Any] = {
        "user_id": entry.user_id, "reference": entry.reference, "kind": entry.kind.value,
        "status": entry.status, "process_id": entry.process_id,
        "doctor_id": entry.doctor_id, "pharmacy_id": entry.pharmacy_id,
        "title_data": entry.title_data, "sponsored_by": entry.sponsored_by,
        "created_at": entry.at, "updated_at": entry.at,
    }
    statement = insert(Row).values(id=new_id(), **values)
    excluded = statement.excluded
    await session.execute(statement.on_conflict_do_update(
        index_elements=[Row.user_id, Row.reference],
        set_={
            "status": excluded.status, "kind": excluded.kind,
            "doctor_id": excluded.doctor_id, "pharmacy_id": excluded.pharmacy_id,
            "title_data": excluded.title_data,
            "sponsored_by": func.coalesce(excluded.sponsored_by, Row.sponsored_by),
            "updated_at": case((Row.status != excluded.status, excluded.updated_at),
                               else_=Row.updated_at),
        },
    ))


def requests_of(user_id: str, kind: RequestKind | None = None,
                status: str | None = None) -> Select[Any]:
    """The user's entries with their doctor and pharmacy, for `api.cursors.keyset`."""
    doctor = User.__table__.alias("doctor")
    query = (
        select(Row, doctor.c.first_name, doctor.c.last_name, Pharmacy.name, Pharmacy.city)
        .outerjoin(doctor, doctor.c.id == Row.doctor_id)
        .outerjoin(Pharmacy, Pharmacy.id == Row.pharmacy_id)
        .where(Row.user_id == user_id)
    )
    if kind is not None:
        query = query.where(Row.kind == kind.value)
    if status is not None:
        query = query.where(Row.status == status)
    return query


def request_item(found: Sequence[Any], language: str) -> RequestItem:
    """One row of `requests_of` as the list shows it, titled in `language`."""
    row, doctor_first, doctor_last, pharmacy_name, pharmacy_city = found
    kind = RequestKind(row.kind)
    doctor = (RequestDoctor(id=row.doctor_id, first_name=doctor_first or "",
                            last_name=doctor_last or "")
              if row.doctor_id and doctor_last is not None else None)
    pharmacy = (RequestPharmacy(id=row.pharmacy_id, name=pharmacy_name or "",
                                city=pharmacy_city or "")
                if row.pharmacy_id and pharmacy_name is not None else None)
    values = {**{k: str(v) for k, v in (row.title_data or {}).items()}}
    if doctor is not None:
        values.setdefault("doctor", f"Dr {doctor.first_name} {doctor.last_name}".strip())
    if pharmacy is not None:
        values.setdefault("pharmacy", pharmacy.name)
    return RequestItem(
        reference=row.reference, kind=kind, status=row.status,
        title=request_title(kind, language, values), doctor=doctor, pharmacy=pharmacy,
        sponsored_by=(SponsoredBy(display_name=row.sponsored_by) if row.sponsored_by
                      else None),
        created_at=row.created_at, updated_at=row.updated_at,
        url=request_path(kind, row.process_id))
