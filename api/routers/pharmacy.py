"""Prescriptions to the pharmacy (API.md "Pharmacies: pro-forma, order, payment, pickup").

The patient asks a pharmacy for a pro-forma on their own open prescription items, cancels
while it is not quoted, orders from the pro-forma, pays, asks for a new pickup code. The
pharmacy's staff see their own pharmacy's requests and orders only (anyone else gets 404,
a pharmacist of another pharmacy included), every read audited; they quote, validate or
reject, and collect with the code. The order's process (`PharmacyOrderWorkflow`) decides
each move; these routes check what the database can tell and speak to it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.cursors import keyset, page
from api.deps import ActivePatient, ActiveUser, SessionDep, SettingsDep, TemporalClient
from api.one_at_a_time import insert_or_conflict
from api.paid_processes import payment_payer
from api.payments import payment_timings
from api.pharmacy_processes import start_pharmacy_order, update_order
from api.prices import quote_for
from api.problems import Problem
from api.workflow_errors import problem_from_temporal
from db.base import utcnow
from db.models import AuditEntry, Pharmacy, User
from db.models.consultations import Consultation
from db.models.consultations import PrescriptionItem as ItemRow
from db.models.pharmacy import LIVE_ORDER_PER_ITEM, PharmacyOrder, PharmacyOrderItem
from db.models.requests import RequestIndexEntry
from db.queries.audit import Outcome, record_access
from db.queries.pharmacy import (
    move_items,
    order_lines,
    order_view,
    pharmacy_view,
    record_order_request,
)
from db.queries.professionals import verification_of
from db.queries.references import next_reference
from domain.accounts import Role, VerificationStatus
from domain.consultations import PrescriptionMoveError, PrescriptionStatus
from domain.ids import new_id
from domain.money import Money
from domain.pagination import Page
from domain.paid import PaymentOrder
from domain.payments import InvoiceLine, PaymentRequest
from domain.pharmacy import (
    PHARMACY_CURRENCY,
    CancelRequest,
    CollectAttempt,
    CollectIn,
    IssueProforma,
    NewCodeRequest,
    OrderIn,
    OrderPayment,
    OrderStatus,
    PayOrder,
    PharmacyOrderView,
    PharmacyView,
    PlaceOrder,
    ProformaIn,
    ProformaRequestIn,
    Rejection,
    RejectionIn,
    Validation,
    hash_pickup_code,
    pharmacy_order_workflow_id,
)
from domain.references import ReferenceKind

router = APIRouter(prefix="/api/v1", tags=["pharmacy"])
Limit = Annotated[int, Query(ge=1, le=100)]

_NO_ORDER = "No such order."
_WRONG_CODE: dict[int | str, dict[str, Any]] = {
    400: {"description": "Not the order's pickup code."},
    429: {"description": "Too many wrong codes: the patient asks for a new one."}}
_STAFF_ONLY: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not a pharmacist's (a patient, a doctor)."}}


async def _staff(user: ActiveUser, session: SessionDep) -> User:
    """A verified pharmacist; anyone else does not see that these pages exist (404)."""
    if user.role != Role.pharmacist or not user.pharmacy_id:
        raise Problem(404, "Not found.")
    verification = await verification_of(session, user.id)
    if verification is None or verification.status != VerificationStatus.verified:
        raise Problem(403, "An administrator has not verified your licence yet.",
                      type_="https://esame.cm/problems/professional-not-verified")
    return user


PharmacyStaff = Annotated[User, Depends(_staff)]


# --- pharmacies ---------------------------------------------------------------------

@router.get("/pharmacies", response_model=Page[PharmacyView])
async def list_pharmacies(
    _: ActiveUser, session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="Part of the name.")] = None,
    city: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 50, cursor: str | None = None,
) -> Page[PharmacyView]:
    """The pharmacies a patient can send prescriptions to, by name and city."""
    query = select(Pharmacy)
    if q and q.strip():
        query = query.where(func.lower(Pharmacy.name).contains(q.strip().lower(),
                                                               autoescape=True))
    if city and city.strip():
        query = query.where(func.lower(Pharmacy.city) == city.strip().lower())
    rows, next_cursor = page(
        list(await session.scalars(keyset(query, Pharmacy.created_at, Pharmacy.id, cursor,
                                          limit, newest_first=False))),
        limit, lambda row: (row.created_at, row.id))
    return Page(items=[pharmacy_view(row) for row in rows], next_cursor=next_cursor)


# --- the patient ----------------------------------------------------------------------

def _field(field: str, message: str, status: int = 422) -> Problem:
    return Problem(status, message, errors=[{"location": "body", "field": field,
                                             "message": message}])


@router.post("/proforma-requests", status_code=201, response_model=PharmacyOrderView)
async def request_proforma(
    body: ProformaRequestIn, user: ActivePatient, session: SessionDep, settings: SettingsDep,
    temporal: TemporalClient,
) -> PharmacyOrderView:
    """Ask a pharmacy for a pro-forma on some of your open prescription items.

    Each item is in one live request or order at a time, decided by the database (409)."""
    pharmacy = await session.get(Pharmacy, body.pharmacy_id)
    if pharmacy is None:
        raise _field("pharmacy_id", "no such pharmacy")
    items = (await session.scalars(
        select(ItemRow).join(Consultation, Consultation.id == ItemRow.consultation_id)
        .where(ItemRow.id.in_(body.prescription_item_ids), ItemRow.patient_id == user.id,
               Consultation.published_at.is_not(None)))).all()
    if len(items) != len(body.prescription_item_ids):
        raise _field("prescription_item_ids", "only your own prescription items")
    if any(item.status != PrescriptionStatus.open for item in items):
        raise Problem(409, "An item is already asked of a pharmacy or dispensed.")
    now = utcnow()
    order_id = new_id()
    reference = await next_reference(session, ReferenceKind.pharmacy_order, now.year)
    order = PharmacyOrder(id=order_id, reference=reference, patient_id=user.id,
                          pharmacy_id=pharmacy.id, status=OrderStatus.requested.value,
                          pickup_generation=0, wrong_code_attempts=0,
                          created_at=now, updated_at=now)
    session.add(order)
    await session.flush()
    await insert_or_conflict(
        session, *[PharmacyOrderItem(order_id=order_id, prescription_item_id=item_id,
                                     position=position)
                   for position, item_id in enumerate(body.prescription_item_ids)],
        rule=LIVE_ORDER_PER_ITEM, detail="An item is already in a live request or order.")
    try:
        await move_items(session, body.prescription_item_ids, PrescriptionStatus.requested)
    except PrescriptionMoveError as err:
        raise Problem(409, "An item is already asked of a pharmacy or dispensed.") from err
    await record_order_request(session, order, now)
    await session.commit()
    try:
        await start_pharmacy_order(temporal, settings, order_id=order_id, reference=reference,
                                   patient=user, pharmacy=pharmacy)
    except Exception as err:
        await _undo_request(session, order_id, user.id, reference,
                            body.prescription_item_ids)
        raise Problem(503, "This cannot be done right now; try again.") from err
    return await order_view(session, order)


async def _undo_request(session: AsyncSession, order_id: str, patient_id: str,
                        reference: str, item_ids: list[str]) -> None:
    """No process took the request: it never was (its items open again)."""
    await session.rollback()
    await session.execute(delete(PharmacyOrderItem).where(
        PharmacyOrderItem.order_id == order_id))
    await session.execute(delete(PharmacyOrder).where(PharmacyOrder.id == order_id))
    await session.execute(delete(RequestIndexEntry).where(
        RequestIndexEntry.user_id == patient_id, RequestIndexEntry.reference == reference))
    await move_items(session, item_ids, PrescriptionStatus.open)
    await session.commit()


async def _own_order(session: AsyncSession, user: User, order_id: str) -> PharmacyOrder:
    order = await session.scalar(select(PharmacyOrder).where(PharmacyOrder.id == order_id)
                                 .execution_options(populate_existing=True))
    if order is None or order.patient_id != user.id:
        raise Problem(404, _NO_ORDER)
    return order


@router.delete("/proforma-requests/{order_id}", status_code=204)
async def cancel_request(order_id: str, user: ActivePatient, session: SessionDep,
                         temporal: TemporalClient) -> Response:
    """Cancel your request while the pharmacy has not quoted it (409 later)."""
    order = await _own_order(session, user, order_id)
    if order.status != OrderStatus.requested:
        raise Problem(409, f"This request is {order.status}: it can no longer be canceled.")
    await update_order(temporal, order_id, "cancel", CancelRequest(patient_id=user.id))
    return Response(status_code=204)


def _mine(user: User, *where: Any) -> Any:
    return select(PharmacyOrder).where(PharmacyOrder.patient_id == user.id, *where)


async def _page_of(session: AsyncSession, query: Any, limit: int,
                   cursor: str | None) -> tuple[list[PharmacyOrder], str | None]:
    return page(list(await session.scalars(keyset(
        query, PharmacyOrder.created_at, PharmacyOrder.id, cursor, limit))),
        limit, lambda row: (row.created_at, row.id))


@router.get("/me/proformas", response_model=Page[PharmacyOrderView])
async def my_proformas(user: ActivePatient, session: SessionDep, limit: Limit = 20,
                       cursor: str | None = None) -> Page[PharmacyOrderView]:
    """Your pro-formas (with lines, total and valid_until), newest first."""
    rows, next_cursor = await _page_of(
        session, _mine(user, PharmacyOrder.quoted_at.is_not(None)), limit, cursor)
    return Page(items=[await order_view(session, row) for row in rows],
                next_cursor=next_cursor)


@router.post("/proformas/{order_id}/order", response_model=PharmacyOrderView)
async def order_proforma(order_id: str, body: OrderIn, user: ActivePatient,
                         session: SessionDep, settings: SettingsDep,
                         temporal: TemporalClient) -> PharmacyOrderView:
    """Order from a pro-forma: the lines chosen, or all the available ones.

    The price is locked now, in your profile currency."""
    order = await _own_order(session, user, order_id)
    if order.status != OrderStatus.quoted:
        raise Problem(409, f"This pro-forma is {order.status}: it cannot be ordered.")
    if order.valid_until is not None and order.valid_until <= utcnow():
        raise Problem(409, "This pro-forma has expired.")
    lines = await order_lines(session, order_id)
    available = {line.id: line for line in lines if line.available}
    if body.line_ids is None:
        chosen = list(available)
    else:
        unknown = [i for i in body.line_ids if i not in available]
        if unknown:
            raise _field("line_ids", "only available lines of this pro-forma")
        chosen = list(dict.fromkeys(body.line_ids))
    if not chosen:
        raise Problem(409, "Nothing on this pro-forma is available to order.")
    total = Money(amount=sum(available[i].unit_price_amount * available[i].quantity
                             for i in chosen), currency=PHARMACY_CURRENCY)
    quote = quote_for(settings, user, total)
    await update_order(temporal, order_id, "order", PlaceOrder(line_ids=chosen, quote=quote))
    return await order_view(session, await _own_order(session, user, order_id))


@router.get("/me/pharmacy-orders", response_model=Page[PharmacyOrderView])
async def my_pharmacy_orders(user: ActivePatient, session: SessionDep, limit: Limit = 20,
                             cursor: str | None = None) -> Page[PharmacyOrderView]:
    """Your pharmacy requests and orders, whatever their status, newest first."""
    rows, next_cursor = await _page_of(session, _mine(user), limit, cursor)
    return Page(items=[await order_view(session, row) for row in rows],
                next_cursor=next_cursor)


@router.get("/pharmacy-orders/{order_id}", response_model=PharmacyOrderView)
async def my_pharmacy_order(order_id: str, user: ActivePatient,
                            session: SessionDep) -> PharmacyOrderView:
    """One of your pharmacy orders."""
    return await order_view(session, await _own_order(session, user, order_id))


@router.post("/pharmacy-orders/{order_id}/pay", status_code=201, response_model=OrderPayment,
             responses={402: {"description": "The payment provider refused the payment."}})
async def pay_order(order_id: str, body: PaymentRequest, user: ActivePatient,
                    session: SessionDep, settings: SettingsDep,
                    temporal: TemporalClient) -> OrderPayment:
    """Pay a validated order (the price locked when you ordered), before the stock
    reservation ends; answers the payment with its checkout_url or instructions."""
    order = await _own_order(session, user, order_id)
    if order.status != OrderStatus.validated:
        raise Problem(409, f"This order is {order.status}: only a validated order is paid.")
    assert order.price_amount is not None and order.price_currency
    price = Money(amount=order.price_amount, currency=order.price_currency)
    payer = await payment_payer(session, settings, user, body)
    pharmacy = await session.get(Pharmacy, order.pharmacy_id)
    assert pharmacy is not None
    d = settings.durations
    payment = PaymentOrder(
        amount=price, description=f"E-same pharmacy order {order.reference}",
        lines=[InvoiceLine(description=f"Order {order.reference} at {pharmacy.name}",
                           unit_price=price, total=price)],
        timings=payment_timings(settings), purpose="pharmacy_order",
        summary=f"Payment for pharmacy order {order.reference}", patient_id=user.id,
        pharmacy_id=order.pharmacy_id,
        # Refundable while the order may still give it back: paid late, or not collected.
        refundable_for=d.order_payment_within + d.payment_deadline + d.pickup_within
        + timedelta(days=1))
    handle = temporal.get_workflow_handle(pharmacy_order_workflow_id(order_id))
    try:
        paid: OrderPayment = await handle.execute_update(
            "pay", PayOrder(payer=payer, order=payment, checkout_wait=d.payment_checkout_wait),
            result_type=OrderPayment)
    except Exception as err:
        raise problem_from_temporal(err, closed_detail="This order is over.") from err
    return paid


@router.post("/pharmacy-orders/{order_id}/pickup-code", status_code=202,
             response_model=PharmacyOrderView)
async def new_pickup_code(order_id: str, user: ActivePatient, session: SessionDep,
                          temporal: TemporalClient) -> PharmacyOrderView:
    """Get a new pickup code by email and SMS; the previous one stops working."""
    order = await _own_order(session, user, order_id)
    if order.status != OrderStatus.paid:
        raise Problem(409, f"This order is {order.status}: it has no pickup code.")
    await update_order(temporal, order_id, "new_pickup_code",
                       NewCodeRequest(patient_id=user.id))
    return await order_view(session, await _own_order(session, user, order_id))


# --- the pharmacy's staff ---------------------------------------------------------------

async def _audit_reads(session: AsyncSession, staff: User, orders: list[PharmacyOrder],
                       action: str) -> None:
    for order in orders:
        session.add(AuditEntry(actor_id=staff.id, actor_role=staff.role,
                               subject_id=order.patient_id, action=action,
                               resource=f"pharmacy_order:{order.id}",
                               outcome=Outcome.allowed.value))
    await session.commit()


async def _staff_order(session: AsyncSession, staff: User, order_id: str,
                       action: str) -> PharmacyOrder:
    """An order of the staff member's pharmacy (404 otherwise, the attempt audited)."""
    order = await session.scalar(select(PharmacyOrder).where(PharmacyOrder.id == order_id)
                                 .execution_options(populate_existing=True))
    if order is None or order.pharmacy_id != staff.pharmacy_id:
        await record_access(session, staff, order.patient_id if order else None, action,
                            f"pharmacy_order:{order_id}", Outcome.denied)
        raise Problem(404, _NO_ORDER)
    return order


@router.get("/pharmacy/requests", response_model=Page[PharmacyOrderView],
            responses=_STAFF_ONLY)
async def pharmacy_requests(
    staff: PharmacyStaff, session: SessionDep,
    status: OrderStatus | None = None, limit: Limit = 20, cursor: str | None = None,
) -> Page[PharmacyOrderView]:
    """Your pharmacy's requests and orders, newest first, by status (staff).

    Of each patient: their name and the items sent, nothing else. Every read is audited."""
    query = select(PharmacyOrder).where(PharmacyOrder.pharmacy_id == staff.pharmacy_id)
    if status is not None:
        query = query.where(PharmacyOrder.status == status.value)
    rows, next_cursor = await _page_of(session, query, limit, cursor)
    views = [await order_view(session, row) for row in rows]
    await _audit_reads(session, staff, rows, "pharmacy_order.list")
    return Page(items=views, next_cursor=next_cursor)


@router.get("/pharmacy/requests/{order_id}", response_model=PharmacyOrderView)
async def pharmacy_request(order_id: str, staff: PharmacyStaff,
                           session: SessionDep) -> PharmacyOrderView:
    """One request or order of your pharmacy (staff; audited)."""
    order = await _staff_order(session, staff, order_id, "pharmacy_order.read")
    view = await order_view(session, order)
    await _audit_reads(session, staff, [order], "pharmacy_order.read")
    return view


@router.post("/pharmacy/requests/{order_id}/proforma", response_model=PharmacyOrderView)
async def issue_proforma(order_id: str, body: ProformaIn, staff: PharmacyStaff,
                         session: SessionDep, temporal: TemporalClient) -> PharmacyOrderView:
    """Quote a request: a line per item (product, quantity, XAF unit price, available).

    A product other than the drug prescribed is marked as a substitution. Once issued the
    pro-forma never changes; it is valid until `valid_until`."""
    order = await _staff_order(session, staff, order_id, "pharmacy_order.quote")
    if order.status != OrderStatus.requested:
        raise Problem(409, f"This request is {order.status}: the pro-forma cannot change.")
    if body.valid_until <= utcnow():
        raise _field("valid_until", "valid_until is in the past")
    held = set(await session.scalars(select(PharmacyOrderItem.prescription_item_id).where(
        PharmacyOrderItem.order_id == order_id)))
    named = [line.prescription_item_id for line in body.lines]
    for index, item_id in enumerate(named):
        if item_id not in held:
            raise _field(f"lines.{index}.prescription_item_id", "not an item of this request")
    if len(set(named)) != len(named):
        raise _field("lines", "one line per item")
    await update_order(temporal, order_id, "issue_proforma", IssueProforma(
        staff_id=staff.id, lines=body.lines, valid_until=body.valid_until))
    return await order_view(session, await _staff_order(session, staff, order_id,
                                                        "pharmacy_order.quote"))


async def _decide(session: AsyncSession, temporal: TemporalClient, staff: User,
                  order_id: str, update: str, arg: Validation | Rejection) -> PharmacyOrderView:
    order = await _staff_order(session, staff, order_id, f"pharmacy_order.{update}")
    if order.status != OrderStatus.ordered:
        raise Problem(409, f"This order is {order.status}: it is not awaiting validation.")
    await update_order(temporal, order_id, update, arg)
    return await order_view(session, await _staff_order(session, staff, order_id,
                                                        f"pharmacy_order.{update}"))


@router.post("/pharmacy/orders/{order_id}/validate", response_model=PharmacyOrderView)
async def validate_order(order_id: str, staff: PharmacyStaff, session: SessionDep,
                         temporal: TemporalClient) -> PharmacyOrderView:
    """The stock is there: reserved until the payment deadline; the patient emailed."""
    return await _decide(session, temporal, staff, order_id, "validate",
                         Validation(staff_id=staff.id))


@router.post("/pharmacy/orders/{order_id}/reject", response_model=PharmacyOrderView)
async def reject_order(order_id: str, body: RejectionIn, staff: PharmacyStaff,
                       session: SessionDep, temporal: TemporalClient) -> PharmacyOrderView:
    """The order cannot be served (out of stock): the patient emailed with the reason."""
    return await _decide(session, temporal, staff, order_id, "reject",
                         Rejection(staff_id=staff.id, reason=body.reason))


@router.post("/pharmacy/orders/{order_id}/collect", response_model=PharmacyOrderView,
             responses=_WRONG_CODE)
async def collect_order(order_id: str, body: CollectIn, staff: PharmacyStaff,
                        session: SessionDep, settings: SettingsDep,
                        temporal: TemporalClient) -> PharmacyOrderView:
    """The patient collects a paid order with their pickup code (it works once)."""
    order = await _staff_order(session, staff, order_id, "pharmacy_order.collect")
    if order.status != OrderStatus.paid:
        raise Problem(409, f"This order is {order.status}: only a paid order is collected.")
    # Only the code's keyed hash goes to the process: the code is in no history.
    await update_order(temporal, order_id, "collect", CollectAttempt(
        staff_id=staff.id, code_hash=hash_pickup_code(settings.secret_key, order_id,
                                                      body.code)))
    return await order_view(session, await _staff_order(session, staff, order_id,
                                                        "pharmacy_order.collect"))

