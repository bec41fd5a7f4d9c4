"""AppointmentWorkflow on the time-skipping server, through the API with the real worker,
database and sandbox provider: the hold's expiry and its extension, a late payment (the slot
taken again, or refunded), reminders (and none after a cancellation), the doctor's absence
from a teleconsultation, rescheduling, cancellations and their refunds."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from db.engine import SessionMaker
from db.models import Payment, Subscription
from db.models.requests import RequestIndexEntry
from tests.appointments.support import (
    Booking,
    World,
    a_patient_of,
    at,
    book,
    confirmed,
    confirmed_elsewhere,
    eventually,
    free_slot,
    make_world,
    messages,
    pay,
    row,
    skip,
    status_is,
)

pytestmark = pytest.mark.db


def _run(env: WorkflowEnvironment, appointment_id: str):  # type: ignore[no-untyped-def]
    return env.client.get_workflow_handle(f"appointment-{appointment_id}")


async def _payment_status(sessions: SessionMaker, payment_id: str) -> Payment | None:
    async with sessions() as session:
        return await session.get(Payment, payment_id)


async def test_paid_in_time_is_confirmed_and_everyone_is_told(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    booking = await book(ts_api, world)
    assert booking.status_code == 201, booking.body
    assert booking.body["status"] == "pending_payment"
    assert booking.body["reference"].startswith("RDV-")
    assert booking.body["price"] == {"amount": 18000, "currency": "XAF"}
    assert booking.body["payment"]["checkout_url"]
    await pay(ts_api, booking)
    confirmed = await eventually(status_is(sessions, booking.id, "confirmed"))
    assert confirmed.payment_id == booking.payment["id"] and confirmed.hold_expires_at is None
    await eventually(lambda: messages(sessions, world.patient, "appointment_confirmed"))
    told = await eventually(lambda: messages(sessions, world.doctor,
                                             "doctor_appointment_booked"))
    assert "Douleurs" not in told[0].body  # the reason is health data: never in a message
    async with sessions() as session:
        entry = await session.scalar(select(RequestIndexEntry).where(
            RequestIndexEntry.user_id == world.patient.id))
        assert entry is not None and entry.status == "confirmed"
        assert entry.reference == booking.body["reference"]
    shown = await ts_api.get(f"/api/v1/appointments/{booking.id}", headers=world.doctor.headers)
    assert shown.status_code == 200 and shown.json()["status"] == "confirmed"


async def _let_go(api: httpx.AsyncClient, sessions: SessionMaker, env: WorkflowEnvironment,
                  world: World) -> Booking:
    """A hold not paid by hold_expires_at: expired (its payment still open)."""
    booking = await book(api, world)
    assert booking.status_code == 201, booking.body
    await env.sleep(timedelta(minutes=16))
    await eventually(status_is(sessions, booking.id, "expired"))
    return booking


async def test_a_hold_not_paid_in_time_expires_and_the_slot_is_free_again(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    booking = await book(ts_api, world)
    assert booking.status_code == 201, booking.body
    again = await book(ts_api, world, start=booking.body["start"])
    assert again.status_code == 409, again.body  # held: taken for everyone else
    await time_skipping_env.sleep(timedelta(minutes=16))
    await eventually(status_is(sessions, booking.id, "expired"))
    await eventually(lambda: messages(sessions, world.patient, "appointment_expired"))
    retry = await book(ts_api, world, start=booking.body["start"])
    assert retry.status_code == 201, retry.body


async def test_mobile_money_still_pending_extends_the_hold_once(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    booking = await book(ts_api, world, method="mobile_money", operator="mtn",
                         phone="+237670000123")
    assert booking.status_code == 201, booking.body
    await time_skipping_env.sleep(timedelta(minutes=20))
    # Past hold_expires_at (15 min), the prompt still open on the phone: still held.
    assert (await row(sessions, booking.id)).status == "pending_payment"
    # To appointment_hold_max (30 min), not beyond: the run ends then.
    await skip(time_skipping_env, timedelta(minutes=10))
    await eventually(status_is(sessions, booking.id, "expired"))


async def test_a_late_payment_takes_the_slot_again_when_it_is_still_free(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    booking = await _let_go(ts_api, sessions, time_skipping_env, world)
    await pay(ts_api, booking)  # the payment itself is open for 30 minutes
    await eventually(status_is(sessions, booking.id, "confirmed"))


async def test_a_late_payment_is_refunded_when_the_slot_was_taken_meanwhile(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    booking = await _let_go(ts_api, sessions, time_skipping_env, world)
    # Meanwhile another patient booked that slot (their process confirmed it: written here
    # directly, as this server's clock is ahead of the API's after the skip).
    other, _ = await a_patient_of(sessions, settings, ts_api, world.doctor)
    taken_id = await confirmed_elsewhere(sessions, other, world.doctor, booking.body)
    await pay(ts_api, booking)
    refunded = await eventually(status_is(sessions, booking.id, "expired",
                                          refund_status="succeeded"))
    assert refunded.payment_id == booking.payment["id"]
    await eventually(lambda: _refunded(sessions, booking.payment["id"]))
    told = await eventually(lambda: messages(sessions, world.patient,
                                             "appointment_late_payment_refunded"))
    assert {m.channel for m in told} == {"email", "sms"}
    assert (await row(sessions, taken_id)).status == "confirmed"


async def _refunded(sessions: SessionMaker, payment_id: str) -> bool:
    payment = await _payment_status(sessions, payment_id)
    return payment is not None and payment.status == "refunded"


async def test_reminders_come_by_email_and_sms_and_none_after_a_cancellation(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    first = await confirmed(ts_api, sessions, world, days_ahead=3)
    start = at(first.body["start"])
    # Skip to an hour before the day-before reminder: none yet.
    from db.base import utcnow

    await time_skipping_env.sleep(start - utcnow() - timedelta(days=1) - timedelta(hours=1))
    assert await messages(sessions, world.patient, "appointment_reminder") == []
    await time_skipping_env.sleep(timedelta(hours=2))
    day_before = await eventually(lambda: messages(sessions, world.patient,
                                                   "appointment_reminder"))
    assert {m.channel for m in day_before} == {"email", "sms"}
    await time_skipping_env.sleep(timedelta(hours=22, minutes=30))
    both = await eventually(lambda: _at_least(sessions, world, 3))
    assert sorted(m.channel for m in both) == ["email", "sms", "sms"]


async def _at_least(sessions: SessionMaker, world, n: int):  # type: ignore[no-untyped-def]
    found = await messages(sessions, world.patient, "appointment_reminder")
    return found if len(found) >= n else None


async def test_no_reminder_once_canceled(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    booking = await confirmed(ts_api, sessions, world, days_ahead=3)
    canceled = await ts_api.post(f"/api/v1/appointments/{booking.id}/cancel",
                                 json={"reason": "Empêchement"}, headers=world.patient.headers)
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "canceled"
    assert canceled.json()["refund_status"] in ("pending", "succeeded")  # days ahead: refunded
    await _run(time_skipping_env, booking.id).result()
    assert await messages(sessions, world.patient, "appointment_reminder") == []
    await eventually(lambda: _refunded(sessions, booking.payment["id"]))


async def test_a_late_patient_cancellation_is_not_refunded(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    booking = await confirmed(ts_api, sessions, world, days_ahead=2)
    from db.base import utcnow

    await time_skipping_env.sleep(at(booking.body["start"]) - utcnow() - timedelta(hours=12))
    canceled = await ts_api.post(f"/api/v1/appointments/{booking.id}/cancel",
                                 json={"reason": "Empêchement"}, headers=world.patient.headers)
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "canceled" and canceled.json()["refund_status"] is None
    payment = await _payment_status(sessions, booking.payment["id"])
    assert payment is not None and payment.status == "succeeded"


async def test_the_doctor_cancels_any_time_refunded_and_the_patient_told_by_email_and_sms(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    booking = await confirmed(ts_api, sessions, world)
    canceled = await ts_api.post(f"/api/v1/appointments/{booking.id}/cancel",
                                 json={"reason": "Congrès"}, headers=world.doctor.headers)
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["canceled_by"] == "doctor"
    await eventually(lambda: _refunded(sessions, booking.payment["id"]))
    told = await eventually(lambda: messages(sessions, world.patient, "appointment_canceled"))
    assert {m.channel for m in told} == {"email", "sms"}
    again = await ts_api.post(f"/api/v1/appointments/{booking.id}/cancel",
                              json={"reason": "Congrès"}, headers=world.doctor.headers)
    assert again.status_code == 200  # a retry changes nothing


async def test_a_doctor_absent_from_a_teleconsultation_by_closes_at_refunds_the_patient(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    booking = await confirmed(ts_api, sessions, world, type_="teleconsultation", days_ahead=1)
    from db.base import utcnow

    end = at(booking.body["end"])
    await time_skipping_env.sleep(end - utcnow() + timedelta(minutes=31))
    await eventually(lambda: _refunded(sessions, booking.payment["id"]))
    # The refund's end is written on the appointment once the provider paid back.
    await eventually(status_is(sessions, booking.id, "canceled", canceled_by="doctor_absent",
                               refund_status="succeeded"))
    told = await eventually(lambda: messages(sessions, world.patient, "appointment_canceled"))
    assert {m.channel for m in told} == {"email", "sms"}


async def test_a_reschedule_holds_the_new_slot_before_letting_the_old_one_go(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    booking = await confirmed(ts_api, sessions, world, days_ahead=3)
    # Into a slot held by someone else: refused, nothing moves.
    other, other_address = await a_patient_of(sessions, settings, ts_api, world.doctor)
    taken = await book(ts_api, world, patient=other, address_id=other_address, days_ahead=4)
    assert taken.status_code == 201
    refused = await ts_api.post(f"/api/v1/appointments/{booking.id}/reschedule",
                                json={"start": taken.body["start"]},
                                headers=world.patient.headers)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    new_start = await free_slot(ts_api, world.patient, world.doctor, "office", days_ahead=5)
    moved = await ts_api.post(f"/api/v1/appointments/{booking.id}/reschedule",
                              json={"start": new_start}, headers=world.patient.headers)
    assert moved.status_code == 200, moved.text
    assert at(moved.json()["start"]) == at(new_start) and moved.json()["status"] == "confirmed"
    # The old slot is free again, and no second payment was made.
    again = await book(ts_api, world, patient=other, address_id=other_address,
                       start=booking.body["start"])
    assert again.status_code == 201, again.body
    assert (await row(sessions, booking.id)).payment_id == booking.payment["id"]
    await eventually(lambda: messages(sessions, world.doctor, "doctor_appointment_rescheduled"))


async def test_closing_a_period_cancels_its_appointments_held_and_booked(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    booked = await confirmed(ts_api, sessions, world, days_ahead=3)
    other, other_address = await a_patient_of(sessions, settings, ts_api, world.doctor)
    held = await book(ts_api, world, patient=other, address_id=other_address, days_ahead=3)
    assert held.status_code == 201
    day = at(booked.body["start"]).date().isoformat()
    period = {"start": f"{day}T00:00:00+01:00", "end": f"{day}T23:59:00+01:00",
              "reason": "Congrès", "cancel_appointments": True}
    closed = await ts_api.post("/api/v1/doctor/availability/exceptions", json=period,
                               headers=world.doctor.headers)
    assert closed.status_code == 201, closed.text
    assert sorted(closed.json()["canceled_appointments"]) == sorted([booked.id, held.id])
    assert (await row(sessions, booked.id)).canceled_by == "doctor"
    assert (await row(sessions, held.id)).status == "canceled"
    await eventually(lambda: _refunded(sessions, booked.payment["id"]))
    again = await ts_api.post("/api/v1/doctor/availability/exceptions", json=period,
                              headers=world.doctor.headers)
    assert again.status_code == 201, again.text  # a retry: nothing more happens


async def test_the_plan_is_checked_again_at_confirmation_and_a_lapsed_one_refunds(
    ts_api: httpx.AsyncClient, sessions: SessionMaker, settings: Settings,
) -> None:
    world = await make_world(sessions, settings, ts_api)
    booking = await book(ts_api, world, type_="teleconsultation")
    assert booking.status_code == 201, booking.body
    async with sessions() as session, session.begin():
        # The plan ends while the patient pays (its own process would write this).
        await session.execute(update(Subscription).where(
            Subscription.user_id == world.patient.id).values(status="expired"))
    await pay(ts_api, booking)
    await eventually(lambda: _refunded(sessions, booking.payment["id"]))
    await eventually(status_is(sessions, booking.id, "canceled", canceled_by="plan",
                               refund_status="succeeded"))
    again = await book(ts_api, world, type_="teleconsultation")
    assert again.status_code == 403 and again.body["type"].endswith("/plan-required")
