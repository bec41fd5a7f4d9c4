"""Pharmacy orders in the database: the request's creation (the API), the moves of its
prescription items (`domain.consultations.move_item`, from the API and the activities), and
the read model both the patient and the pharmacy's staff see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Pharmacy, User
from db.models.consultations import PrescriptionItem as ItemRow
from db.models.pharmacy import ITEM_CLOSED, ITEM_LIVE, PharmacyOrder, PharmacyOrderItem
from db.models.pharmacy import ProformaLine as LineRow
from db.queries.requests import record_request
from domain.consultations import PrescriptionStatus, move_item
from domain.money import Money
from domain.pharmacy import (
    ExpiryReason,
    OrderItemView,
    OrderStatus,
    PatientName,
    PharmacyOrderView,
    PharmacyView,
    ProformaLine,
)
from domain.requests import RequestEntry, RequestKind


def pharmacy_view(row: Pharmacy) -> PharmacyView:
    return PharmacyView(id=row.id, name=row.name, city=row.city,
                        address_line=row.address_line, phone=row.phone)


async def move_items(session: AsyncSession, item_ids: Sequence[str],
                     target: PrescriptionStatus) -> None:
    """Move prescription items to `target` by the rule of `move_item` (a replayed activity
    finds them there already); PrescriptionMoveError for a move the rule refuses."""
    if not item_ids:
        return
    rows = (await session.scalars(select(ItemRow).where(ItemRow.id.in_(item_ids))
                                  .with_for_update())).all()
    now = utcnow()
    for row in rows:
        moved = move_item(PrescriptionStatus(row.status), target)
        if moved.value != row.status:
            row.status, row.status_changed_at = moved.value, now


async def record_order_request(session: AsyncSession, order: PharmacyOrder,
                               at: datetime | None = None) -> None:
    """The order's entry in its patient's "my requests", at its current status."""
    await record_request(session, RequestEntry(
        user_id=order.patient_id, reference=order.reference, kind=RequestKind.pharmacy,
        status=order.status, process_id=order.id, pharmacy_id=order.pharmacy_id,
        at=at or utcnow()))


async def set_status(session: AsyncSession, order: PharmacyOrder, status: OrderStatus,
                     **values: object) -> None:
    now = utcnow()
    for name, value in values.items():
        setattr(order, name, value)
    if order.status != status.value:
        order.status = status.value
        order.updated_at = now
    await record_order_request(session, order, now)


async def release_items(session: AsyncSession, order_id: str,
                        item_ids: Sequence[str] | None = None) -> None:
    """The order no longer holds these items (all of them by default): free for another
    request, `open` again."""
    query = select(PharmacyOrderItem).where(PharmacyOrderItem.order_id == order_id,
                                            PharmacyOrderItem.state == ITEM_LIVE)
    if item_ids is not None:
        query = query.where(PharmacyOrderItem.prescription_item_id.in_(item_ids))
    held = (await session.scalars(query)).all()
    for row in held:
        row.state = ITEM_CLOSED
    await session.flush()
    await move_items(session, [row.prescription_item_id for row in held],
                     PrescriptionStatus.open)


async def dispense_items(session: AsyncSession, order_id: str) -> None:
    held = (await session.scalars(select(PharmacyOrderItem).where(
        PharmacyOrderItem.order_id == order_id, PharmacyOrderItem.state == ITEM_LIVE))).all()
    for row in held:
        row.state = ITEM_CLOSED
    await session.flush()
    await move_items(session, [row.prescription_item_id for row in held],
                     PrescriptionStatus.dispensed)


async def order_lines(session: AsyncSession, order_id: str) -> list[LineRow]:
    # Fresh from the database: the process's activities write them while a route waits.
    return list((await session.scalars(
        select(LineRow).where(LineRow.order_id == order_id).order_by(LineRow.position)
        .execution_options(populate_existing=True))).all())


def line_view(row: LineRow) -> ProformaLine:
    unit = Money(amount=row.unit_price_amount, currency=row.currency)
    return ProformaLine(id=row.id, prescription_item_id=row.prescription_item_id,
                        product=row.product, quantity=row.quantity, unit_price=unit,
                        total=unit.times(row.quantity), available=row.available,
                        substitution=row.substitution, ordered=row.ordered)


def lines_total(lines: Sequence[LineRow], *, ordered_only: bool = False) -> Money | None:
    chosen = [line for line in lines if line.available and (line.ordered or not ordered_only)]
    if not lines:
        return None
    total = Money(amount=0, currency=lines[0].currency)
    for line in chosen:
        total = total + Money(amount=line.unit_price_amount * line.quantity,
                              currency=line.currency)
    return total


async def order_items(session: AsyncSession, order_id: str) -> list[ItemRow]:
    return list((await session.scalars(
        select(ItemRow).join(PharmacyOrderItem,
                             PharmacyOrderItem.prescription_item_id == ItemRow.id)
        .where(PharmacyOrderItem.order_id == order_id)
        .order_by(PharmacyOrderItem.position)
        .execution_options(populate_existing=True))).all())


async def order_view(session: AsyncSession, order: PharmacyOrder) -> PharmacyOrderView:
    """The order as its patient or its pharmacy sees it: the patient's name and the items
    sent, nothing else of their record."""
    pharmacy = await session.get(Pharmacy, order.pharmacy_id)
    patient = await session.get(User, order.patient_id)
    assert pharmacy is not None and patient is not None
    lines = await order_lines(session, order.id)
    items = await order_items(session, order.id)
    price = list_price = None
    if order.price_amount is not None and order.price_currency:
        price = Money(amount=order.price_amount, currency=order.price_currency)
    if order.list_price_amount is not None:
        list_price = Money(amount=order.list_price_amount, currency="XAF")
    ordered = order.ordered_at is not None
    return PharmacyOrderView(
        id=order.id, reference=order.reference, status=OrderStatus(order.status),
        pharmacy=pharmacy_view(pharmacy),
        patient=PatientName(first_name=patient.first_name, last_name=patient.last_name),
        items=[OrderItemView(id=i.id, drug_id=i.drug_id, name=i.name, dosage=i.dosage,
                             quantity=i.quantity, status=PrescriptionStatus(i.status))
               for i in items],
        lines=[line_view(line) for line in lines], total=lines_total(lines),
        valid_until=order.valid_until,
        ordered_total=lines_total(lines, ordered_only=True) if ordered else None,
        price=price, list_price=list_price, rate=order.price_rate,
        payment_id=order.payment_id,
        stock_reserved_until=(order.stock_reserved_until
                              if order.status == OrderStatus.validated else None),
        rejection_reason=order.rejection_reason,
        expiry_reason=ExpiryReason(order.expiry_reason) if order.expiry_reason else None,
        created_at=order.created_at, updated_at=order.updated_at,
    )


async def lock_order(session: AsyncSession, order_id: str) -> PharmacyOrder | None:
    return await session.scalar(select(PharmacyOrder).where(PharmacyOrder.id == order_id)
                                .with_for_update())


async def close_live_rows(session: AsyncSession, order_id: str) -> None:
    await session.execute(update(PharmacyOrderItem).where(
        PharmacyOrderItem.order_id == order_id).values(state=ITEM_CLOSED))
