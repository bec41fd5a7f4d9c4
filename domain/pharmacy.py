"""Prescriptions to the pharmacy (seed §XII, §XIII): pro-forma, order, validation, payment,
pickup code.

One order is one `PharmacyOrderWorkflow` (`pharmacy-order-<id>`) from the patient's request
to the pickup: `requested` → `quoted` → `ordered` → `validated` → `paid` → `collected`, or
`canceled`, `rejected`, `expired`. The request, the pro-forma and the order share that id.
The workflow decides every move (staff and patient speak to it through Updates); its
activities write the read model (`pharmacy_orders`, its items and pro-forma lines) and move
the prescription items (`domain.consultations.move_item`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from domain.activity_ref import ActivityRef
from domain.consultations import PrescriptionStatus
from domain.money import Money
from domain.paid import PaymentOrder, PaymentPayer
from domain.payments import PaymentView
from domain.prices import PriceQuote
from domain.text import SingleLineText

PHARMACY_CURRENCY = "XAF"
MAX_ITEMS_PER_REQUEST = 30
MAX_LINE_QUANTITY = 100
# The highest unit price a pharmacy may quote (XAF).
MAX_UNIT_PRICE = 5_000_000


def pharmacy_order_workflow_id(order_id: str) -> str:
    return f"pharmacy-order-{order_id}"


class OrderStatus(StrEnum):
    requested = "requested"
    quoted = "quoted"
    ordered = "ordered"  # "en attente de validation"
    validated = "validated"
    paid = "paid"
    collected = "collected"
    canceled = "canceled"
    rejected = "rejected"
    expired = "expired"


CLOSED_STATUSES = frozenset({OrderStatus.collected, OrderStatus.canceled,
                             OrderStatus.rejected, OrderStatus.expired})


class ExpiryReason(StrEnum):
    """Which deadline of API.md ended the order."""

    not_quoted = "not_quoted"          # proforma_quote_within
    not_ordered = "not_ordered"        # valid_until of the pro-forma
    not_validated = "not_validated"    # order_validation_within
    not_paid = "not_paid"              # order_payment_within (the stock is released)
    not_collected = "not_collected"    # pickup_within (refunded)


# --- codes people type (DESIGN.md) -------------------------------------------------------

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: what a customer reads out at a counter stays unambiguous.
PICKUP_CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
PICKUP_CODE_LENGTH = 8
PICKUP_MAX_WRONG_CODES = 5


def new_pickup_code() -> str:
    """8 characters from the CSPRNG (`secrets`), from the unambiguous alphabet."""
    return "".join(secrets.choice(PICKUP_CODE_ALPHABET) for _ in range(PICKUP_CODE_LENGTH))


def normalize_pickup_code(typed: str) -> str:
    """What staff type, as compared: spaces and dashes dropped, upper case."""
    return "".join(c for c in typed.upper() if c not in " -\t")


def hash_pickup_code(secret_key: str, order_id: str, code: str) -> str:
    """Keyed hash of a code for one order: the stored value proves nothing without the
    server's key, and the same code of two orders hashes differently."""
    message = f"pickup:{order_id}:{normalize_pickup_code(code)}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def is_substitution(product: str, prescribed: str) -> bool:
    """A line whose product is not the prescribed drug (compared without case and spaces)."""
    def squash(value: str) -> str:
        return " ".join(value.casefold().split())
    return squash(product) != squash(prescribed)


# --- timings ---------------------------------------------------------------------------

class PharmacyTimings(BaseModel):
    proforma_quote_within: timedelta
    order_validation_within: timedelta
    order_payment_within: timedelta
    pickup_within: timedelta
    pickup_reminder_before: timedelta
    registration_commit_timeout: timedelta = timedelta(minutes=2)


# --- API models ------------------------------------------------------------------------

class PharmacyView(BaseModel):
    id: str
    name: str
    city: str
    address_line: str | None = None
    phone: str | None = None


class ProformaRequestIn(BaseModel):
    pharmacy_id: Annotated[str, Field(min_length=1, max_length=32)]
    prescription_item_ids: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        min_length=1, max_length=MAX_ITEMS_PER_REQUEST)

    @field_validator("prescription_item_ids")
    @classmethod
    def _distinct(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) != len(ids):
            raise ValueError("an item is named twice")
        return ids


class OrderItemView(BaseModel):
    """A prescription item as sent to the pharmacy: what staff may see of the patient."""

    id: str
    drug_id: str | None = None
    name: str
    dosage: str
    quantity: int
    status: PrescriptionStatus


class ProformaLineIn(BaseModel):
    prescription_item_id: Annotated[str, Field(min_length=1, max_length=32)]
    product: Annotated[SingleLineText, Field(min_length=1, max_length=300)]
    quantity: int = Field(ge=1, le=MAX_LINE_QUANTITY)
    unit_price: Money
    available: bool

    @field_validator("unit_price")
    @classmethod
    def _priced(cls, price: Money) -> Money:
        if price.currency != PHARMACY_CURRENCY:
            raise ValueError(f"a pharmacy's prices are in {PHARMACY_CURRENCY}")
        if price.amount <= 0:
            raise ValueError("a unit price is a positive amount")
        if price.amount > MAX_UNIT_PRICE:
            raise ValueError(f"at most {MAX_UNIT_PRICE} {PHARMACY_CURRENCY}")
        return price


class ProformaIn(BaseModel):
    lines: list[ProformaLineIn] = Field(min_length=1, max_length=MAX_ITEMS_PER_REQUEST)
    valid_until: datetime

    @field_validator("valid_until")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give the time with its offset (e.g. 2026-12-01T18:00:00Z)")
        return value


class ProformaLine(BaseModel):
    id: str
    prescription_item_id: str
    product: str
    quantity: int
    unit_price: Money
    total: Money
    available: bool
    substitution: bool = Field(description="The product is not the drug prescribed.")
    ordered: bool


class OrderIn(BaseModel):
    line_ids: list[Annotated[str, Field(min_length=1, max_length=32)]] | None = Field(
        default=None, max_length=MAX_ITEMS_PER_REQUEST,
        description="The lines to order; all the available ones by default.")


class RejectionIn(BaseModel):
    reason: Annotated[SingleLineText, Field(min_length=1, max_length=500)]


class CollectIn(BaseModel):
    code: Annotated[str, Field(min_length=1, max_length=32)]


class PatientName(BaseModel):
    first_name: str
    last_name: str


class PharmacyOrderView(BaseModel):
    """One order as its patient or its pharmacy sees it."""

    id: str
    reference: str
    status: OrderStatus
    pharmacy: PharmacyView
    patient: PatientName
    items: list[OrderItemView]
    lines: list[ProformaLine] = Field(default_factory=list)
    total: Money | None = Field(default=None, description="The pro-forma's available lines.")
    valid_until: datetime | None = None
    ordered_total: Money | None = None
    price: Money | None = Field(default=None, description="What the patient pays.")
    list_price: Money | None = None
    rate: str | None = None
    payment_id: str | None = None
    stock_reserved_until: datetime | None = None
    rejection_reason: str | None = None
    expiry_reason: ExpiryReason | None = None
    created_at: datetime
    updated_at: datetime


# --- the workflow's input, Updates and state -------------------------------------------

class PharmacyOrderInput(BaseModel):
    order_id: str
    patient_id: str
    pharmacy_id: str
    timings: PharmacyTimings


class CancelRequest(BaseModel):
    patient_id: str


class IssueProforma(BaseModel):
    staff_id: str
    lines: list[ProformaLineIn]
    valid_until: datetime


class PlaceOrder(BaseModel):
    line_ids: list[str]
    quote: PriceQuote


class Validation(BaseModel):
    staff_id: str


class PayOrder(BaseModel):
    """The patient pays a validated order (the kit's payer and order, built by the API)."""

    payer: PaymentPayer
    order: PaymentOrder
    checkout_wait: timedelta


class OrderPayment(BaseModel):
    """`POST /pharmacy-orders/{id}/pay` → 201: the payment, with its checkout_url or
    instructions."""

    payment: PaymentView


class Rejection(BaseModel):
    staff_id: str
    reason: str


class CollectAttempt(BaseModel):
    staff_id: str
    # The typed code's keyed hash (`hash_pickup_code`): the code itself is in no history.
    code_hash: str


class NewCodeRequest(BaseModel):
    patient_id: str


class OrderState(BaseModel):
    order_id: str
    status: OrderStatus
    expiry_reason: ExpiryReason | None = None
    payment_id: str | None = None
    code_generation: int = 0
    refunded: bool = False


# --- activities ------------------------------------------------------------------------

class OpenOrder(BaseModel):
    order_id: str


class OrderOpened(BaseModel):
    status: OrderStatus


class RecordProforma(BaseModel):
    order_id: str
    staff_id: str
    lines: list[ProformaLineIn]
    valid_until: datetime


class RecordOrder(BaseModel):
    order_id: str
    line_ids: list[str]
    quote: PriceQuote


class RecordValidation(BaseModel):
    order_id: str
    staff_id: str
    stock_reserved_until: datetime


class RecordClosed(BaseModel):
    """The order ends (canceled, rejected, expired): its items go back to `open`."""

    order_id: str
    status: OrderStatus
    reason: str | None = None
    expiry_reason: ExpiryReason | None = None


class RecordPaid(BaseModel):
    order_id: str
    payment_id: str


class RecordCollected(BaseModel):
    order_id: str
    staff_id: str


class IssuePickupCode(BaseModel):
    order_id: str
    generation: int


class CheckPickupCode(BaseModel):
    order_id: str
    generation: int
    code_hash: str


class PickupCodeChecked(BaseModel):
    matches: bool
    wrong_attempts: int
    # Too many wrong codes for this code: refused without looking, until a new one.
    blocked: bool = False


class OrderMessage(StrEnum):
    """What the patient (or the pharmacy) is told; the activity picks the template."""

    proforma_issued = "proforma_issued"
    order_validated = "order_validated"
    order_rejected = "order_rejected"
    pickup_reminder = "pickup_reminder"
    expired = "expired"
    # A payment that succeeded after the order expired, refunded.
    late_payment_refunded = "late_payment_refunded"
    # To the pharmacy's staff: an order of theirs ended unpaid or uncollected.
    expired_staff = "expired_staff"


class NotifyOrder(BaseModel):
    order_id: str
    message: OrderMessage


class OrderDone(BaseModel):
    changed: bool = True


OPEN_PHARMACY_ORDER = ActivityRef("open_pharmacy_order", OpenOrder, OrderOpened)
RECORD_PROFORMA = ActivityRef("record_proforma", RecordProforma, OrderDone)
RECORD_PHARMACY_ORDER = ActivityRef("record_pharmacy_order", RecordOrder, OrderDone)
RECORD_ORDER_VALIDATION = ActivityRef("record_order_validation", RecordValidation, OrderDone)
RECORD_ORDER_CLOSED = ActivityRef("record_order_closed", RecordClosed, OrderDone)
RECORD_ORDER_PAID = ActivityRef("record_order_paid", RecordPaid, OrderDone)
RECORD_ORDER_COLLECTED = ActivityRef("record_order_collected", RecordCollected, OrderDone)
ISSUE_PICKUP_CODE = ActivityRef("issue_pickup_code", IssuePickupCode, OrderDone)
CHECK_PICKUP_CODE = ActivityRef("check_pickup_code", CheckPickupCode, PickupCodeChecked)
NOTIFY_PHARMACY_ORDER = ActivityRef("notify_pharmacy_order", NotifyOrder, OrderDone)
