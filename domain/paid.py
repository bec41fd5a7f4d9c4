"""The paid-process kit's models: who pays, what a process asks to be paid, and the word the
payment sends back to its process. See `workflows/paid.py` and docs/payments.md ("The
paid-process kit")."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel

from domain.activity_ref import ActivityRef
from domain.money import Money
from domain.payments import (
    InvoiceLine,
    Operator,
    PaymentMethod,
    PaymentStatus,
    PaymentTimings,
    ProviderName,
    RefundStatus,
    SavedCard,
)
from domain.signal_ref import SignalRef


class PaymentPayer(BaseModel):
    """Who pays and how: checked by the API (`api.paid_processes.payment_payer`). The payer
    may be someone else than the patient the process is for (a sponsor for a beneficiary)."""

    user_id: str
    method: PaymentMethod
    provider: ProviderName
    operator: Operator | None = None
    phone: str | None = None
    billing_address_id: str
    # Card at Stripe: keep the card for later off-session charges (renewals).
    save_card: bool = False
    # Charge this kept card off-session (no payer present).
    saved_card: SavedCard | None = None


class PaymentOrder(BaseModel):
    """What a process asks to be paid. Names people, never health data (the summary shows
    in the Temporal UI, the description on the invoice)."""

    amount: Money
    description: str
    lines: list[InvoiceLine]
    timings: PaymentTimings
    # `purpose` on the payment row: "appointment", "opinion", "pharmacy_order"...
    purpose: str
    # The child's start summary: "Payment for appointment RDV-2026-000123".
    summary: str
    # The search attributes of the process, shown on its payment as well.
    patient_id: str | None = None
    doctor_id: str | None = None
    pharmacy_id: str | None = None
    # How long after its success the payment can still be refunded (while the process may
    # compensate: a cancellation, a missed deadline). Zero: never refunded.
    refundable_for: timedelta = timedelta(0)


class PaymentRefundSettled(BaseModel):
    """Signal to the process: the refund it asked for is paid back, or refused."""

    payment_id: str
    refund_status: RefundStatus
    reason: str | None = None


class AskRefund(BaseModel):
    """Activity input: ask the payment `payment-<payment_id>` for a full refund."""

    payment_id: str
    reason: str


class RefundAsked(BaseModel):
    """Accepted (the refund goes on in the payment: `payment_refunded` tells the end), or
    rejected at once (not a succeeded payment, already asked, or its run has ended)."""

    payment_id: str
    accepted: bool
    reason: str | None = None


class PaymentOutcome(BaseModel):
    """What `PaidProcess.wait_for_payment` found: the final status, or `timed_out` when the
    process's deadline passed first (the payment may still succeed later)."""

    payment_id: str
    status: PaymentStatus
    timed_out: bool = False
    invoice_id: str | None = None
    invoice_number: str | None = None

    @property
    def paid(self) -> bool:
        return self.status is PaymentStatus.succeeded


ASK_REFUND = ActivityRef("ask_refund", AskRefund, RefundAsked)

PAYMENT_REFUNDED = SignalRef("payment_refunded", PaymentRefundSettled)
