"""Paying a validated order through the kit, the pickup code by email and SMS, collecting
with it: the API, the real worker, the dev server, the sandbox provider."""

from __future__ import annotations

import httpx
import pytest
from temporalio.client import WorkflowExecutionStatus

from api.web_pages import PAGES
from domain.ids import payment_workflow_id
from domain.links import WebPage
from domain.pharmacy import OrderState, pharmacy_order_workflow_id
from tests.accounts.flows import delivered
from tests.payments.support import checkout, eventually
from tests.pharmacy.support import billing_address, cast, pay, validated

pytestmark = pytest.mark.db
PHONE = "+237670000123"


async def _paid(api, c, oid):  # type: ignore[no-untyped-def]
    async def paid() -> bool:
        found = await api.get(f"/api/v1/pharmacy-orders/{oid}", headers=c.patient.headers)
        return bool(found.json()["status"] == "paid")
    await eventually(paid)


async def test_pay_get_the_code_and_collect(api, worker, sessions, e2e_settings,
                                           temporal_env) -> None:
    c = await cast(sessions, e2e_settings, phone=PHONE)
    oid = await validated(api, c)
    payment = await pay(api, c, oid, await billing_address(api, c))
    assert payment["amount"] == {"amount": 6000, "currency": "XAF"}
    unpaid = await api.post(f"/api/v1/pharmacy/orders/{oid}/collect",
                            json={"code": "ACDEFGHJ"}, headers=c.staff.headers)
    assert unpaid.status_code == 409
    await checkout(api, payment, "succeed")
    await _paid(api, c, oid)

    (mail,) = await delivered(api, c.patient.email, "order_paid")
    (sms,) = await delivered(api, PHONE, "pickup_code_sms")
    code = mail["data"]["pickup_code"]
    assert sms["data"]["pickup_code"] == code and len(code) == 8
    for message in (mail, sms):
        assert "AMLOR" not in message["body"].upper()
        assert "DOLIPRANE" not in message["body"].upper()

    wrong = await api.post(f"/api/v1/pharmacy/orders/{oid}/collect",
                           json={"code": "ACDEFGHJ" if code != "ACDEFGHJ" else "ACDEFGHK"},
                           headers=c.staff.headers)
    assert wrong.status_code == 400, wrong.text
    collected = await api.post(f"/api/v1/pharmacy/orders/{oid}/collect",
                               json={"code": code.lower()}, headers=c.staff.headers)
    assert collected.status_code == 200, collected.text
    assert collected.json()["status"] == "collected"
    again = await api.post(f"/api/v1/pharmacy/orders/{oid}/collect", json={"code": code},
                           headers=c.staff.headers)
    assert again.status_code == 409  # single use
    groups = (await api.get("/api/v1/me/prescriptions", headers=c.patient.headers)).json()
    assert {i["status"] for g in groups["items"] for i in g["items"]} == {"dispensed"}
    state = await temporal_env.client.get_workflow_handle(
        pharmacy_order_workflow_id(oid), result_type=OrderState).result()
    assert state.status == "collected" and state.payment_id == payment["id"]
    # The order's end leaves its payment to its own end: not Terminated in the Temporal UI
    # (the kit starts payments with ParentClosePolicy.ABANDON; the default terminated it).
    described = await temporal_env.client.get_workflow_handle(
        payment_workflow_id(payment["id"])).describe()
    assert described.status in {WorkflowExecutionStatus.RUNNING,
                                WorkflowExecutionStatus.COMPLETED}, described.status
    mine = (await api.get("/api/v1/me/requests", headers=c.patient.headers)).json()["items"]
    assert mine[0]["status"] == "collected"


async def test_five_wrong_codes_then_a_new_code(api, worker, sessions, e2e_settings) -> None:
    c = await cast(sessions, e2e_settings, phone=PHONE)
    oid = await validated(api, c)
    await checkout(api, await pay(api, c, oid, await billing_address(api, c)), "succeed")
    await _paid(api, c, oid)
    (mail,) = await delivered(api, c.patient.email, "order_paid")
    old = mail["data"]["pickup_code"]
    wrong = "ACDEFGHJ" if old != "ACDEFGHJ" else "ACDEFGHK"
    for _ in range(5):
        answer = await api.post(f"/api/v1/pharmacy/orders/{oid}/collect",
                                json={"code": wrong}, headers=c.staff.headers)
        assert answer.status_code == 400
    blocked = await api.post(f"/api/v1/pharmacy/orders/{oid}/collect", json={"code": old},
                             headers=c.staff.headers)
    assert blocked.status_code == 429, blocked.text

    renewed = await api.post(f"/api/v1/pharmacy-orders/{oid}/pickup-code",
                             headers=c.patient.headers)
    assert renewed.status_code == 202, renewed.text
    (fresh,) = await delivered(api, c.patient.email, "pickup_code_renewed")
    assert len(await delivered(api, PHONE, "pickup_code_sms", count=2)) == 2
    new = fresh["data"]["pickup_code"]
    assert new != old
    stale = await api.post(f"/api/v1/pharmacy/orders/{oid}/collect", json={"code": old},
                           headers=c.staff.headers)
    assert stale.status_code == 400
    ok = await api.post(f"/api/v1/pharmacy/orders/{oid}/collect", json={"code": new},
                        headers=c.staff.headers)
    assert ok.status_code == 200 and ok.json()["status"] == "collected"


async def test_a_eur_payer_pays_the_converted_price(api, worker, sessions,
                                                   e2e_settings) -> None:
    c = await cast(sessions, e2e_settings, currency="EUR")
    oid = await validated(api, c)
    payment = await pay(api, c, oid, await billing_address(api, c))
    # 4 boxes x 1500 XAF = 6000 XAF = 9.15 EUR at the fixed parity.
    assert payment["amount"] == {"amount": 915, "currency": "EUR"}
    twice = await api.post(f"/api/v1/pharmacy-orders/{oid}/pay", headers=c.patient.headers,
                           json={"billing_address_id": await billing_address(api, c),
                                 "payment_method": "card"})
    assert twice.status_code == 409  # one payment under way at a time


async def test_the_payment_link_opens_the_order_payment_page(api, worker, sessions,
                                                            e2e_settings) -> None:
    c = await cast(sessions, e2e_settings)
    oid = await validated(api, c)
    (told,) = await delivered(api, c.patient.email, "order_validated")
    link = httpx.URL(told["data"]["payment_url"])
    assert link.path == WebPage.pharmacy_order_payment.value
    assert link.params["order"] == oid
    page = await api.get(link.path, params=dict(link.params))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # What the page does: it reads the order and pays it through the API.
    for call in PAGES[WebPage.pharmacy_order_payment].api_calls():
        assert call.split(" ", 1)[1] in page.text or call == "POST /api/v1/auth/token"
    assert (await api.get(f"/api/v1/pharmacy-orders/{oid}",
                          headers=c.patient.headers)).json()["status"] == "validated"
    payment = await pay(api, c, oid, await billing_address(api, c))
    assert payment["checkout_url"]
