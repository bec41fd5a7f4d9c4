"""SponsorshipWorkflow on the time-skipping server, through the API, with the real
activities, database and sandbox provider, and a stand-in for the appointment process
(tests/sponsorships/standin.py): the hold let go when the sponsor does not pay in time; a
EUR sponsor paying an XAF consultation, both told, each seeing only their part; the end of
the appointment (completed; canceled and refunded to the sponsor)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.settings import Settings
from core.temporal_client import data_converter, ensure_search_attributes
from db.engine import SessionMaker
from db.models import Appointment, Payment
from db.models.sponsorships import Sponsorship
from db.queries.sponsorships import sponsored_by
from domain.appointments import AppointmentInput, AppointmentStatus
from domain.requests import SponsoredBy
from domain.sponsorships import SponsorshipState
from tests.sponsorships.flows import (
    messages,
    paid,
    skip_time_again,
    sponsor,
    told,
)
from tests.sponsorships.standin import StandInAppointmentWorkflow, StandInEnd
from tests.sponsorships.world import World, make_world
from workers.main import WorkerDeps, build_worker

pytestmark = pytest.mark.db

PATIENT = SearchAttributeKey.for_keyword("EsamePatientId")
SPONSOR = SearchAttributeKey.for_keyword("EsameSponsorId")
DOCTOR = SearchAttributeKey.for_keyword("EsameDoctorId")
STATUS = SearchAttributeKey.for_keyword("EsameStatus")


@pytest.fixture
async def env(settings: Settings, sessions: SessionMaker) -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own: the API's update-with-start leaves the
    test server's time skipping locked once more (see `skip_time_again`), which must not
    reach the other tests' waits."""
    server = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(settings.temporal),
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"))
    try:
        await ensure_search_attributes(server.client, settings)
        deps = WorkerDeps.from_settings(settings, sessions)
        async with build_worker(server.client, deps,
                                stand_ins=[StandInAppointmentWorkflow]):
            yield server
    finally:
        await server.shutdown()


@pytest.fixture
async def api(env: WorkflowEnvironment, settings: Settings,
              sessions: SessionMaker) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, sessions=sessions, temporal=env.client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def world(sessions: SessionMaker, settings: Settings) -> World:
    return await make_world(sessions, settings)


async def test_not_paid_in_time_the_slot_is_free_again(
        env: WorkflowEnvironment, api: httpx.AsyncClient, world: World,
        sessions: SessionMaker) -> None:
    key = {"Idempotency-Key": "sponsor-once", **world.sponsor.headers}
    first = await api.post("/api/v1/sponsorships", headers=key, json=world.body())
    assert first.status_code == 201, first.text
    again = await api.post("/api/v1/sponsorships", headers=key, json=world.body())
    assert again.status_code == 201 and again.json() == first.json()
    async with sessions() as session:  # one sponsorship, one hold
        assert await session.scalar(select(func.count()).select_from(Sponsorship)) == 1
    created = first.json()
    assert created["status"] == "pending_payment"
    assert created["reference"].startswith("PAR-")
    assert created["beneficiary"] == {"esame_id": world.beneficiary.esame_id,
                                      "display_name": "Aïcha B."}
    # 15 000 XAF at the fixed parity, in the sponsor's euros.
    assert created["list_price"] == {"amount": 15000, "currency": "XAF"}
    assert created["price"] == {"amount": 2287, "currency": "EUR"}
    assert created["payment"]["amount"] == {"amount": 2287, "currency": "EUR"}
    assert created["payment"]["checkout_url"]

    handle = env.client.get_workflow_handle(f"sponsorship-{created['id']}",
                                            result_type=SponsorshipState)
    described = await handle.describe()
    attributes = described.typed_search_attributes
    # Found from either person (and the doctor).
    assert attributes.get(PATIENT) == world.beneficiary.id
    assert attributes.get(SPONSOR) == world.sponsor.id
    assert attributes.get(DOCTOR) == world.doctor.id

    # No payment: the payment's deadline passes, and with it the hold.
    await skip_time_again(env)
    state = await handle.result()
    assert state.status == "expired"
    assert (await handle.describe()).typed_search_attributes.get(STATUS) == (
        "sponsorship_expired")
    async with sessions() as session:
        appointment = await session.get(Appointment, created["appointment"]["id"])
        assert appointment is not None and appointment.status == AppointmentStatus.expired
    slots = await api.get(f"/api/v1/doctors/{world.doctor.id}/slots",
                          headers=world.sponsor.headers,
                          params={"from": world.slot.date().isoformat(),
                                  "to": world.slot.date().isoformat(),
                                  "type": "teleconsultation"})
    (slot,) = [s for s in slots.json()["items"] if s["start"].startswith(
        world.slot.strftime("%Y-%m-%dT%H:%M"))]
    assert slot["status"] == "free"

    mine = (await api.get("/api/v1/me/requests", headers=world.sponsor.headers)).json()
    assert [(i["reference"], i["kind"], i["status"]) for i in mine["items"]] == [
        (created["reference"], "sponsorship", "expired")]
    theirs = (await api.get("/api/v1/me/requests", headers=world.beneficiary.headers)).json()
    assert theirs["items"] == []  # never told of a sponsorship that did not happen
    assert [m.template for m in await told(sessions, world.sponsor.email, 1)] == [
        "sponsorship_not_paid"]
    assert await messages(sessions, world.beneficiary.email) == []


async def test_a_eur_sponsor_pays_an_xaf_consultation_then_it_is_completed(
        env: WorkflowEnvironment, api: httpx.AsyncClient, world: World,
        sessions: SessionMaker) -> None:
    created = await paid(api, world, sessions)

    appointment_id = created["appointment"]["id"]
    appointment = env.client.get_workflow_handle(f"appointment-{appointment_id}")
    history = await appointment.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    (given,) = await env.client.data_converter.decode(list(started.input.payloads),
                                                      [AppointmentInput])
    assert given.patient_id == world.beneficiary.id
    assert given.sponsored is not None
    assert given.sponsored.payment_id == created["payment"]["id"]
    assert given.sponsored.sponsor_id == world.sponsor.id
    assert given.payer is None and given.price is None
    shown = (await appointment.describe()).typed_search_attributes
    assert shown.get(PATIENT) == world.beneficiary.id and shown.get(DOCTOR) == world.doctor.id

    # Both told: the sponsor by email, the beneficiary by email and SMS.
    sponsor_told = await told(sessions, world.sponsor.email, 1)
    assert [m.template for m in sponsor_told] == ["sponsorship_confirmed"]
    assert "Aïcha B." in sponsor_told[0].body and "Bello" not in sponsor_told[0].body
    beneficiary_told = await told(sessions, world.beneficiary.email, 1)
    assert [m.template for m in beneficiary_told] == ["sponsorship_offered"]
    assert "Jean D." in beneficiary_told[0].body
    assert "Bon courage, maman !" in beneficiary_told[0].body
    assert "22.87" not in beneficiary_told[0].body and "2287" not in beneficiary_told[0].body
    assert [m.template for m in await told(sessions, "+237670000321", 1)] == [
        "sponsorship_offered_sms"]

    # The beneficiary's list: the appointment under its own reference, offered by "Jean D.".
    theirs = (await api.get("/api/v1/me/requests", headers=world.beneficiary.headers)).json()
    (entry,) = theirs["items"]
    assert entry["reference"].startswith("RDV-") and entry["kind"] == "teleconsultation"
    assert entry["status"] == "confirmed"
    assert entry["sponsored_by"] == {"display_name": "Jean D."}
    assert entry["url"] == f"/api/v1/appointments/{appointment_id}"
    # The sponsor's: the sponsorship, under its PAR reference, naming "Aïcha B." only.
    mine = (await api.get("/api/v1/me/requests", headers=world.sponsor.headers)).json()
    (own,) = mine["items"]
    assert own["reference"] == created["reference"] and own["kind"] == "sponsorship"
    assert own["title"] == "Consultation sponsored for Aïcha B."
    assert own["sponsored_by"] is None

    # The sponsor's invoice: "Consultation médicale", in euros, no specialty.
    invoices = (await api.get("/api/v1/me/invoices", headers=world.sponsor.headers)).json()
    (invoice,) = invoices["items"]
    assert [line["description"] for line in invoice["lines"]] == ["Consultation médicale"]
    assert invoice["total"] == {"amount": 2287, "currency": "EUR"}
    assert "cardiology" not in str(invoice).lower()

    # For the appointment's own views (calendar, GET /appointments/{id}).
    async with sessions() as session:
        assert await sponsored_by(session, [appointment_id, "another"]) == {
            appointment_id: SponsoredBy(display_name="Jean D.")}
    # The sponsorship is its sponsor's alone.
    path = f"/api/v1/sponsorships/{created['id']}"
    assert (await api.get(path, headers=world.sponsor.headers)).status_code == 200
    assert (await api.get(path, headers=world.beneficiary.headers)).status_code == 404
    assert (await api.get(path, headers=world.doctor.headers)).status_code == 403
    assert (await api.get(path)).status_code == 401
    assert (await api.get("/api/v1/sponsorships/unknown",
                          headers=world.sponsor.headers)).status_code == 404
    assert (await api.get("/api/v1/me/sponsorships",
                          headers=world.beneficiary.headers)).json()["items"] == []

    await appointment.signal("end", StandInEnd(status=AppointmentStatus.completed))
    result = await env.client.get_workflow_handle(
        f"sponsorship-{created['id']}", result_type=SponsorshipState).result()
    assert result.status == "completed"
    (seen,) = (await api.get("/api/v1/me/sponsorships",
                             headers=world.sponsor.headers)).json()["items"]
    assert seen["status"] == "completed" and seen["refund_status"] is None
    assert seen["beneficiary"]["display_name"] == "Aïcha B."
    assert seen["doctor"]["id"] == world.doctor.id
    assert seen["appointment"]["start"].startswith(world.slot.strftime("%Y-%m-%dT%H:%M"))
    # Status, date, doctor, refund: nothing medical, nothing else of the beneficiary.
    assert set(seen) == {"id", "reference", "status", "beneficiary", "appointment", "doctor",
                         "price", "list_price", "payment_id", "refund_status", "created_at",
                         "updated_at"}
    assert set(seen["beneficiary"]) == {"esame_id", "display_name"}
    assert set(seen["appointment"]) == {"id", "start", "end", "type", "doctor_id"}


async def test_canceled_the_sponsor_is_refunded_to_their_payment(
        env: WorkflowEnvironment, api: httpx.AsyncClient, world: World,
        sessions: SessionMaker) -> None:
    created = await paid(api, world, sessions)
    appointment = env.client.get_workflow_handle(
        f"appointment-{created['appointment']['id']}")
    await appointment.signal("end", StandInEnd(status=AppointmentStatus.canceled,
                                               refunded=True))
    state = await env.client.get_workflow_handle(
        f"sponsorship-{created['id']}", result_type=SponsorshipState).result()
    assert state.status == "canceled" and state.refund_status == "succeeded"
    async with sessions() as session:
        payment = await session.get(Payment, created["payment"]["id"])
        assert payment is not None and payment.status == "refunded"
        assert payment.user_id == world.sponsor.id and payment.method == "card"
    (seen,) = (await api.get("/api/v1/me/sponsorships",
                             headers=world.sponsor.headers)).json()["items"]
    assert seen["status"] == "canceled" and seen["refund_status"] == "succeeded"
    confirmed, canceled = await told(sessions, world.sponsor.email, 2)
    assert (confirmed.template, canceled.template) == ("sponsorship_confirmed",
                                                       "sponsorship_canceled")
    assert "Refund: paid back" in canceled.body and "Aïcha B." in (canceled.subject or "")


async def test_my_sponsorships_are_paged_newest_first(
        env: WorkflowEnvironment, api: httpx.AsyncClient, world: World) -> None:
    made = [await sponsor(api, world, start=(world.slot + timedelta(minutes=20 * n))
                          .isoformat()) for n in range(3)]
    first = (await api.get("/api/v1/me/sponsorships", headers=world.sponsor.headers,
                           params={"limit": 2})).json()
    assert first["next_cursor"]
    second = (await api.get("/api/v1/me/sponsorships", headers=world.sponsor.headers,
                            params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert second["next_cursor"] is None
    listed = [item["id"] for item in first["items"] + second["items"]]
    assert listed == [m["id"] for m in reversed(made)]
    assert {item["status"] for item in first["items"] + second["items"]} == {"pending_payment"}
