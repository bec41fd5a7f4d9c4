"""Prescriptions to the pharmacy end to end: the API, the real worker, the dev server."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from db.models import AuditEntry, PharmacyOrder
from domain.accounts import Role
from domain.pharmacy import pharmacy_order_workflow_id
from tests.accounts.flows import delivered
from tests.pharmacy.support import Cast, cast, proforma_body, quote, request
from tests.support.users import make_user

pytestmark = pytest.mark.db


async def _prescription_statuses(api, c: Cast) -> dict[str, str]:  # type: ignore[no-untyped-def]
    groups = (await api.get("/api/v1/me/prescriptions", headers=c.patient.headers)).json()
    return {i["id"]: i["status"] for g in groups["items"] for i in g["items"]}


async def test_request_quote_order_validate(api, worker, sessions, e2e_settings,
                                           temporal_env) -> None:
    c = await cast(sessions, e2e_settings)
    created = await request(api, c)
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "requested" and order["reference"].startswith("PHA-")
    assert order["pharmacy"]["id"] == c.pharmacy_id
    assert set((await _prescription_statuses(api, c)).values()) == {"requested"}

    # The run is found by patient and pharmacy in the Temporal UI, named without health data.
    described = await temporal_env.client.get_workflow_handle(
        pharmacy_order_workflow_id(order["id"])).describe()
    shown = {p.key.name: p.value for p in described.typed_search_attributes}
    assert shown["EsamePatientId"] == c.patient.id
    assert shown["EsamePharmacyId"] == c.pharmacy_id
    summary = await described.static_summary()
    assert order["reference"] in summary and c.patient.esame_id in summary
    assert "AMLOR" not in summary.upper()

    # Staff see the request: the patient's name and the items sent; the read is audited.
    listed = await api.get("/api/v1/pharmacy/requests", params={"status": "requested"},
                           headers=c.staff.headers)
    assert listed.status_code == 200
    (seen,) = listed.json()["items"]
    assert seen["patient"] == {"first_name": "Patient", "last_name": c.patient.id[:6]}
    assert [i["id"] for i in seen["items"]] == c.item_ids
    async with sessions() as session:
        audited = (await session.scalars(select(AuditEntry).where(
            AuditEntry.actor_id == c.staff.id))).all()
    assert [(a.subject_id, a.action) for a in audited] == [
        (c.patient.id, "pharmacy_order.list")]

    # The pro-forma: one substitution, one line unavailable.
    body = proforma_body(order, unavailable=2, substitute=0)
    quoted = await quote(api, c, order["id"], body)
    assert quoted.status_code == 200, quoted.text
    assert quoted.json()["status"] == "quoted"
    (issued,) = await delivered(api, c.patient.email, "proforma_issued")
    assert issued["data"]["reference"] == order["reference"]
    assert "AMLOR" not in issued["body"].upper()
    again = await quote(api, c, order["id"], body)
    assert again.status_code == 409  # immutable once issued

    (proforma,) = (await api.get("/api/v1/me/proformas",
                                 headers=c.patient.headers)).json()["items"]
    assert [line["substitution"] for line in proforma["lines"]] == [True, False, False]
    assert [line["available"] for line in proforma["lines"]] == [True, True, False]
    assert proforma["total"] == {"amount": 1500 * 2 + 1500, "currency": "XAF"}
    assert proforma["valid_until"]

    # Ordered: the available lines by default; the item left out is open again.
    ordered = await api.post(f"/api/v1/proformas/{order['id']}/order", json={},
                             headers=c.patient.headers)
    assert ordered.status_code == 200, ordered.text
    placed = ordered.json()
    assert placed["status"] == "ordered"
    assert placed["price"] == {"amount": 4500, "currency": "XAF"}
    statuses = await _prescription_statuses(api, c)
    assert [statuses[i] for i in c.item_ids] == ["requested", "requested", "open"]

    validated = await api.post(f"/api/v1/pharmacy/orders/{order['id']}/validate",
                               headers=c.staff.headers)
    assert validated.status_code == 200, validated.text
    assert validated.json()["status"] == "validated"
    assert validated.json()["stock_reserved_until"]
    (told,) = await delivered(api, c.patient.email, "order_validated")
    assert told["data"]["payment_url"].startswith(e2e_settings.web_links.base)
    twice = await api.post(f"/api/v1/pharmacy/orders/{order['id']}/validate",
                           headers=c.staff.headers)
    assert twice.status_code == 409
    unpaid = await api.post(f"/api/v1/pharmacy/orders/{order['id']}/collect",
                            json={"code": "ABCDEFGH"}, headers=c.staff.headers)
    assert unpaid.status_code == 409

    mine = (await api.get("/api/v1/me/requests", headers=c.patient.headers)).json()["items"]
    assert [(r["reference"], r["kind"], r["status"]) for r in mine] == [
        (order["reference"], "pharmacy", "validated")]


async def test_rejected_with_a_reason(api, worker, sessions, e2e_settings) -> None:
    c = await cast(sessions, e2e_settings)
    order = (await request(api, c)).json()
    assert (await quote(api, c, order["id"], proforma_body(order))).status_code == 200
    await api.post(f"/api/v1/proformas/{order['id']}/order", json={},
                   headers=c.patient.headers)
    rejected = await api.post(f"/api/v1/pharmacy/orders/{order['id']}/reject",
                              json={"reason": "Rupture de stock"}, headers=c.staff.headers)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejection_reason"] == "Rupture de stock"
    (told,) = await delivered(api, c.patient.email, "order_rejected")
    assert "Rupture de stock" in told["body"]
    assert set((await _prescription_statuses(api, c)).values()) == {"open"}
    # Nothing is deleted: the rejected order keeps its history.
    kept = await api.get(f"/api/v1/pharmacy-orders/{order['id']}", headers=c.patient.headers)
    assert kept.json()["status"] == "rejected" and len(kept.json()["lines"]) == 3
    # The items can go to a pharmacy again.
    assert (await request(api, c)).status_code == 201


async def test_a_partial_order(api, worker, sessions, e2e_settings) -> None:
    c = await cast(sessions, e2e_settings)
    order = (await request(api, c)).json()
    lines = (await quote(api, c, order["id"], proforma_body(order))).json()["lines"]
    chosen = [lines[1]["id"]]
    ordered = await api.post(f"/api/v1/proformas/{order['id']}/order",
                             json={"line_ids": chosen}, headers=c.patient.headers)
    assert ordered.status_code == 200, ordered.text
    assert [line["ordered"] for line in ordered.json()["lines"]] == [False, True, False]
    assert ordered.json()["price"] == {"amount": 1500, "currency": "XAF"}
    statuses = await _prescription_statuses(api, c)
    assert [statuses[i] for i in c.item_ids] == ["open", "requested", "open"]


async def test_a_eur_payer_gets_the_converted_price(api, worker, sessions,
                                                   e2e_settings) -> None:
    c = await cast(sessions, e2e_settings, currency="EUR")
    order = (await request(api, c)).json()
    await quote(api, c, order["id"], proforma_body(order, price=5000))
    placed = (await api.post(f"/api/v1/proformas/{order['id']}/order", json={},
                             headers=c.patient.headers)).json()
    # 4 boxes x 5000 XAF = 20000 XAF = 30.49 EUR at the fixed parity.
    assert placed["list_price"] == {"amount": 20000, "currency": "XAF"}
    assert placed["price"] == {"amount": 3049, "currency": "EUR"}


async def test_cancel_while_requested(api, worker, sessions, e2e_settings) -> None:
    c = await cast(sessions, e2e_settings)
    order = (await request(api, c)).json()
    canceled = await api.delete(f"/api/v1/proforma-requests/{order['id']}",
                                headers=c.patient.headers)
    assert canceled.status_code == 204, canceled.text
    assert set((await _prescription_statuses(api, c)).values()) == {"open"}
    again = await api.delete(f"/api/v1/proforma-requests/{order['id']}",
                             headers=c.patient.headers)
    assert again.status_code == 409
    second = (await request(api, c)).json()
    await quote(api, c, second["id"], proforma_body(second))
    late = await api.delete(f"/api/v1/proforma-requests/{second['id']}",
                            headers=c.patient.headers)
    assert late.status_code == 409


async def test_bad_input(api, worker, sessions, e2e_settings) -> None:
    c = await cast(sessions, e2e_settings)
    other = await cast(sessions, e2e_settings)
    foreign = await request(api, c, other.item_ids[:1])
    assert foreign.status_code == 422
    order = (await request(api, c, c.item_ids[:2])).json()
    taken = await request(api, c, c.item_ids[1:])
    assert taken.status_code == 409

    def with_price(amount: int, currency: str = "XAF"):  # type: ignore[no-untyped-def]
        body = proforma_body(order)
        body["lines"][0]["unit_price"] = {"amount": amount, "currency": currency}
        return body

    for body in (with_price(0), with_price(-100), with_price(1500, "EUR")):
        refused = await quote(api, c, order["id"], body)
        assert refused.status_code == 422, refused.text
    past = proforma_body(order)
    past["valid_until"] = "2020-01-01T00:00:00Z"
    refused = await quote(api, c, order["id"], past)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "valid_until"
    stranger = proforma_body(order)
    stranger["lines"][0]["prescription_item_id"] = c.item_ids[2]
    assert (await quote(api, c, order["id"], stranger)).status_code == 422


async def test_who_sees_what(api, worker, sessions, e2e_settings) -> None:
    c = await cast(sessions, e2e_settings)
    order = (await request(api, c)).json()
    oid = order["id"]
    other_patient = await make_user(sessions, e2e_settings, Role.patient)
    other_staff = await make_user(sessions, e2e_settings, Role.pharmacist)
    for who in (other_patient, c.staff, c.doctor):
        for method, path, body in (
            ("GET", f"/api/v1/pharmacy-orders/{oid}", None),
            ("DELETE", f"/api/v1/proforma-requests/{oid}", None),
            ("POST", f"/api/v1/proformas/{oid}/order", {}),
            ("POST", f"/api/v1/pharmacy-orders/{oid}/pickup-code", None),
        ):
            answer = await api.request(method, path, json=body, headers=who.headers)
            assert answer.status_code in (403, 404), (who.role, path, answer.status_code)
            if who is other_patient:
                assert answer.status_code == 404, path
    staff_calls = (
        ("GET", f"/api/v1/pharmacy/requests/{oid}", None),
        ("POST", f"/api/v1/pharmacy/requests/{oid}/proforma", proforma_body(order)),
        ("POST", f"/api/v1/pharmacy/orders/{oid}/validate", None),
        ("POST", f"/api/v1/pharmacy/orders/{oid}/reject", {"reason": "non"}),
        ("POST", f"/api/v1/pharmacy/orders/{oid}/collect", {"code": "ABCDEFGH"}),
    )
    for who in (other_staff, c.patient, c.doctor, other_patient):
        for method, path, payload in staff_calls:
            answer = await api.request(method, path, json=payload, headers=who.headers)
            assert answer.status_code == 404, (who.role, path, answer.text)
        listed = await api.get("/api/v1/pharmacy/requests", headers=who.headers)
        if who is other_staff:
            assert listed.status_code == 200 and listed.json()["items"] == []
        else:
            assert listed.status_code == 404
    async with sessions() as session:
        denied = (await session.scalars(select(AuditEntry).where(
            AuditEntry.actor_id == other_staff.id, AuditEntry.outcome == "denied"))).all()
    assert len(denied) == len(staff_calls)


async def test_pharmacies_by_city(api, sessions, e2e_settings) -> None:
    c = await cast(sessions, e2e_settings)
    found = await api.get("/api/v1/pharmacies", params={"city": "yaoundé"},
                          headers=c.patient.headers)
    assert found.status_code == 200
    assert c.pharmacy_id in [p["id"] for p in found.json()["items"]]
    none = await api.get("/api/v1/pharmacies", params={"city": "Douala"},
                         headers=c.patient.headers)
    assert c.pharmacy_id not in [p["id"] for p in none.json()["items"]]


async def test_two_requests_at_once_for_the_same_item(api, worker, sessions,
                                                      e2e_settings) -> None:
    """The database decides: of two requests of the same instant holding one item, one
    goes in, the other is refused (409), whatever the interleaving."""
    c = await cast(sessions, e2e_settings)
    first, second = await asyncio.gather(request(api, c, c.item_ids[:2]),
                                         request(api, c, c.item_ids[1:]))
    assert sorted([first.status_code, second.status_code]) == [201, 409], (
        first.text, second.text)
    async with sessions() as session:
        orders = (await session.scalars(select(PharmacyOrder))).all()
    assert len(orders) == 1
