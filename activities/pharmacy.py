"""The pharmacy order's side effects: each status change written with its items' moves and
the patient's "my requests" entry, the messages (no clinical detail), the pickup code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from temporalio.exceptions import ApplicationError

from activities.account_messages import email_user, full_name, local_time
from activities.defn import implements
from activities.messaging import MessagingActivities
from core.security import constant_time_equals, unseal
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import Message, Pharmacy, User
from db.models.consultations import PrescriptionItem as ItemRow
from db.models.pharmacy import PharmacyOrder
from db.models.pharmacy import ProformaLine as LineRow
from db.queries.pharmacy import (
    dispense_items,
    lines_total,
    lock_order,
    order_lines,
    release_items,
    set_status,
)
from domain.accounts import AccountStatus, Role
from domain.messages import Channel, SendMessage
from domain.money import Money
from domain.pharmacy import (
    CHECK_PICKUP_CODE,
    ISSUE_PICKUP_CODE,
    NOTIFY_PHARMACY_ORDER,
    OPEN_PHARMACY_ORDER,
    PICKUP_MAX_WRONG_CODES,
    RECORD_ORDER_CLOSED,
    RECORD_ORDER_COLLECTED,
    RECORD_ORDER_PAID,
    RECORD_ORDER_VALIDATION,
    RECORD_PHARMACY_ORDER,
    RECORD_PROFORMA,
    CheckPickupCode,
    IssuePickupCode,
    NotifyOrder,
    OpenOrder,
    OrderDone,
    OrderMessage,
    OrderOpened,
    OrderStatus,
    PickupCodeChecked,
    RecordClosed,
    RecordCollected,
    RecordOrder,
    RecordPaid,
    RecordProforma,
    RecordValidation,
    hash_pickup_code,
    is_substitution,
    new_pickup_code,
)
from domain.templates.pharmacy import EXPIRY_WHY

# Message -> template; the patient's unless `STAFF_MESSAGES` says the pharmacy's.
TEMPLATES = {
    OrderMessage.proforma_issued: "proforma_issued",
    OrderMessage.order_validated: "order_validated",
    OrderMessage.order_rejected: "order_rejected",
    OrderMessage.pickup_reminder: "pickup_reminder",
    OrderMessage.expired: "pharmacy_order_expired",
    OrderMessage.expired_staff: "pharmacy_order_expired_staff",
    OrderMessage.late_payment_refunded: "late_payment_refunded",
}
STAFF_MESSAGES = frozenset({OrderMessage.expired_staff})
# The first code comes with the payment's receipt; a new one on its own.
CODE_EMAIL_TEMPLATES = {True: "order_paid", False: "pickup_code_renewed"}


def _money(amount: Money | None) -> str:
    if amount is None:
        return ""
    if amount.currency == "XAF":
        return f"{amount.amount} XAF"
    return f"{amount.amount / 100:.2f} {amount.currency}"


def _not_found(order_id: str) -> ApplicationError:
    # Committed by the API before the process starts: retried briefly (WAIT_FOR_COMMIT).
    return ApplicationError(f"pharmacy order {order_id} is not committed yet",
                            type="OrderNotCommitted")


class PharmacyActivities:
    def __init__(self, settings: Settings, sessions: SessionMaker,
                 messaging: MessagingActivities) -> None:
        self._settings = settings
        self._sessions = sessions
        self._messaging = messaging

    @implements(OPEN_PHARMACY_ORDER)
    async def open_pharmacy_order(self, command: OpenOrder) -> OrderOpened:
        async with self._sessions() as session:
            order = await session.get(PharmacyOrder, command.order_id)
            if order is None:
                raise _not_found(command.order_id)
            return OrderOpened(status=OrderStatus(order.status))

    @implements(RECORD_PROFORMA)
    async def record_proforma(self, command: RecordProforma) -> OrderDone:
        async with self._sessions() as session, session.begin():
            order = await lock_order(session, command.order_id)
            if order is None:
                raise _not_found(command.order_id)
            if await order_lines(session, order.id):  # a replay: written once, immutable
                return OrderDone(changed=False)
            prescribed = dict((await session.execute(
                select(ItemRow.id, ItemRow.name).where(ItemRow.id.in_(
                    [line.prescription_item_id for line in command.lines])))).tuples().all())
            for position, line in enumerate(command.lines):
                session.add(LineRow(
                    order_id=order.id, position=position,
                    prescription_item_id=line.prescription_item_id, product=line.product,
                    quantity=line.quantity, unit_price_amount=line.unit_price.amount,
                    currency=line.unit_price.currency, available=line.available,
                    substitution=is_substitution(
                        line.product, prescribed.get(line.prescription_item_id, "")),
                    ordered=False))
            await set_status(session, order, OrderStatus.quoted,
                             valid_until=command.valid_until, quoted_by=command.staff_id,
                             quoted_at=utcnow())
        return OrderDone()

    @implements(RECORD_PHARMACY_ORDER)
    async def record_pharmacy_order(self, command: RecordOrder) -> OrderDone:
        """The chosen lines are ordered; items left out of the order are free again."""
        async with self._sessions() as session, session.begin():
            order = await lock_order(session, command.order_id)
            if order is None:
                raise _not_found(command.order_id)
            lines = await order_lines(session, order.id)
            chosen = set(command.line_ids)
            for line in lines:
                line.ordered = line.id in chosen and line.available
            ordered_items = {line.prescription_item_id for line in lines if line.ordered}
            left_out = [line.prescription_item_id for line in lines
                        if line.prescription_item_id not in ordered_items]
            await release_items(session, order.id, left_out)
            quote = command.quote
            await set_status(session, order, OrderStatus.ordered, ordered_at=utcnow(),
                             price_amount=quote.price.amount,
                             price_currency=quote.price.currency,
                             list_price_amount=quote.list_price.amount,
                             price_rate=str(quote.rate),
                             price_rate_source=quote.rate_source[:100])
        return OrderDone()

    @implements(RECORD_ORDER_VALIDATION)
    async def record_order_validation(self, command: RecordValidation) -> OrderDone:
        async with self._sessions() as session, session.begin():
            order = await lock_order(session, command.order_id)
            if order is None:
                raise _not_found(command.order_id)
            await set_status(session, order, OrderStatus.validated,
                             validated_by=command.staff_id, validated_at=utcnow(),
                             stock_reserved_until=command.stock_reserved_until)
        return OrderDone()

    @implements(RECORD_ORDER_CLOSED)
    async def record_order_closed(self, command: RecordClosed) -> OrderDone:
        """Canceled, rejected or expired: the items are open again and the stock reserved
        for the order (if any) is released."""
        async with self._sessions() as session, session.begin():
            order = await lock_order(session, command.order_id)
            if order is None:
                raise _not_found(command.order_id)
            await release_items(session, order.id)
            await set_status(
                session, order, command.status, stock_reserved_until=None,
                rejection_reason=command.reason, pickup_code_hash=None,
                expiry_reason=command.expiry_reason.value if command.expiry_reason else None)
        return OrderDone()

    @implements(RECORD_ORDER_PAID)
    async def record_order_paid(self, command: RecordPaid) -> OrderDone:
        async with self._sessions() as session, session.begin():
            order = await lock_order(session, command.order_id)
            if order is None:
                raise _not_found(command.order_id)
            await set_status(session, order, OrderStatus.paid, payment_id=command.payment_id,
                             paid_at=order.paid_at or utcnow())
        return OrderDone()

    @implements(RECORD_ORDER_COLLECTED)
    async def record_order_collected(self, command: RecordCollected) -> OrderDone:
        async with self._sessions() as session, session.begin():
            order = await lock_order(session, command.order_id)
            if order is None:
                raise _not_found(command.order_id)
            await dispense_items(session, order.id)
            await set_status(session, order, OrderStatus.collected,
                             collected_by=command.staff_id,
                             collected_at=order.collected_at or utcnow(),
                             pickup_code_hash=None)
        return OrderDone()

    # --- the pickup code ---------------------------------------------------------------

    @implements(ISSUE_PICKUP_CODE)
    async def issue_pickup_code(self, command: IssuePickupCode) -> OrderDone:
        """A new code for `generation`, by email and SMS; the previous one stops working.
        Only its keyed hash is stored. Retried after the first message went out, the same
        code is sent again (read back from that message), never a second one."""
        key = f"pickup-code:{command.order_id}:{command.generation}"
        async with self._sessions() as session, session.begin():
            order = await lock_order(session, command.order_id)
            if order is None:
                raise _not_found(command.order_id)
            if order.pickup_generation > command.generation:
                return OrderDone(changed=False)  # a newer code is out already
            sent = await session.scalar(select(Message.data).where(
                Message.idempotency_key == f"{key}:email"))
            sealed = (sent or {}).get("pickup_code") if order.pickup_generation == (
                command.generation) else None
            code = unseal(self._settings.secret_key, sealed) if sealed else None
            if code is None:
                code = new_pickup_code()
                order.pickup_code_hash = hash_pickup_code(self._settings.secret_key,
                                                          order.id, code)
                order.pickup_generation = command.generation
                order.wrong_code_attempts = 0
            context = await self._context(session, order)
        patient: User = context["patient"]
        data, secret = context["data"], {"pickup_code": code}
        if patient.email:
            await self._messaging.send_message(SendMessage(
                idempotency_key=f"{key}:email", channel=Channel.email, to=patient.email,
                template=CODE_EMAIL_TEMPLATES[command.generation == 1],
                language=patient.language, data={"first_name": patient.first_name, **data},
                user_id=patient.id, secret=secret))
        if patient.phone:
            # Transactional: the code always goes by SMS, whatever the SMS balance.
            await self._messaging.send_message(SendMessage(
                idempotency_key=f"{key}:sms", channel=Channel.sms, to=patient.phone,
                template="pickup_code_sms", language=patient.language, data=data,
                secret=secret))
        return OrderDone()

    @implements(CHECK_PICKUP_CODE)
    async def check_pickup_code(self, command: CheckPickupCode) -> PickupCodeChecked:
        """Compare a typed code with the current one; a wrong code counts (in the same
        transaction, so two counters at once count twice)."""
        async with self._sessions() as session, session.begin():
            order = await lock_order(session, command.order_id)
            if order is None:
                raise _not_found(command.order_id)
            if order.wrong_code_attempts >= PICKUP_MAX_WRONG_CODES:
                return PickupCodeChecked(matches=False, blocked=True,
                                         wrong_attempts=order.wrong_code_attempts)
            typed = command.code_hash
            matches = (order.pickup_code_hash is not None
                       and order.pickup_generation == command.generation
                       and constant_time_equals(typed, order.pickup_code_hash))
            if not matches:
                order.wrong_code_attempts += 1
            return PickupCodeChecked(matches=matches,
                                     wrong_attempts=order.wrong_code_attempts)

    # --- messages ---------------------------------------------------------------------

    async def _context(self, session: Any, order: PharmacyOrder) -> dict[str, Any]:
        patient = await session.get(User, order.patient_id)
        pharmacy = await session.get(Pharmacy, order.pharmacy_id)
        if patient is None or pharmacy is None:
            raise _not_found(order.id)
        lines = await order_lines(session, order.id)
        price = (Money(amount=order.price_amount, currency=order.price_currency)
                 if order.price_amount is not None and order.price_currency else None)
        tz = patient.timezone
        pickup_deadline = (order.paid_at + self._settings.durations.pickup_within
                           if order.paid_at else None)
        data: dict[str, Any] = {
            "reference": order.reference, "pharmacy": pharmacy.name,
            "lines": str(len(lines)),
            "available_lines": str(len([line for line in lines if line.available])),
            "total": _money(lines_total(lines)), "price": _money(price),
            "valid_until": local_time(order.valid_until, tz) if order.valid_until else "",
            "reserved_until": (local_time(order.stock_reserved_until, tz)
                               if order.stock_reserved_until else ""),
            "collect_before": local_time(pickup_deadline, tz) if pickup_deadline else "",
            "reason": order.rejection_reason or "",
        }
        return {"patient": patient, "pharmacy": pharmacy, "data": data}

    @implements(NOTIFY_PHARMACY_ORDER)
    async def notify_pharmacy_order(self, command: NotifyOrder) -> OrderDone:
        async with self._sessions() as session:
            order = await session.get(PharmacyOrder, command.order_id)
            if order is None:
                raise _not_found(command.order_id)
            context = await self._context(session, order)
            staff = []
            if command.message in STAFF_MESSAGES:
                staff = list((await session.scalars(select(User).where(
                    User.pharmacy_id == order.pharmacy_id, User.role == Role.pharmacist.value,
                    User.status == AccountStatus.active.value))).all())
        patient: User = context["patient"]
        data = dict(context["data"])
        key = f"pharmacy-order:{order.id}:{command.message.value}"
        if command.message is OrderMessage.order_validated:
            data["payment_url"] = self._settings.web_links.pharmacy_order_payment(order.id)
        if order.expiry_reason:
            why = EXPIRY_WHY.get(order.expiry_reason, {})
            data["refund"] = ""
        if command.message in STAFF_MESSAGES:
            for member in staff:
                member_data = {**data, "patient_name": full_name(patient),
                               "why": EXPIRY_WHY.get(order.expiry_reason or "", {}).get(
                                   member.language, "")}
                await email_user(self._messaging, member, key=f"{key}:{member.id}",
                                 template=TEMPLATES[command.message], data=member_data)
            return OrderDone()
        if order.expiry_reason:
            data["why"] = why.get(patient.language, "")
            if order.payment_id:
                data["refund"] = (" Your payment is refunded." if patient.language != "fr"
                                  else " Votre paiement est remboursé.")
        await email_user(self._messaging, patient, key=key,
                         template=TEMPLATES[command.message], data=data)
        return OrderDone()

    def all(self) -> list[Callable[..., Any]]:
        return [self.open_pharmacy_order, self.record_proforma, self.record_pharmacy_order,
                self.record_order_validation, self.record_order_closed,
                self.record_order_paid, self.record_order_collected, self.issue_pickup_code,
                self.check_pickup_code, self.notify_pharmacy_order]
