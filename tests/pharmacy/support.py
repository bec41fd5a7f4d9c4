"""Helpers of the pharmacy tests: a patient with prescriptions, a pharmacy with its staff,
and the steps of an order through the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import PrescriptionItem
from domain.accounts import Role
from tests.care.conftest import AMLOR_5, DOLIPRANE_1000, consultation, item
from tests.support.users import TestUser, make_user


@dataclass
class Cast:
    patient: TestUser
    doctor: TestUser
    staff: TestUser
    pharmacy_id: str
    item_ids: list[str]


async def cast(sessions: SessionMaker, settings: Settings, *, currency: str = "XAF",
               phone: str | None = "+237670000123", **patient_fields: Any) -> Cast:
    """A patient with a published consultation of three prescription items, and a verified
    pharmacist of a pharmacy."""
    patient = await make_user(sessions, settings, Role.patient, currency=currency,
                              phone=phone, **patient_fields)
    doctor = await make_user(sessions, settings, Role.doctor)
    staff = await make_user(sessions, settings, Role.pharmacist)
    consultation_id = await consultation(sessions, patient, doctor, items=[
        item(AMLOR_5, quantity=2), item(DOLIPRANE_1000), item(name="Sirop maison")])
    async with sessions() as session:
        item_ids = list(await session.scalars(
            select(PrescriptionItem.id).where(PrescriptionItem.consultation_id
                                              == consultation_id)
            .order_by(PrescriptionItem.position)))
    return Cast(patient, doctor, staff, staff.extra["pharmacy_id"], item_ids)


async def request(api: httpx.AsyncClient, c: Cast, item_ids: list[str] | None = None
                  ) -> httpx.Response:
    return await api.post("/api/v1/proforma-requests", headers=c.patient.headers, json={
        "pharmacy_id": c.pharmacy_id, "prescription_item_ids": item_ids or c.item_ids})


def proforma_body(order: dict[str, Any], *, unavailable: int | None = None,
                  substitute: int | None = None, price: int = 1500,
                  valid_for: timedelta = timedelta(days=2),
                  now: datetime | None = None) -> dict[str, Any]:
    """A pro-forma for every item sent; `now` is the server's time (on the time-skipping
    server, ahead of the wall clock)."""
    lines = []
    for index, sent in enumerate(order["items"]):
        lines.append({
            "prescription_item_id": sent["id"],
            "product": "AMLODIPINE GENERIQUE 5 mg" if index == substitute else sent["name"],
            "quantity": sent["quantity"], "unit_price": {"amount": price, "currency": "XAF"},
            "available": index != unavailable})
    return {"lines": lines, "valid_until": ((now or utcnow()) + valid_for).isoformat()}


async def quote(api: httpx.AsyncClient, c: Cast, order_id: str, body: dict[str, Any]
                ) -> httpx.Response:
    return await api.post(f"/api/v1/pharmacy/requests/{order_id}/proforma",
                          headers=c.staff.headers, json=body)


async def billing_address(api: httpx.AsyncClient, c: Cast) -> str:
    answer = await api.post("/api/v1/me/billing-addresses", json={
        "line1": "12 rue de la Joie", "city": "Douala", "country": "CM"},
        headers=c.patient.headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def validated(api: httpx.AsyncClient, c: Cast, now: datetime | None = None) -> str:
    """An order of all the items, quoted, ordered and validated: its id."""
    order = (await request(api, c)).json()
    answer = await quote(api, c, order["id"], proforma_body(order, now=now))
    assert answer.status_code == 200, answer.text
    placed = await api.post(f"/api/v1/proformas/{order['id']}/order", json={},
                            headers=c.patient.headers)
    assert placed.status_code == 200, placed.text
    answer = await api.post(f"/api/v1/pharmacy/orders/{order['id']}/validate",
                            headers=c.staff.headers)
    assert answer.status_code == 200, answer.text
    return str(order["id"])


async def pay(api: httpx.AsyncClient, c: Cast, order_id: str, address: str
              ) -> dict[str, Any]:
    answer = await api.post(f"/api/v1/pharmacy-orders/{order_id}/pay", headers=c.patient.headers,
                            json={"billing_address_id": address, "payment_method": "card"})
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["payment"])


async def paid_order(api: httpx.AsyncClient, c: Cast, now: datetime | None = None
                     ) -> tuple[str, dict[str, Any]]:
    """A validated order paid by card on the sandbox's checkout page: its id and payment
    (the process records the payment a moment later)."""
    order_id = await validated(api, c, now=now)
    payment = await pay(api, c, order_id, await billing_address(api, c))
    path = httpx.URL(payment["checkout_url"]).path
    answer = await api.post(path, data={"outcome": "succeed"})
    assert answer.status_code == 200, answer.text
    return order_id, payment
