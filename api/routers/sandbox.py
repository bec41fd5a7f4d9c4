"""The sandbox provider's hosted checkout (dev): approve or decline a payment, which then
sends a signed webhook through the same path as a real provider's."""

from __future__ import annotations

import html
from typing import Annotated, Literal

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, TemporalClient
from api.payments import PaymentProvidersDep
from api.problems import Problem
from api.routers.webhooks import process_webhook
from db.models import Payment
from domain.payments import PaymentStatus, ProviderName
from providers.payments import SandboxProvider
from providers.payments.sandbox import SIGNATURE_HEADER, payment_status, webhook_body

router = APIRouter(prefix="/sandbox", tags=["dev"])

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>E-same sandbox checkout</title></head>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">
<h1>Sandbox checkout</h1>
<p>Payment <code>{payment_id}</code>: <strong>{amount}</strong> — status <em>{status}</em>.</p>
{action}
</body></html>"""
_PAY_OR_DECLINE = """<form method="post">
<button name="outcome" value="succeed">Pay</button>
<button name="outcome" value="fail">Decline</button>
</form>
<p>Or close this page: the payment expires at its deadline.</p>"""
_SETTLED = "<p>Nothing left to do here: this payment is {status}.</p>"


def _sandbox(providers: PaymentProvidersDep) -> SandboxProvider:
    provider = providers.get(ProviderName.sandbox)
    assert isinstance(provider, SandboxProvider)
    return provider


@router.get("/checkout/{payment_id}", response_class=HTMLResponse)
async def checkout_page(payment_id: str, providers: PaymentProvidersDep,
                        session: SessionDep) -> HTMLResponse:
    """The sandbox provider's checkout page for a payment (dev only)."""
    charge = await _sandbox(providers).ledger.get(payment_id)
    if charge is None:
        raise Problem(404, "No such sandbox payment.")
    # The status the API shows for this payment (not the sandbox's own vocabulary), and
    # the buttons only while the payer can still pay or decline.
    row = await session.get(Payment, payment_id)
    status = PaymentStatus(row.status) if row is not None else payment_status(charge.status)
    open_ = status is PaymentStatus.pending and charge.status == "requires_action"
    amount = f"{charge.amount.amount} {charge.amount.currency}"
    action = _PAY_OR_DECLINE if open_ else _SETTLED.format(status=html.escape(status.value))
    return HTMLResponse(_PAGE.format(payment_id=html.escape(payment_id),
                                     amount=html.escape(amount),
                                     status=html.escape(status.value), action=action))


@router.post("/checkout/{payment_id}", response_class=HTMLResponse)
async def checkout_outcome(
    payment_id: str, outcome: Annotated[Literal["succeed", "fail"], Form()],
    providers: PaymentProvidersDep, session: SessionDep, temporal: TemporalClient,
) -> HTMLResponse:
    """Pay or decline a sandbox payment (dev only)."""
    sandbox = _sandbox(providers)
    charge = await sandbox.ledger.settle(
        payment_id, "succeeded" if outcome == "succeed" else "failed")
    if charge is None:
        raise Problem(404, "No such sandbox payment.")
    body = webhook_body(payment_id, charge.status)
    ack = await process_webhook(ProviderName.sandbox,
                                {SIGNATURE_HEADER: sandbox.signature(body)}, body,
                                session, temporal, providers)
    status = payment_status(charge.status).value
    return HTMLResponse(f"<!doctype html><p>Sandbox payment {html.escape(payment_id)}: "
                        f"{html.escape(status)} (webhook {html.escape(ack.status)}).</p>")
