"""Record the histories of PharmacyOrderWorkflow the replay tests check:
`uv run python -m tests.pharmacy.make_histories`.

Each path runs to its end on the time-skipping server, through the API (the patient and
the pharmacy's staff as people would) with the real activities on a throwaway SQLite
database, and is written under tests/pharmacy/histories/ as `pharmacy_order_<path>.json`.
Record again (and commit) only when a change is meant to be incompatible with orders
under way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from core.security import unseal
from db.models import Message
from domain.pharmacy import pharmacy_order_workflow_id
from tests.accounts.test_workflows_time_skipping import _messages
from tests.payments.support import checkout
from tests.pharmacy.support import (
    Cast,
    billing_address,
    cast,
    paid_order,
    pay,
    proforma_body,
    quote,
    request,
    validated,
)
from tests.support.recording import RecordingStack, recording_stack, save_history

HISTORIES = Path(__file__).with_name("histories")
MARGIN = timedelta(minutes=1)
Recorder = Callable[[RecordingStack, httpx.AsyncClient], Awaitable[None]]


async def _write(stack: RecordingStack, order_id: str, name: str) -> None:
    handle = stack.client.get_workflow_handle(pharmacy_order_workflow_id(order_id))
    await save_history(handle, HISTORIES / f"pharmacy_order_{name}.json")


async def _ordered(stack: RecordingStack, api: httpx.AsyncClient, *,
                   partial: bool = False) -> tuple[Cast, str]:
    c = await cast(stack.sessions, stack.settings)
    order = (await request(api, c)).json()
    body = proforma_body(order, unavailable=2, substitute=0,
                         now=await stack.env.get_current_time())
    lines = (await quote(api, c, order["id"], body)).json()["lines"]
    chosen = {"line_ids": [lines[1]["id"]]} if partial else {}
    placed = await api.post(f"/api/v1/proformas/{order['id']}/order", json=chosen,
                            headers=c.patient.headers)
    assert placed.status_code == 200, placed.text
    return c, order["id"]


async def _rejected(stack: RecordingStack, api: httpx.AsyncClient) -> None:
    c, oid = await _ordered(stack, api, partial=True)
    rejected = await api.post(f"/api/v1/pharmacy/orders/{oid}/reject",
                              json={"reason": "Rupture de stock"}, headers=c.staff.headers)
    assert rejected.status_code == 200, rejected.text
    await _write(stack, oid, "rejected")


async def _canceled(stack: RecordingStack, api: httpx.AsyncClient) -> None:
    c = await cast(stack.sessions, stack.settings)
    oid = (await request(api, c)).json()["id"]
    assert (await api.delete(f"/api/v1/proforma-requests/{oid}",
                             headers=c.patient.headers)).status_code == 204
    await _write(stack, oid, "canceled")


async def _not_quoted(stack: RecordingStack, api: httpx.AsyncClient) -> None:
    c = await cast(stack.sessions, stack.settings)
    oid = (await request(api, c)).json()["id"]
    await stack.env.sleep(stack.settings.durations.proforma_quote_within + MARGIN)
    await _write(stack, oid, "expired_not_quoted")


async def _not_paid(stack: RecordingStack, api: httpx.AsyncClient) -> None:
    c, oid = await _ordered(stack, api)
    assert (await api.post(f"/api/v1/pharmacy/orders/{oid}/validate",
                           headers=c.staff.headers)).status_code == 200
    await stack.env.sleep(stack.settings.durations.order_payment_within + MARGIN)
    await _write(stack, oid, "expired_not_paid")


async def _paid_and_collected(stack: RecordingStack, api: httpx.AsyncClient) -> None:
    """Paid, a new code asked for, collected with it."""
    c = await cast(stack.sessions, stack.settings)
    oid, _ = await paid_order(api, c, now=await stack.env.get_current_time())
    await _messages(stack.sessions, c.patient.email, "order_paid")
    assert (await api.post(f"/api/v1/pharmacy-orders/{oid}/pickup-code",
                           headers=c.patient.headers)).status_code == 202
    (renewed,) = await _messages(stack.sessions, c.patient.email, "pickup_code_renewed")
    async with stack.sessions() as session:
        sealed = await session.scalar(select(Message.data).where(Message.id == renewed.id))
    assert sealed is not None
    code = unseal(stack.settings.secret_key, sealed["pickup_code"])
    collected = await api.post(f"/api/v1/pharmacy/orders/{oid}/collect", json={"code": code},
                               headers=c.staff.headers)
    assert collected.status_code == 200, collected.text
    await _write(stack, oid, "collected")


async def _not_collected(stack: RecordingStack, api: httpx.AsyncClient) -> None:
    c = await cast(stack.sessions, stack.settings)
    oid, _ = await paid_order(api, c, now=await stack.env.get_current_time())
    await _messages(stack.sessions, c.patient.email, "order_paid")
    await stack.env.sleep(stack.settings.durations.pickup_within + MARGIN)
    await _write(stack, oid, "expired_not_collected_refunded")


async def _paid_late(stack: RecordingStack, api: httpx.AsyncClient) -> None:
    c = await cast(stack.sessions, stack.settings)
    oid = await validated(api, c, now=await stack.env.get_current_time())
    await stack.env.sleep(stack.settings.durations.order_payment_within - 2 * MARGIN)
    payment = await pay(api, c, oid, await billing_address(api, c))
    await stack.env.sleep(3 * MARGIN)
    await checkout(api, payment, "succeed")
    await _write(stack, oid, "expired_paid_late_refunded")


PATHS: list[Recorder] = [_rejected, _canceled, _not_quoted, _not_paid, _paid_and_collected,
                         _not_collected, _paid_late]


async def main() -> None:
    async with recording_stack() as stack, stack.api() as api:
        for record in PATHS:
            await record(stack, api)


if __name__ == "__main__":
    asyncio.run(main())
