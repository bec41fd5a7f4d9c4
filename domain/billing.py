"""Billing: addresses, the plan catalogue, subscriptions, purchases and invoices."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from domain.activity_ref import ActivityRef
from domain.contact import CountryCode
from domain.errors import InvalidField
from domain.money import Money
from domain.paid import PaymentPayer
from domain.payments import (
    InvoiceLine,
    Operator,
    PaymentMethod,
    PaymentRequest,
    PaymentResult,
    PaymentTimings,
    PaymentView,
    ProviderName,
    SavedCard,
)
from domain.text import SingleLineText


def purchase_workflow_id(purchase_id: str) -> str:
    return f"purchase-{purchase_id}"


# --- billing addresses -----------------------------------------------------------------------


class BillingAddressIn(BaseModel):
    """`{use_profile: true}` copies the profile address; otherwise the address is typed."""

    use_profile: bool = False
    line1: Annotated[SingleLineText, Field(min_length=2, max_length=300)] | None = None
    city: Annotated[SingleLineText, Field(max_length=100)] | None = None
    country: CountryCode | None = None
    postal_code: Annotated[SingleLineText, Field(max_length=20)] | None = None

    @model_validator(mode="after")
    def _profile_or_typed(self) -> BillingAddressIn:
        if not self.use_profile:
            for name in ("line1", "city", "country"):
                if not getattr(self, name):
                    raise InvalidField(name, "required unless use_profile is true")
        return self


class BillingAddress(BaseModel):
    id: str
    line1: str
    city: str
    country: str
    postal_code: str | None = None
    from_profile: bool = False
    created_at: datetime | None = None


# --- plans -----------------------------------------------------------------------------------


class PlanEntitlements(BaseModel):
    teleconsultation: bool
    office_appointment: bool
    opinion_request: bool
    sms_per_period: int = Field(ge=0)
    storage_gb: int = Field(ge=0)


class Plan(BaseModel):
    """A plan as one payer sees it: the price is in their profile currency."""

    id: str
    code: str
    name: str
    price: Money
    period_days: int
    entitlements: PlanEntitlements


# --- subscriptions ---------------------------------------------------------------------------


class SubscriptionStatus(StrEnum):
    pending_payment = "pending_payment"
    active = "active"
    past_due = "past_due"
    canceled = "canceled"
    expired = "expired"


# A patient has one live subscription at a time (canceled still runs to its period end);
# a partial unique index holds the rule (db/models/billing.py).
LIVE_SUBSCRIPTION = (SubscriptionStatus.pending_payment, SubscriptionStatus.active,
                     SubscriptionStatus.past_due, SubscriptionStatus.canceled)


class SubscriptionIn(PaymentRequest):
    plan_id: str = Field(min_length=1, max_length=32)


class SubscriptionCreated(BaseModel):
    subscription_id: str
    status: SubscriptionStatus
    payment: PaymentView


class SubscriptionView(BaseModel):
    id: str
    status: SubscriptionStatus
    plan: Plan
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    auto_renew: bool
    next_plan: Plan | None = None


class PlanChangeIn(BaseModel):
    plan_id: str = Field(min_length=1, max_length=32)


class SubscriptionTimings(BaseModel):
    renewal_reminder_before: timedelta
    grace_period: timedelta
    payment: PaymentTimings


class PlanTerms(BaseModel):
    """The plan as charged to this subscriber (price in their currency)."""

    plan_id: str
    code: str
    name: str
    price: Money
    period_days: int
    sms_per_period: int = 0


class Payer(BaseModel):
    user_id: str
    email: str
    phone: str | None = None
    language: str = "fr"
    method: PaymentMethod
    provider: ProviderName
    operator: Operator | None = None
    payer_phone: str | None = None
    billing_address_id: str


class SubscriptionInput(BaseModel):
    subscription_id: str
    payer: Payer
    plan: PlanTerms
    timings: SubscriptionTimings
    period: int = 1
    # Set from the second period on (continue-as-new carries them).
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    auto_renew: bool = True
    next_plan: PlanTerms | None = None
    # The card of the first payment (Stripe), charged off-session at each renewal.
    saved_card: SavedCard | None = None


class SubscriptionState(BaseModel):
    """Query answer and the result of a finished subscription."""

    subscription_id: str
    status: SubscriptionStatus
    period: int
    plan_code: str
    current_period_end: datetime | None = None
    auto_renew: bool
    payments: list[PaymentResult] = Field(default_factory=list)


class CancelResult(BaseModel):
    status: SubscriptionStatus
    auto_renew: bool
    current_period_end: datetime | None = None


class PlanChangeResult(BaseModel):
    next_plan_code: str
    effective_at: datetime | None = None


class RecordSubscription(BaseModel):
    """Activity input: write the subscription's read model (idempotent upsert)."""

    subscription_id: str
    user_id: str
    plan_id: str
    status: SubscriptionStatus
    auto_renew: bool
    period: int
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    next_plan_id: str | None = None
    payment_method: PaymentMethod | None = None
    provider: ProviderName | None = None
    operator: Operator | None = None
    payer_phone: str | None = None
    billing_address_id: str | None = None


class SubscriptionRecorded(BaseModel):
    subscription_id: str
    status: SubscriptionStatus


class GrantPeriodAllowance(BaseModel):
    """Activity input: the plan's SMS for one period, granted once per (subscription, period)."""

    subscription_id: str
    user_id: str
    period: int
    sms: int


class AllowanceGranted(BaseModel):
    already_granted: bool


# --- purchases -------------------------------------------------------------------------------


class PurchaseStatus(StrEnum):
    pending_payment = "pending_payment"
    paid = "paid"
    failed = "failed"


class PurchaseIn(PaymentRequest):
    sms_packs: int = Field(default=0, ge=0, le=100)
    storage_gb: int = Field(default=0, ge=0, le=1000)

    @model_validator(mode="after")
    def _something_to_buy(self) -> PurchaseIn:
        if self.sms_packs == 0 and self.storage_gb == 0:
            raise InvalidField("sms_packs", "buy at least one SMS pack or one GB of storage")
        return self


class PurchaseCreated(BaseModel):
    purchase_id: str
    payment: PaymentView


class PurchaseInput(BaseModel):
    purchase_id: str
    payment: PaymentRequestSnapshot
    sms_packs: int
    sms_per_pack: int
    storage_gb: int
    lines: list[InvoiceLine]
    total: Money
    timings: PaymentTimings


# The payer of a purchase: the kit's one payer model (purchases started before it carry
# the same fields, without save_card).
PaymentRequestSnapshot = PaymentPayer


class PurchaseState(BaseModel):
    purchase_id: str
    status: PurchaseStatus
    payment: PaymentView | None = None
    result: PaymentResult | None = None


class CreditPurchase(BaseModel):
    purchase_id: str
    user_id: str
    sms: int
    storage_bytes: int


class PurchaseCredited(BaseModel):
    already_credited: bool


class RecordPurchase(BaseModel):
    purchase_id: str
    user_id: str
    status: PurchaseStatus
    sms_packs: int
    storage_gb: int
    total: Money
    payment_id: str | None = None


class PurchaseRecorded(BaseModel):
    purchase_id: str
    status: PurchaseStatus


PurchaseInput.model_rebuild()


def purchase_lines(
    sms_packs: int, sms_per_pack: int, sms_pack_price: Money, storage_gb: int,
    storage_gb_price: Money,
) -> tuple[list[InvoiceLine], Money]:
    lines: list[InvoiceLine] = []
    if sms_packs:
        lines.append(InvoiceLine(description=f"SMS pack ({sms_per_pack} SMS)",
                                 quantity=sms_packs, unit_price=sms_pack_price,
                                 total=sms_pack_price.times(sms_packs)))
    if storage_gb:
        lines.append(InvoiceLine(description="Storage (1 GB)", quantity=storage_gb,
                                 unit_price=storage_gb_price,
                                 total=storage_gb_price.times(storage_gb)))
    total = lines[0].total
    for line in lines[1:]:
        total = total + line.total
    return lines, total


# --- invoices --------------------------------------------------------------------------------


class InvoiceStatus(StrEnum):
    paid = "paid"
    refunded = "refunded"


class Invoice(BaseModel):
    id: str
    number: str
    status: InvoiceStatus
    total: Money
    lines: list[InvoiceLine]
    issued_at: datetime
    payment_id: str
    billing_address: BillingAddress | None = None


def invoice_number(prefix: str, year: int, sequence: int) -> str:
    """Gapless per year: ES-2026-000001."""
    return f"{prefix}-{year}-{sequence:06d}"


# --- activity references (name, input, output) ------------------------------------------

RECORD_SUBSCRIPTION = ActivityRef("record_subscription", RecordSubscription, SubscriptionRecorded)
GRANT_PERIOD_ALLOWANCE = ActivityRef(
    "grant_period_allowance", GrantPeriodAllowance, AllowanceGranted)
RECORD_PURCHASE = ActivityRef("record_purchase", RecordPurchase, PurchaseRecorded)
CREDIT_PURCHASE = ActivityRef("credit_purchase", CreditPurchase, PurchaseCredited)
