"""Payments and billing: addresses, payments, webhook events, invoices, plans, subscriptions,
purchases, balances, and the sandbox provider's own ledger."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column, id_column
from db.one_at_a_time import one_live_per
from domain.billing import LIVE_SUBSCRIPTION

LIVE_SUBSCRIPTION_PER_USER = "uq_subscriptions_live_per_user"


class BillingAddress(Base):
    __tablename__ = "billing_addresses"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    line1: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    from_profile: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at_column()


class Payment(Base):
    """Read model of a PaymentWorkflow; its status is written only by that workflow."""

    __tablename__ = "payments"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    method: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(16))
    operator: Mapped[str | None] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(300))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(String(32), default="other")
    billing_address_id: Mapped[str] = mapped_column(ForeignKey("billing_addresses.id"))
    provider_reference: Mapped[str | None] = mapped_column(String(200), index=True)
    checkout_url: Mapped[str | None] = mapped_column(String(1000))
    instructions: Mapped[str | None] = mapped_column(String(500))
    # Stripe: what Stripe.js confirms the PaymentIntent with (meant for the payer's browser).
    client_secret: Mapped[str | None] = mapped_column(String(300))
    failure_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = created_at_column()
    settled_at: Mapped[datetime | None] = mapped_column()
    # A refund asked for: pending at the provider, succeeded (status refunded) or failed
    # (the provider's reason; the payment stays succeeded and staff pay it back).
    refund_status: Mapped[str | None] = mapped_column(String(16), index=True)
    # The provider's refund id; for Orange Money the cash-in pay token, kept before paying.
    refund_reference: Mapped[str | None] = mapped_column(String(200))
    refund_failure_reason: Mapped[str | None] = mapped_column(String(300))


class ProviderEvent(Base):
    """A webhook event already processed: one row per (provider, event id)."""

    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[str] = id_column()
    provider: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(200))
    payment_id: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime] = created_at_column()


class InvoiceCounter(Base):
    """The last invoice number given in a year: numbers are gapless per year."""

    __tablename__ = "invoice_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[str] = id_column()
    number: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    billing_address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    issued_at: Mapped[datetime] = created_at_column()


class Plan(Base):
    """The plan catalogue, loaded by the migration (reference data kept between tests)."""

    __tablename__ = "plans"
    __table_args__ = {"info": {"reference_data": True}}

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # Minor units per currency, e.g. {"XAF": 5000, "EUR": 800}.
    prices: Mapped[dict[str, Any]] = mapped_column()
    period_days: Mapped[int] = mapped_column(Integer)
    teleconsultation: Mapped[bool] = mapped_column()
    office_appointment: Mapped[bool] = mapped_column()
    opinion_request: Mapped[bool] = mapped_column()
    sms_per_period: Mapped[int] = mapped_column(Integer)
    storage_gb: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Subscription(Base):
    """Read model of a SubscriptionWorkflow. The API inserts it in its first status
    (pending_payment), so that the database decides which of two subscriptions asked at
    once is the live one; every later status is written by the workflow."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        one_live_per(LIVE_SUBSCRIPTION_PER_USER, "user_id",
                     live=[status.value for status in LIVE_SUBSCRIPTION]),
    )

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    next_plan_id: Mapped[str | None] = mapped_column(ForeignKey("plans.id"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    auto_renew: Mapped[bool] = mapped_column(default=True)
    period: Mapped[int] = mapped_column(Integer, default=1)
    current_period_start: Mapped[datetime | None] = mapped_column()
    current_period_end: Mapped[datetime | None] = mapped_column()
    payment_method: Mapped[str | None] = mapped_column(String(16))
    provider: Mapped[str | None] = mapped_column(String(16))
    operator: Mapped[str | None] = mapped_column(String(8))
    payer_phone: Mapped[str | None] = mapped_column(String(32))
    billing_address_id: Mapped[str | None] = mapped_column(String(32))
    # The card of the first payment, kept at the provider (Stripe PaymentMethod id) and
    # charged off-session at each renewal; the customer is in `payment_customers`.
    saved_payment_method_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class PaymentCustomer(Base):
    """A user's customer object at a provider (Stripe Customer): created once per user."""

    __tablename__ = "payment_customers"
    __table_args__ = (UniqueConstraint("user_id", "provider"),)

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    provider: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()


class PeriodAllowance(Base):
    """Marks a period's SMS allowance as granted: once per (subscription, period)."""

    __tablename__ = "period_allowances"
    __table_args__ = (UniqueConstraint("subscription_id", "period"),)

    id: Mapped[str] = id_column()
    subscription_id: Mapped[str] = mapped_column(String(32))
    period: Mapped[int] = mapped_column(Integer)
    sms: Mapped[int] = mapped_column(Integer)
    granted_at: Mapped[datetime] = created_at_column()


class Purchase(Base):
    """Read model of a PurchaseWorkflow: SMS packs and storage."""

    __tablename__ = "purchases"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    sms_packs: Mapped[int] = mapped_column(Integer, default=0)
    storage_gb: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payment_id: Mapped[str | None] = mapped_column(String(32))
    credited_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()


class Balance(Base):
    """A user's consumable balances: SMS (plan period + purchased) and extra storage."""

    __tablename__ = "balances"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    sms_plan: Mapped[int] = mapped_column(Integer, default=0)
    sms_purchased: Mapped[int] = mapped_column(Integer, default=0)
    storage_extra_bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class SandboxCharge(Base):
    """The sandbox provider's own books (it stands for a vendor, not for our read model):
    one row per idempotency key, as a real provider keeps one charge per key."""

    __tablename__ = "sandbox_charges"

    id: Mapped[str] = id_column()
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    payment_id: Mapped[str] = mapped_column(String(32), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))  # requires_action|succeeded|failed|refunded
    create_calls: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
