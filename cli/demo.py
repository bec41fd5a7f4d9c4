"""The demo patient's plan, taken the way any patient takes one: through the API, paid on the
sandbox's checkout page (`esame up` runs this once the worker and the API answer); and a
record fill asked of Dr Fotso and paid the same way, so that the demo doctor finds a record
to fill in.

A subscription's status belongs to its `SubscriptionWorkflow`; writing an `active` row in
the seed would leave a subscription no process renews, cancels or expires. Subscribing
through the API starts the real process, pays the sandbox, issues the invoice, and
activates the plan, so the demo account behaves like any other from the first minute.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from db.seed import DEMO_PASSWORD, DEMO_PATIENT_EMAIL

# Every care service (teleconsultation, office visits, opinion requests).
DEMO_PLAN_CODE = "confort"
_SERVICES = ("teleconsultation", "office_appointment", "opinion_request")
_LIVE = ("pending_payment", "active", "past_due", "canceled")
DEMO_BILLING_ADDRESS = {"line1": "Rue Joss, Bonanjo", "city": "Douala", "country": "CM"}


class DemoSetupFailed(RuntimeError):
    pass


async def _json(response: httpx.Response, expected: int = 200) -> Any:
    if response.status_code != expected:
        raise DemoSetupFailed(f"{response.request.method} {response.request.url.path}: "
                              f"{response.status_code} {response.text[:300]}")
    return response.json()


async def _has_every_service(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    entitlements = await _json(await http.get("/api/v1/me/entitlements", headers=headers))
    return all(entitlements[service] for service in _SERVICES)


async def _sign_in(http: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    token = await _json(await http.post("/api/v1/auth/token",
                                        data={"username": email, "password": password}))
    return {"Authorization": f"Bearer {token['access_token']}"}


async def _billing_address(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    addresses = (await _json(await http.get("/api/v1/me/billing-addresses",
                                            headers=headers)))["items"]
    if addresses:
        return str(addresses[0]["id"])
    created = await _json(await http.post("/api/v1/me/billing-addresses",
                                          json=DEMO_BILLING_ADDRESS, headers=headers), 201)
    return str(created["id"])


async def _pay_at_sandbox(http: httpx.AsyncClient, payment: dict[str, Any], what: str) -> None:
    checkout_url = payment.get("checkout_url")
    if not checkout_url:
        raise DemoSetupFailed(f"the {what}'s payment has no sandbox checkout page")
    paid = await http.post(httpx.URL(checkout_url).path, data={"outcome": "succeed"})
    if paid.status_code != 200:
        raise DemoSetupFailed(f"sandbox checkout: {paid.status_code} {paid.text[:200]}")


async def subscribe_demo_patient(
    http: httpx.AsyncClient, *, email: str = DEMO_PATIENT_EMAIL,
    password: str = DEMO_PASSWORD, plan_code: str = DEMO_PLAN_CODE, wait: float = 60,
) -> str:
    """Give the demo patient a plan with every service, unless they have one; what was done.

    `http` speaks to the API (its base URL); the sandbox checkout is part of it in dev."""
    headers = await _sign_in(http, email, password)
    if await _has_every_service(http, headers):
        return f"{email} has a plan with every service already"
    current = await http.get("/api/v1/me/subscription", headers=headers)
    if current.status_code == 200 and current.json()["status"] in _LIVE:
        return (f"{email} has a {current.json()['status']} subscription without every "
                "service; left as it is")
    plans = (await _json(await http.get("/api/v1/plans", headers=headers)))["items"]
    plan = next((p for p in plans if p["code"] == plan_code), None)
    if plan is None:
        raise DemoSetupFailed(f"no plan {plan_code!r}")
    address_id = await _billing_address(http, headers)
    created = await _json(await http.post(
        "/api/v1/me/subscriptions", headers=headers,
        json={"plan_id": plan["id"], "billing_address_id": address_id,
              "payment_method": "card"}), 201)
    await _pay_at_sandbox(http, created["payment"], "subscription")
    deadline = time.monotonic() + wait
    while not await _has_every_service(http, headers):
        if time.monotonic() > deadline:
            raise DemoSetupFailed("the subscription was paid but is not active yet")
        await asyncio.sleep(0.2)
    return f"{email} subscribed to {plan['name']}, paid with the sandbox"


DEMO_RECORD_FILL_DOCTOR = "Fotso"
DEMO_RECORD_FILL_NOTE = "Merci de compléter mes antécédents et mes traitements habituels."


async def ask_demo_record_fill(
    http: httpx.AsyncClient, *, email: str = DEMO_PATIENT_EMAIL,
    password: str = DEMO_PASSWORD, wait: float = 60,
) -> str:
    """The demo patient asks Dr Fotso to fill in their record and pays at the sandbox, so
    that dr.fotso@esame.local finds it in progress; unless the patient has asked one."""
    headers = await _sign_in(http, email, password)
    asked = await _json(await http.get("/api/v1/me/record-fill-requests", headers=headers))
    if asked["items"]:
        return f"{email} has a record fill already"
    doctors = (await _json(await http.get("/api/v1/me/doctors", headers=headers)))["items"]
    doctor = next((d for d in doctors if d["last_name"] == DEMO_RECORD_FILL_DOCTOR
                   and d["status"] == "active"), None)
    if doctor is None:
        raise DemoSetupFailed(f"Dr {DEMO_RECORD_FILL_DOCTOR} is not a doctor of {email}")
    created = await _json(await http.post(
        "/api/v1/record-fill-requests", headers=headers,
        json={"doctor_id": doctor["doctor_id"], "note": DEMO_RECORD_FILL_NOTE,
              "billing_address_id": await _billing_address(http, headers),
              "payment_method": "card"}), 201)
    await _pay_at_sandbox(http, created["payment"], "record fill")
    deadline = time.monotonic() + wait
    path = f"/api/v1/record-fill-requests/{created['id']}"
    while (await _json(await http.get(path, headers=headers)))["status"] != "in_progress":
        if time.monotonic() > deadline:
            raise DemoSetupFailed("the record fill was paid but is not in progress yet")
        await asyncio.sleep(0.2)
    return (f"{email} asked Dr {DEMO_RECORD_FILL_DOCTOR} to fill in their record "
            f"({created['reference']}), paid with the sandbox")


DEMO_OPINION = {
    "reason": "Palpitations et essoufflement",
    "symptoms": "Palpitations le soir, essoufflement en montant les escaliers depuis un mois.",
    "illness_history": "Hypertension traitée depuis 2019 (AMLOR 5 mg). Pas d'antécédent "
                       "cardiaque connu.",
    "vitals": [{"type": "blood_pressure", "measured_at": "2026-11-28T07:30:00Z",
                "systolic": 148, "diastolic": 92},
               {"type": "heart_rate", "measured_at": "2026-11-28T07:30:00Z", "value": 96}],
}


async def draft_demo_opinion(
    http: httpx.AsyncClient, *, email: str = DEMO_PATIENT_EMAIL,
    password: str = DEMO_PASSWORD,
) -> str:
    """A complete draft opinion request from the demo patient to their first doctor, written
    through the API (so its process runs), ready for "payer et transmettre"; skipped when
    the patient has an opinion request already."""
    headers = await _sign_in(http, email, password)
    mine = await _json(await http.get("/api/v1/me/opinion-requests", headers=headers))
    if mine["items"]:
        return f"{email} has an opinion request already"
    doctors = [d for d in (await _json(await http.get(
        "/api/v1/me/doctors", headers=headers)))["items"] if d["status"] == "active"]
    if not doctors:
        raise DemoSetupFailed(f"{email} has no doctor to ask an opinion of")
    # Dr Mbarga (dr.mbarga@esame.local) when there, to sign in as and answer.
    doctor = next((d for d in doctors if d["last_name"] == "Mbarga"), doctors[0])
    doctor_id = doctor["doctor_id"]
    created = await _json(await http.post("/api/v1/opinion-requests", headers=headers,
                                          json={"doctor_id": doctor_id, **DEMO_OPINION}), 201)
    return (f"{email} has a draft opinion request {created['reference']} to submit "
            "(Mes demandes)")


def run_demo_processes(api_base_url: str) -> list[str]:
    """What `esame up` starts once the API answers (each step is skipped when done)."""

    async def run() -> list[str]:
        try:
            async with httpx.AsyncClient(base_url=api_base_url, timeout=30) as http:
                return [await subscribe_demo_patient(http), await ask_demo_record_fill(http),
                        await draft_demo_opinion(http)]
        except httpx.HTTPError as err:
            raise DemoSetupFailed(f"the API did not answer: {err}") from err

    return asyncio.run(run())
