"""Every table; importing this package registers them all on Base.metadata."""

from db.models.accounts import CareLink, DoctorProfile, Invitation, Pharmacy, User
from db.models.billing import (
    Balance,
    BillingAddress,
    Invoice,
    InvoiceCounter,
    Payment,
    PeriodAllowance,
    Plan,
    ProviderEvent,
    Purchase,
    SandboxCharge,
    Subscription,
)
from db.models.platform import AuditEntry, IdempotencyRecord, Message, RateLimitEvent

__all__ = [
    "Balance",
    "BillingAddress",
    "Invoice",
    "InvoiceCounter",
    "Payment",
    "PeriodAllowance",
    "Plan",
    "ProviderEvent",
    "Purchase",
    "SandboxCharge",
    "Subscription",
    "AuditEntry",
    "CareLink",
    "DoctorProfile",
    "IdempotencyRecord",
    "Invitation",
    "Message",
    "Pharmacy",
    "RateLimitEvent",
    "User",
]
