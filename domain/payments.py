"""Payments: the request a payer sends, the payment object, and the models of PaymentWorkflow
and its activities."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from domain.activity_ref import ActivityRef
from domain.contact import PhoneNumber
from domain.errors import InvalidField
from domain.money import CURRENCY_EXPONENTS, Money
from domain.signal_ref import SignalRef


class PaymentMethod(StrEnum):
    card = "card"
    paypal = "paypal"
    mobile_money = "mobile_money"


class Operator(StrEnum):
    mtn = "mtn"
    orange = "orange"


class ProviderName(StrEnum):
    sandbox = "sandbox"
    stripe = "stripe"
    paypal = "paypal"
    mtn_momo = "mtn_momo"
    orange_money = "orange_money"


class PaymentStatus(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"
    expired = "expired"
    refunded = "refunded"


class RefundStatus(StrEnum):
    """A refund at the provider: Mobile Money pays back later, so it may stay pending."""

    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


FINAL_STATUSES = frozenset(
    {PaymentStatus.succeeded, PaymentStatus.failed, PaymentStatus.expired,
     PaymentStatus.refunded}
)


class PaymentRequest(BaseModel):
    """The fields a payer sends wherever something is paid."""

    billing_address_id: str = Field(min_length=1, max_length=32)
    payment_method: PaymentMethod
    operator: Operator | None = None
    phone: PhoneNumber | None = None

    @model_validator(mode="after")
    def _mobile_money_needs_operator_and_phone(self) -> PaymentRequest:
        if self.payment_method is PaymentMethod.mobile_money:
            if self.operator is None:
                raise InvalidField("operator", "mobile_money needs an operator (mtn or orange)")
            if not self.phone:
                raise InvalidField("phone", "mobile_money needs the payer's phone number")
        elif self.operator is not None:
            raise InvalidField("operator", "operator is only for mobile_money")
        return self


class AmountError(ValueError):
    pass


def check_amount(amount: Money, payer_currency: str | None) -> Money:
    """An amount a payer may be charged: positive, in the currency of their profile."""
    if payer_currency is None:
        raise AmountError("complete your profile (currency) before paying")
    if amount.currency != payer_currency:
        raise AmountError(f"amounts are charged in your profile currency {payer_currency}")
    if amount.amount <= 0:
        raise AmountError("the amount must be positive")
    if amount.currency not in CURRENCY_EXPONENTS:
        raise AmountError(f"unsupported currency {amount.currency}")
    return amount


class PaymentView(BaseModel):
    """The payment object of the API."""

    id: str
    status: PaymentStatus
    method: PaymentMethod
    provider: ProviderName
    amount: Money
    checkout_url: str | None = None
    payment_url: str | None = Field(
        default=None, description="The web app's page of this payment: where the payer "
        "pays it (on to checkout_url, or the instructions), and comes back to.")
    instructions: str | None = None
    client_secret: str | None = Field(
        default=None, description="Stripe: confirm the PaymentIntent with Stripe.js.")
    created_at: datetime | None = None
    settled_at: datetime | None = None
    # Set once a refund was asked for: pending while the provider has not paid back yet,
    # failed when it refused (the payment then stays succeeded); `status` says refunded.
    refund_status: RefundStatus | None = None


class InvoiceLine(BaseModel):
    description: str
    quantity: int = Field(default=1, ge=1)
    unit_price: Money
    total: Money


# --- PaymentWorkflow -------------------------------------------------------------------------

class PaymentTimings(BaseModel):
    """From settings, carried in the input because workflows read no configuration."""

    deadline: timedelta
    poll_initial: timedelta
    poll_max: timedelta
    # How long a pending refund is polled (with the same backoff) before it is left to staff.
    refund_deadline: timedelta = timedelta(days=3)
    # How long the API's checkout request waits for the provider to create the payment.
    checkout_wait: timedelta = timedelta(seconds=20)


class SavedCard(BaseModel):
    """A card the payer let us keep at the provider (Stripe: their Customer and the
    PaymentMethod of a payment made with `setup_future_usage`), charged off-session."""

    customer_id: str
    payment_method_id: str


class PaymentInput(BaseModel):
    payment_id: str
    user_id: str
    amount: Money
    method: PaymentMethod
    provider: ProviderName
    operator: Operator | None = None
    phone: str | None = None
    billing_address_id: str
    description: str
    lines: list[InvoiceLine]
    timings: PaymentTimings
    # The workflow to tell once the payment exists at the provider (its checkout URL).
    notify_workflow_id: str | None = None
    purpose: str = "other"
    # After a success, stay open this long so the parent can still ask for a refund
    # (e.g. an opinion request refunded when the doctor misses the deadline).
    refundable_for: timedelta = timedelta(0)
    search_patient_id: str | None = None
    # Card at Stripe: create the PaymentIntent for the payer's Customer, with
    # `setup_future_usage=off_session`, so that the card can be charged again later.
    save_card: bool = False
    # Charge this saved card off-session (no payer present): the payment is final at once,
    # or refused (declined, or the bank wants the payer to authenticate).
    saved_card: SavedCard | None = None


class PaymentResult(BaseModel):
    payment_id: str
    status: PaymentStatus
    invoice_id: str | None = None
    invoice_number: str | None = None


class PaymentCreated(BaseModel):
    """Signal to the parent: the payment exists at the provider."""

    payment: PaymentView


class ProviderEventSignal(BaseModel):
    """A verified webhook, passed to the waiting PaymentWorkflow."""

    provider: ProviderName
    event_id: str
    status: PaymentStatus
    provider_reference: str | None = None


class RefundRequest(BaseModel):
    reason: str = "refund"


class PaymentSettled(BaseModel):
    """Signal to the parent: the payment's outcome (before any refund window)."""

    result: PaymentResult


class RefundResult(BaseModel):
    payment_id: str
    status: PaymentStatus


# --- activities ------------------------------------------------------------------------------

class CreateAtProvider(BaseModel):
    payment: PaymentInput


class CreatedAtProvider(BaseModel):
    view: PaymentView
    provider_reference: str
    # What the provider said at creation: final already for an off-session card charge.
    status: PaymentStatus = PaymentStatus.pending


class SaveCard(BaseModel):
    """Activity input: keep the card of a succeeded payment for a subscription's renewals."""

    subscription_id: str
    payment_id: str
    provider: ProviderName


class CardSaved(BaseModel):
    card: SavedCard | None = None


class CheckAtProvider(BaseModel):
    payment_id: str
    provider: ProviderName


class CancelAtProvider(BaseModel):
    payment_id: str
    provider: ProviderName


class CanceledAtProvider(BaseModel):
    payment_id: str


class ProviderStatus(BaseModel):
    status: PaymentStatus
    provider_reference: str | None = None


class RecordPaymentStatus(BaseModel):
    payment_id: str
    status: PaymentStatus
    reason: str | None = None


class PaymentRecorded(BaseModel):
    payment_id: str
    status: PaymentStatus


class IssueInvoice(BaseModel):
    payment_id: str


class InvoiceIssued(BaseModel):
    invoice_id: str
    number: str


class RefundAtProvider(BaseModel):
    payment_id: str
    provider: ProviderName
    reason: str


class RefundedAtProvider(BaseModel):
    payment_id: str
    refund_reference: str | None = None
    # (histories recorded before refunds could be pending carry no status: they succeeded)
    status: RefundStatus = RefundStatus.succeeded
    reason: str | None = None


class CheckRefundAtProvider(BaseModel):
    payment_id: str
    provider: ProviderName
    refund_reference: str | None = None


class RefundAtProviderStatus(BaseModel):
    status: RefundStatus
    reason: str | None = None


class RecordRefundFailed(BaseModel):
    payment_id: str
    reason: str


class RefundFailedRecorded(BaseModel):
    payment_id: str


def next_poll_interval(current: timedelta, maximum: timedelta) -> timedelta:
    """Exponential backoff between status checks, capped."""
    return min(current * 2, maximum)


class SandboxCharge(BaseModel):
    """A charge in the sandbox provider's ledger (it stands for the vendor's books)."""

    payment_id: str
    amount: Money
    status: str  # requires_action | succeeded | failed | refunded
    create_calls: int = 1


# --- activity references (name, input, output) ------------------------------------------

CREATE_PAYMENT = ActivityRef("create_payment", CreateAtProvider, CreatedAtProvider)
SAVE_CARD = ActivityRef("save_card", SaveCard, CardSaved)
CHECK_PAYMENT_STATUS = ActivityRef("check_payment_status", CheckAtProvider, ProviderStatus)
CANCEL_PAYMENT = ActivityRef("cancel_payment", CancelAtProvider, CanceledAtProvider)
RECORD_PAYMENT_STATUS = ActivityRef("record_payment_status", RecordPaymentStatus, PaymentRecorded)
ISSUE_INVOICE = ActivityRef("issue_invoice", IssueInvoice, InvoiceIssued)
REFUND_PAYMENT = ActivityRef("refund_payment", RefundAtProvider, RefundedAtProvider)
CHECK_REFUND_STATUS = ActivityRef(
    "check_refund_status", CheckRefundAtProvider, RefundAtProviderStatus)
RECORD_REFUND_FAILED = ActivityRef("record_refund_failed", RecordRefundFailed, RefundFailedRecorded)

# --- signal references (name, input) ----------------------------------------------------

# A provider's webhook, verified by the API, to the payment it is about.
PROVIDER_EVENT = SignalRef("provider_event", ProviderEventSignal)
# A payment to the process that asked for it (`notify_workflow_id`): it exists at the
# provider (its checkout), then it is settled.
PAYMENT_CREATED = SignalRef("payment_created", PaymentCreated)
PAYMENT_SETTLED = SignalRef("payment_settled", PaymentSettled)
