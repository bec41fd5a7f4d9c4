"""Billing addresses, payment request validation, plans, own payments only."""

from __future__ import annotations

import pytest

from domain.accounts import Role
from tests.payments.support import paying_patient, payment_fields
from tests.support.users import make_user

pytestmark = pytest.mark.db


async def test_billing_addresses(api, sessions, e2e_settings) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient, address_line="5 avenue Kennedy")
    typed = await api.post("/api/v1/me/billing-addresses", headers=user.headers, json={
        "line1": "8 rue Paris", "city": "Lyon", "country": "FR", "postal_code": "69001"})
    assert typed.status_code == 201
    assert typed.json()["line1"] == "8 rue Paris" and typed.json()["id"]
    profile = await api.post("/api/v1/me/billing-addresses", headers=user.headers,
                             json={"use_profile": True})
    assert profile.status_code == 201
    assert {k: profile.json()[k] for k in ("line1", "city", "country", "from_profile")} == {
        "line1": "5 avenue Kennedy", "city": "Douala", "country": "CM", "from_profile": True}
    missing = await api.post("/api/v1/me/billing-addresses", headers=user.headers,
                             json={"city": "Lyon"})
    assert missing.status_code == 422
    page = (await api.get("/api/v1/me/billing-addresses", headers=user.headers,
                          params={"limit": 1})).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = (await api.get("/api/v1/me/billing-addresses", headers=user.headers,
                          params={"limit": 1, "cursor": page["next_cursor"]})).json()
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {typed.json()["id"],
                                                                profile.json()["id"]}
    assert rest["next_cursor"] is None
    assert (await api.get("/api/v1/me/billing-addresses")).status_code == 401


async def test_payment_requests_are_validated(api, sessions, e2e_settings) -> None:
    user, address = await paying_patient(sessions, e2e_settings, api)
    other, other_address = await paying_patient(sessions, e2e_settings, api)
    cases = [
        payment_fields(address, "mobile_money"),  # no operator nor phone
        payment_fields(address, "mobile_money", operator="orange"),  # no phone
        payment_fields(address, "card", operator="mtn"),
        payment_fields(address, "cash"),
        payment_fields(other_address),  # someone else's address
    ]
    for fields in cases:
        response = await api.post("/api/v1/me/subscriptions", headers=user.headers,
                                  json={"plan_id": "plan-confort", **fields})
        assert response.status_code == 422, fields
        assert response.headers["content-type"] == "application/problem+json"
    nothing = await api.post("/api/v1/me/purchases", headers=user.headers,
                             json={"sms_packs": 0, **payment_fields(address)})
    assert nothing.status_code == 422
    unknown_plan = await api.post("/api/v1/me/subscriptions", headers=user.headers,
                                  json={"plan_id": "plan-gold", **payment_fields(address)})
    assert unknown_plan.status_code == 422
    del other


async def test_amounts_follow_the_profile_currency(api, sessions, e2e_settings) -> None:
    chf_user = await make_user(sessions, e2e_settings, Role.patient, currency="CHF",
                               address_line="1 quai du Mont-Blanc")
    address = (await api.post("/api/v1/me/billing-addresses", headers=chf_user.headers,
                              json={"use_profile": True})).json()["id"]
    # No price in CHF: refused, not charged in another currency.
    refused = await api.post("/api/v1/me/purchases", headers=chf_user.headers,
                             json={"sms_packs": 1, **payment_fields(address)})
    assert refused.status_code == 422


async def test_plans(api, sessions, e2e_settings) -> None:
    public = (await api.get("/api/v1/plans")).json()["items"]
    assert len(public) >= 3
    assert all(p["price"]["currency"] == "XAF" for p in public)
    assert len({(p["entitlements"]["sms_per_period"], p["price"]["amount"])
                for p in public}) == len(public)
    eur = await make_user(sessions, e2e_settings, Role.patient, currency="EUR")
    priced = (await api.get("/api/v1/plans", headers=eur.headers)).json()["items"]
    assert {p["code"]: p["price"] for p in priced}["famille"] == {"amount": 1900,
                                                                 "currency": "EUR"}
    assert set(priced[0]["entitlements"]) == {"teleconsultation", "office_appointment",
                                             "opinion_request", "sms_per_period", "storage_gb"}


async def test_someone_elses_payment_is_404(api, worker, sessions, e2e_settings) -> None:
    user, address = await paying_patient(sessions, e2e_settings, api)
    created = await api.post("/api/v1/me/purchases", headers=user.headers,
                             json={"storage_gb": 1, **payment_fields(address)})
    payment_id = created.json()["payment"]["id"]
    assert (await api.get(f"/api/v1/payments/{payment_id}",
                          headers=user.headers)).status_code == 200
    stranger = await make_user(sessions, e2e_settings, Role.patient)
    assert (await api.get(f"/api/v1/payments/{payment_id}",
                          headers=stranger.headers)).status_code == 404
    assert (await api.get("/api/v1/payments/nope", headers=user.headers)).status_code == 404
    assert (await api.get("/api/v1/me/subscription", headers=user.headers)).status_code == 404
    assert (await api.post("/api/v1/me/subscription/cancel",
                           headers=user.headers)).status_code == 404
