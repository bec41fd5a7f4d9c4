"""Every deadline of a pharmacy order is a timer of its process, with its outcome (API.md
"Deadlines"): on the time-skipping server, through the API."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from db.engine import SessionMaker
from db.models import PharmacyOrder
from domain.pharmacy import OrderState, pharmacy_order_workflow_id
from tests.accounts.test_workflows_time_skipping import MARGIN, _messages, _sent
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

pytestmark = pytest.mark.db


async def _order(api: httpx.AsyncClient, c: Cast, oid: str) -> dict:  # type: ignore[type-arg]
    answer = await api.get(f"/api/v1/pharmacy-orders/{oid}", headers=c.patient.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def _ended(env: WorkflowEnvironment, oid: str) -> OrderState:
    return await env.client.get_workflow_handle(
        pharmacy_order_workflow_id(oid), result_type=OrderState).result()


async def _prescriptions_open(api: httpx.AsyncClient, c: Cast) -> bool:
    groups = (await api.get("/api/v1/me/prescriptions", headers=c.patient.headers)).json()
    return {i["status"] for g in groups["items"] for i in g["items"]} == {"open"}


async def test_not_quoted_in_time(ts_api, time_skipping_env, sessions, settings) -> None:
    c = await cast(sessions, settings)
    oid = (await request(ts_api, c)).json()["id"]
    await time_skipping_env.sleep(settings.durations.proforma_quote_within - MARGIN)
    assert (await _order(ts_api, c, oid))["status"] == "requested"
    await time_skipping_env.sleep(2 * MARGIN)
    state = await _ended(time_skipping_env, oid)
    assert state.status == "expired" and state.expiry_reason == "not_quoted"
    order = await _order(ts_api, c, oid)
    assert order["status"] == "expired" and order["expiry_reason"] == "not_quoted"
    (told,) = await _messages(sessions, c.patient.email, "pharmacy_order_expired")
    assert "did not answer" in told.body
    assert await _prescriptions_open(ts_api, c)
    late = await quote(ts_api, c, oid, proforma_body(order))
    assert late.status_code == 409


async def test_not_ordered_by_valid_until(ts_api, time_skipping_env, sessions,
                                          settings) -> None:
    c = await cast(sessions, settings)
    order = (await request(ts_api, c)).json()
    valid_for = timedelta(hours=6)
    body = proforma_body(order, valid_for=valid_for,
                         now=await time_skipping_env.get_current_time())
    assert (await quote(ts_api, c, order["id"], body)).status_code == 200
    await time_skipping_env.sleep(valid_for + MARGIN)
    state = await _ended(time_skipping_env, order["id"])
    assert state.status == "expired" and state.expiry_reason == "not_ordered"
    await _messages(sessions, c.patient.email, "pharmacy_order_expired")
    expired = await ts_api.post(f"/api/v1/proformas/{order['id']}/order", json={},
                                headers=c.patient.headers)
    assert expired.status_code == 409
    assert await _prescriptions_open(ts_api, c)


async def _ordered(api: httpx.AsyncClient, env: WorkflowEnvironment, c: Cast) -> str:
    order = (await request(api, c)).json()
    body = proforma_body(order, now=await env.get_current_time())
    assert (await quote(api, c, order["id"], body)).status_code == 200
    placed = await api.post(f"/api/v1/proformas/{order['id']}/order", json={},
                            headers=c.patient.headers)
    assert placed.status_code == 200, placed.text
    return str(order["id"])


async def test_not_validated_in_time(ts_api, time_skipping_env, sessions, settings) -> None:
    c = await cast(sessions, settings)
    oid = await _ordered(ts_api, time_skipping_env, c)
    await time_skipping_env.sleep(settings.durations.order_validation_within + MARGIN)
    state = await _ended(time_skipping_env, oid)
    assert state.status == "expired" and state.expiry_reason == "not_validated"
    await _messages(sessions, c.patient.email, "pharmacy_order_expired")
    (staff,) = await _messages(sessions, c.staff.email, "pharmacy_order_expired_staff")
    assert "Patient" in staff.body
    late = await ts_api.post(f"/api/v1/pharmacy/orders/{oid}/validate",
                             headers=c.staff.headers)
    assert late.status_code == 409
    assert await _prescriptions_open(ts_api, c)


async def test_validated_and_not_paid_releases_the_stock(
    ts_api: httpx.AsyncClient, time_skipping_env: WorkflowEnvironment, sessions: SessionMaker,
    settings: Settings,
) -> None:
    c = await cast(sessions, settings)
    oid = await _ordered(ts_api, time_skipping_env, c)
    validated = await ts_api.post(f"/api/v1/pharmacy/orders/{oid}/validate",
                                  headers=c.staff.headers)
    assert validated.status_code == 200
    assert validated.json()["stock_reserved_until"]
    await time_skipping_env.sleep(settings.durations.order_payment_within + MARGIN)
    state = await _ended(time_skipping_env, oid)
    assert state.status == "expired" and state.expiry_reason == "not_paid"
    async with sessions() as session:
        row = await session.get(PharmacyOrder, oid)
        assert row is not None and row.stock_reserved_until is None
    (told,) = await _messages(sessions, c.patient.email, "pharmacy_order_expired")
    assert "not paid in time" in told.body
    (staff,) = await _messages(sessions, c.staff.email, "pharmacy_order_expired_staff")
    assert "free again" in staff.body
    assert await _sent(sessions, c.patient.email, "order_paid") == []
    assert await _prescriptions_open(ts_api, c)


async def test_paid_and_not_collected_is_reminded_then_refunded(
    ts_api: httpx.AsyncClient, time_skipping_env: WorkflowEnvironment, sessions: SessionMaker,
    settings: Settings,
) -> None:
    c = await cast(sessions, settings)
    oid, payment = await paid_order(ts_api, c, now=await time_skipping_env.get_current_time())
    await _messages(sessions, c.patient.email, "order_paid")
    d = settings.durations
    await time_skipping_env.sleep(d.pickup_within - d.pickup_reminder_before + MARGIN)
    await _messages(sessions, c.patient.email, "pickup_reminder")
    assert (await _order(ts_api, c, oid))["status"] == "paid"
    await time_skipping_env.sleep(d.pickup_reminder_before)
    state = await _ended(time_skipping_env, oid)
    assert state.status == "expired" and state.expiry_reason == "not_collected"
    assert state.refunded
    (told,) = await _messages(sessions, c.patient.email, "pharmacy_order_expired")
    assert "refunded" in told.body
    refunded = await ts_api.get(f"/api/v1/payments/{payment['id']}", headers=c.patient.headers)
    assert refunded.json()["status"] == "refunded"
    assert await _prescriptions_open(ts_api, c)


async def test_a_payment_after_the_order_expired_is_refunded(
    ts_api: httpx.AsyncClient, time_skipping_env: WorkflowEnvironment, sessions: SessionMaker,
    settings: Settings,
) -> None:
    c = await cast(sessions, settings)
    oid = await validated(ts_api, c, now=await time_skipping_env.get_current_time())
    d = settings.durations
    # Paid for in the reservation's last minutes, approved only after it ended.
    await time_skipping_env.sleep(d.order_payment_within - 2 * MARGIN)
    payment = await pay(ts_api, c, oid, await billing_address(ts_api, c))
    await time_skipping_env.sleep(3 * MARGIN)
    assert (await _order(ts_api, c, oid))["status"] == "expired"
    await checkout(ts_api, payment, "succeed")
    state = await _ended(time_skipping_env, oid)
    assert state.status == "expired" and state.expiry_reason == "not_paid" and state.refunded
    await _messages(sessions, c.patient.email, "late_payment_refunded")
    refunded = await ts_api.get(f"/api/v1/payments/{payment['id']}", headers=c.patient.headers)
    assert refunded.json()["status"] == "refunded"
    assert await _sent(sessions, c.patient.email, "order_paid") == []
