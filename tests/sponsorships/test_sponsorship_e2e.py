"""A sponsored consultation end to end: the API, the real worker (the real
`AppointmentWorkflow`) and the dev server. A sponsor in EUR pays for an XAF
teleconsultation; the beneficiary finds it in her calendar and her requests, joins the
teleconsultation; the doctor completes it; the sponsor sees `completed` and nothing
medical. Canceled by the beneficiary, or by the doctor: the sponsor is refunded.
(`test_sponsorship_time_skipping.py` covers the sponsorship's timers with a stand-in.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from db.engine import SessionMaker
from db.models import Payment
from tests.payments.support import eventually
from tests.sponsorships.flows import paid, status_becomes, told
from tests.sponsorships.world import World, make_world

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("worker")]

SUMMARY = "Tension artérielle à surveiller, revoir dans un mois."
DRUG = "AMLOR 5 mg, gélule"


@pytest.fixture
async def world(sessions: SessionMaker, e2e_settings: Any) -> World:
    return await make_world(sessions, e2e_settings)


async def _confirmed(api: httpx.AsyncClient, world: World, sessions: SessionMaker
                ) -> dict[str, Any]:
    created = await paid(api, world, sessions)
    appointment_id = created["appointment"]["id"]

    async def confirmed() -> dict[str, Any] | None:
        shown = await api.get(f"/api/v1/appointments/{appointment_id}",
                              headers=world.beneficiary.headers)
        body: dict[str, Any] = shown.json()
        return body if shown.status_code == 200 and body["status"] == "confirmed" else None

    await eventually(confirmed)
    return created


async def _refunded(api: httpx.AsyncClient, world: World, sessions: SessionMaker,
                    created: dict[str, Any]) -> None:
    await status_becomes(sessions, created["id"], "canceled")

    async def refunded() -> dict[str, Any] | None:
        (seen,) = (await api.get("/api/v1/me/sponsorships",
                                 headers=world.sponsor.headers)).json()["items"]
        return seen if seen["refund_status"] == "succeeded" else None

    seen = await eventually(refunded)
    assert seen["status"] == "canceled"
    async with sessions() as session:
        payment = await session.get(Payment, created["payment"]["id"], populate_existing=True)
        assert payment is not None and payment.status == "refunded"
        # The sponsor's own payment, to the method they paid with.
        assert payment.user_id == world.sponsor.id and payment.method == "card"
    payments = await api.get(f"/api/v1/payments/{created['payment']['id']}",
                             headers=world.sponsor.headers)
    assert payments.json()["status"] == "refunded"
    templates = [m.template for m in await told(sessions, world.sponsor.email, 2)]
    assert templates == ["sponsorship_confirmed", "sponsorship_canceled"]


async def test_a_eur_sponsor_pays_an_xaf_teleconsultation_held_and_completed(
        api: httpx.AsyncClient, world: World, sessions: SessionMaker) -> None:
    created = await _confirmed(api, world, sessions)
    assert created["price"] == {"amount": 2287, "currency": "EUR"}
    assert created["list_price"] == {"amount": 15000, "currency": "XAF"}
    appointment_id = created["appointment"]["id"]

    # Her calendar and her requests: the appointment, offered by "Jean D.".
    calendar = (await api.get("/api/v1/me/appointments",
                              headers=world.beneficiary.headers)).json()
    assert [item["id"] for item in calendar["items"]] == [appointment_id]
    (entry,) = (await api.get("/api/v1/me/requests",
                              headers=world.beneficiary.headers)).json()["items"]
    assert entry["kind"] == "teleconsultation" and entry["status"] == "confirmed"
    assert entry["sponsored_by"] == {"display_name": "Jean D."}
    # She joins the teleconsultation.
    joined = await api.get(f"/api/v1/appointments/{appointment_id}/teleconsultation",
                           headers=world.beneficiary.headers)
    assert joined.status_code == 200, joined.text

    # The doctor completes it, with a prescription.
    done = await api.post(
        f"/api/v1/doctor/appointments/{appointment_id}/complete", headers=world.doctor.headers,
        json={"summary": SUMMARY, "prescriptions": [
            {"name": DRUG, "dosage": "1 gélule", "quantity": 1}]})
    assert done.status_code == 200, done.text
    await status_becomes(sessions, created["id"], "completed")

    # The sponsor: completed, and nothing medical anywhere they can look.
    mine = await api.get("/api/v1/me/sponsorships", headers=world.sponsor.headers)
    (seen,) = mine.json()["items"]
    assert seen["status"] == "completed" and seen["refund_status"] is None
    one = await api.get(f"/api/v1/sponsorships/{created['id']}",
                        headers=world.sponsor.headers)
    requests = await api.get("/api/v1/me/requests", headers=world.sponsor.headers)
    for answer in (mine, one, requests):
        assert SUMMARY not in answer.text and DRUG not in answer.text
        assert "cardiology" not in answer.text
    (own,) = requests.json()["items"]
    assert own["kind"] == "sponsorship" and own["status"] == "completed"
    for path in (f"/api/v1/appointments/{appointment_id}", "/api/v1/me/consultations",
                 "/api/v1/me/prescriptions"):
        answer = await api.get(path, headers=world.sponsor.headers)
        assert answer.status_code in (200, 404)
        assert SUMMARY not in answer.text and DRUG not in answer.text
    # The beneficiary is not the sponsor: the sponsorship is not hers to read.
    assert (await api.get(f"/api/v1/sponsorships/{created['id']}",
                          headers=world.beneficiary.headers)).status_code == 404
    invoices = (await api.get("/api/v1/me/invoices", headers=world.sponsor.headers)).json()
    (invoice,) = invoices["items"]
    assert [line["description"] for line in invoice["lines"]] == ["Consultation médicale"]


async def test_canceled_by_the_beneficiary_the_sponsor_is_refunded(
        api: httpx.AsyncClient, world: World, sessions: SessionMaker) -> None:
    created = await _confirmed(api, world, sessions)
    canceled = await api.post(f"/api/v1/appointments/{created['appointment']['id']}/cancel",
                              headers=world.beneficiary.headers,
                              json={"reason": "Je serai en voyage"})
    assert canceled.status_code == 200, canceled.text
    await _refunded(api, world, sessions, created)


async def test_canceled_by_the_doctor_the_sponsor_is_refunded(
        api: httpx.AsyncClient, world: World, sessions: SessionMaker) -> None:
    created = await _confirmed(api, world, sessions)
    canceled = await api.post(f"/api/v1/appointments/{created['appointment']['id']}/cancel",
                              headers=world.doctor.headers, json={"reason": "Congrès"})
    assert canceled.status_code == 200, canceled.text
    await _refunded(api, world, sessions, created)
