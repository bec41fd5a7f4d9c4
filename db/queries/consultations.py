"""Consultations: the doctor's draft (written by the API), its publication (by the process's
activity), and the read models of published ones.

The draft is the one place a doctor's summary and prescriptions are written: the workflow
that owns the outcome only carries the consultation's id and publishes it
(`PUBLISH_CONSULTATION`, activities/consultations.py). A published consultation never
changes: `write_draft` refuses it, and nothing else writes its text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import DoctorProfile, DrugProduct, User
from db.models.consultations import Consultation as Row
from db.models.consultations import PrescriptionItem as ItemRow
from domain.consultations import (
    Consultation,
    ConsultationAlreadyPublished,
    ConsultationIn,
    ConsultationKind,
    ConsultationSource,
    DoctorRef,
    PersonRef,
    PrescriptionGroup,
    PrescriptionItem,
    PrescriptionStatus,
    UnknownDrugs,
)


async def _catalogue_names(session: AsyncSession, body: ConsultationIn) -> dict[str, str]:
    """The catalogue name of every drug the items name; UnknownDrugs if one is missing."""
    wanted = {item.drug_id for item in body.prescriptions if item.drug_id}
    names: dict[str, str] = {}
    if wanted:
        rows = await session.execute(
            select(DrugProduct.id, DrugProduct.name).where(DrugProduct.id.in_(wanted)))
        names = dict(rows.tuples().all())
    missing = [i for i, item in enumerate(body.prescriptions)
               if item.drug_id and item.drug_id not in names]
    if missing:
        raise UnknownDrugs(missing)
    return names


async def write_draft(
    session: AsyncSession, *, source: ConsultationSource, source_id: str,
    kind: ConsultationKind, patient_id: str, doctor_id: str, occurred_at: datetime,
    body: ConsultationIn,
) -> str:
    """Write (or rewrite, while unpublished) the consultation of the process `source_id`;
    its id. The caller commits, then tells the process (which publishes it). Raises
    `UnknownDrugs` (a 422 for the API) and `ConsultationAlreadyPublished` (a 409)."""
    names = await _catalogue_names(session, body)
    now = utcnow()
    row = await session.scalar(select(Row).where(Row.source_id == source_id)
                               .with_for_update())
    if row is None:
        try:
            async with session.begin_nested():
                row = Row(source=source.value, source_id=source_id, kind=kind.value,
                          patient_id=patient_id, doctor_id=doctor_id,
                          occurred_at=occurred_at, summary=body.summary,
                          recommendations=body.recommendations, created_at=now,
                          updated_at=now)
                session.add(row)
        except IntegrityError:
            # The same doctor's request twice at once: the other one wrote it first.
            row = await session.scalar(select(Row).where(Row.source_id == source_id)
                                       .with_for_update())
            assert row is not None
    if row.published_at is not None:
        raise ConsultationAlreadyPublished()
    row.kind, row.patient_id, row.doctor_id = kind.value, patient_id, doctor_id
    row.occurred_at, row.summary = occurred_at, body.summary
    row.recommendations, row.updated_at = body.recommendations, now
    await session.execute(delete(ItemRow).where(ItemRow.consultation_id == row.id))
    for position, item in enumerate(body.prescriptions):
        name = names[item.drug_id] if item.drug_id else item.name
        assert name is not None  # PrescriptionItemIn: a drug_id or a name
        session.add(ItemRow(
            consultation_id=row.id, patient_id=patient_id, position=position,
            drug_id=item.drug_id, name=name, dosage=item.dosage, frequency=item.frequency,
            duration_days=item.duration_days, quantity=item.quantity,
            status=PrescriptionStatus.open.value, created_at=now,
        ))
    await session.flush()
    return row.id


class NotThisProcess(LookupError):
    """No draft of this id for this process."""


async def publish(
    session: AsyncSession, consultation_id: str, source_id: str
) -> tuple[datetime, bool, list[str]]:
    """Publish the draft once: (published_at, already published, its item ids)."""
    row = await session.get(Row, consultation_id, with_for_update=True)
    if row is None or row.source_id != source_id:
        raise NotThisProcess(consultation_id)
    items = list(await session.scalars(
        select(ItemRow.id).where(ItemRow.consultation_id == row.id)
        .order_by(ItemRow.position)))
    if row.published_at is not None:
        return row.published_at, True, items
    published_at = utcnow()
    # Only an unpublished row: two concurrent attempts publish it once.
    await session.execute(update(Row).where(Row.id == row.id, Row.published_at.is_(None))
                          .values(published_at=published_at))
    return published_at, False, items


# --- read models ------------------------------------------------------------------------

def published() -> ColumnElement[bool]:
    return Row.published_at.is_not(None)


def item_view(row: ItemRow) -> PrescriptionItem:
    return PrescriptionItem(
        id=row.id, drug_id=row.drug_id, name=row.name, dosage=row.dosage,
        frequency=row.frequency, duration_days=row.duration_days, quantity=row.quantity,
        status=PrescriptionStatus(row.status))


async def _people(session: AsyncSession, rows: Sequence[Row]) -> tuple[
        dict[str, DoctorRef], dict[str, PersonRef]]:
    ids = {r.doctor_id for r in rows} | {r.patient_id for r in rows}
    if not ids:
        return {}, {}
    found = await session.execute(
        select(User.id, User.first_name, User.last_name, DoctorProfile.specialty)
        .outerjoin(DoctorProfile, DoctorProfile.user_id == User.id)
        .where(User.id.in_(ids)))
    doctors: dict[str, DoctorRef] = {}
    people: dict[str, PersonRef] = {}
    for user_id, first, last, specialty in found.tuples():
        doctors[user_id] = DoctorRef(id=user_id, first_name=first, last_name=last,
                                     specialty=specialty)
        people[user_id] = PersonRef(id=user_id, first_name=first, last_name=last)
    return doctors, people


async def _items(session: AsyncSession, consultation_ids: Sequence[str],
                 status: PrescriptionStatus | None = None) -> dict[str, list[ItemRow]]:
    if not consultation_ids:
        return {}
    query = select(ItemRow).where(ItemRow.consultation_id.in_(consultation_ids))
    if status is not None:
        query = query.where(ItemRow.status == status.value)
    by_consultation: dict[str, list[ItemRow]] = {cid: [] for cid in consultation_ids}
    for item in await session.scalars(query.order_by(ItemRow.consultation_id,
                                                     ItemRow.position)):
        by_consultation[item.consultation_id].append(item)
    return by_consultation


async def consultation_views(session: AsyncSession, rows: Sequence[Row]) -> list[Consultation]:
    """The read models of published rows, in their order (three queries, whatever the
    number of rows)."""
    doctors, people = await _people(session, rows)
    items = await _items(session, [r.id for r in rows])
    views = []
    for row in rows:
        assert row.published_at is not None, "drafts are not shown"
        views.append(Consultation(
            id=row.id, kind=ConsultationKind(row.kind), source=ConsultationSource(row.source),
            source_id=row.source_id, doctor=doctors[row.doctor_id],
            patient=people[row.patient_id], date=row.occurred_at, summary=row.summary,
            recommendations=row.recommendations,
            prescriptions=[item_view(i) for i in items[row.id]],
            published_at=row.published_at))
    return views


async def prescription_groups(
    session: AsyncSession, rows: Sequence[Row], status: PrescriptionStatus | None = None
) -> list[PrescriptionGroup]:
    doctors, _ = await _people(session, rows)
    items = await _items(session, [r.id for r in rows], status)
    return [PrescriptionGroup(consultation_id=row.id, kind=ConsultationKind(row.kind),
                              doctor=doctors[row.doctor_id], date=row.occurred_at,
                              items=[item_view(i) for i in items[row.id]])
            for row in rows]


async def published_consultation(session: AsyncSession, consultation_id: str) -> Row | None:
    return await session.scalar(select(Row).where(Row.id == consultation_id, published()))
