"""What the appointment tests share: a doctor with a week of availability, a patient who may
book with them (an active doctor, a plan with every service, a billing address), booking
and paying through the API, and reading what the process wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import (
    Appointment,
    AvailabilityRule,
    Balance,
    CareLink,
    Message,
    Subscription,
    User,
)
from domain.accounts import Role
from tests.payments.support import checkout, eventually, paying_patient, payment_fields
from tests.support.users import TestUser, make_user

__all__ = ["Booking", "World", "book", "checkout", "confirmed", "eventually", "make_world",
           "messages", "pay", "row", "status_is"]


@dataclass
class World:
    patient: TestUser
    doctor: TestUser
    address_id: str


async def a_doctor(sessions: SessionMaker, settings: Settings) -> TestUser:
    """A verified doctor in Douala (UTC+1, no DST): office 06:00–14:00, teleconsultation
    14:00–22:00, every day, 30-minute slots."""
    doctor = await make_user(sessions, settings, Role.doctor, phone="+237690000001")
    async with sessions() as session, session.begin():
        for weekday in range(1, 8):
            session.add(AvailabilityRule(doctor_id=doctor.id, weekday=weekday,
                                         start_minute=6 * 60, end_minute=14 * 60,
                                         type="office", slot_minutes=30))
            session.add(AvailabilityRule(doctor_id=doctor.id, weekday=weekday,
                                         start_minute=14 * 60, end_minute=22 * 60,
                                         type="teleconsultation", slot_minutes=30))
    return doctor


async def a_patient_of(sessions: SessionMaker, settings: Settings, api: httpx.AsyncClient,
                       doctor: TestUser, *, plan: str | None = "plan-confort",
                       phone: str | None = "+237670000123") -> tuple[TestUser, str]:
    """A patient whose active doctor `doctor` is, on `plan` (Confort: every service)."""
    patient, address_id = await paying_patient(sessions, settings, api, phone=phone)
    async with sessions() as session, session.begin():
        session.add(CareLink(patient_id=patient.id, doctor_id=doctor.id, status="active",
                             created_at=utcnow()))
        # The plan's SMS, as its subscription's period grants them.
        session.add(Balance(user_id=patient.id, sms_plan=30))
        if plan:
            session.add(Subscription(user_id=patient.id, plan_id=plan, status="active",
                                     current_period_start=utcnow() - timedelta(days=1),
                                     current_period_end=utcnow() + timedelta(days=300)))
    return patient, address_id


async def make_world(sessions: SessionMaker, settings: Settings,
                     api: httpx.AsyncClient) -> World:
    doctor = await a_doctor(sessions, settings)
    patient, address_id = await a_patient_of(sessions, settings, api, doctor)
    return World(patient, doctor, address_id)


async def free_slot(api: httpx.AsyncClient, who: TestUser, doctor: TestUser, type_: str,
                    *, days_ahead: int = 3, index: int = 0) -> str:
    """A free slot of `type_` on the day `days_ahead` from now (the doctor's clock)."""
    day = (utcnow() + timedelta(days=days_ahead)).date().isoformat()
    response = await api.get(f"/api/v1/doctors/{doctor.id}/slots",
                             params={"from": day, "to": day, "type": type_},
                             headers=who.headers)
    assert response.status_code == 200, response.text
    free = [s["start"] for s in response.json()["items"] if s["status"] == "free"]
    return str(free[index])


@dataclass
class Booking:
    status_code: int
    body: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.body["id"])

    @property
    def payment(self) -> dict[str, Any]:
        return dict(self.body["payment"])


async def book(api: httpx.AsyncClient, world: World, *, type_: str = "office",
               start: str | None = None, method: str = "card", patient: TestUser | None = None,
               address_id: str | None = None, days_ahead: int = 3,
               reason_text: str = "Douleurs thoraciques", **extra: Any) -> Booking:
    patient = patient or world.patient
    start = start or await free_slot(api, patient, world.doctor, type_, days_ahead=days_ahead)
    response = await api.post("/api/v1/appointments", headers=patient.headers, json={
        "doctor_id": world.doctor.id, "start": start, "type": type_,
        "reason": reason_text,
        **payment_fields(address_id or world.address_id, method, **extra)})
    return Booking(response.status_code, response.json())


async def pay(api: httpx.AsyncClient, booking: Booking, outcome: str = "succeed") -> None:
    assert booking.status_code == 201, booking.body
    await checkout(api, booking.payment, outcome)


async def confirmed(api: httpx.AsyncClient, sessions: SessionMaker, world: World,
                    **booking: Any) -> Booking:
    """Booked, paid at the sandbox, and confirmed by its process."""
    made = await book(api, world, **booking)
    await pay(api, made)
    await eventually(status_is(sessions, made.id, "confirmed"))
    return made


async def row(sessions: SessionMaker, appointment_id: str) -> Appointment:
    async with sessions() as session:
        found = await session.get(Appointment, appointment_id)
        assert found is not None
        return found


def status_is(sessions: SessionMaker, appointment_id: str, status: str,
              **columns: Any):  # type: ignore[no-untyped-def]
    """For `eventually`: the row once it has `status` (and the given column values)."""
    async def check() -> Appointment | None:
        found = await row(sessions, appointment_id)
        if found.status != status:
            return None
        if any(getattr(found, name) != value for name, value in columns.items()):
            return None
        return found
    return check


async def messages(sessions: SessionMaker, user: TestUser,
                   template: str | None = None) -> list[Message]:
    async with sessions() as session:
        person = await session.get(User, user.id)
        assert person is not None
        query = select(Message).where(Message.user_id == user.id)
        if template:
            query = query.where(Message.template == template)
        return list(await session.scalars(query.order_by(Message.created_at)))


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def skip(env: Any, duration: timedelta, step: timedelta = timedelta(minutes=5)) -> None:
    """Skip `duration` of the time-skipping server's clock, in steps (one long sleep over
    the moment every run ends is refused by the test server with 'Timeout expired')."""
    while duration > timedelta(0):
        await env.sleep(min(step, duration))
        duration -= step


async def confirmed_elsewhere(sessions: SessionMaker, patient: TestUser, doctor: TestUser,
                              slot: dict[str, Any]) -> str:
    """Another patient's confirmed appointment over `slot` (its process left out)."""
    from db.queries.slots import take_hold
    from domain.appointments import AppointmentType
    from domain.ids import new_id

    async with sessions() as session, session.begin():
        taken = await take_hold(
            session, appointment_id=new_id(), reference=f"RDV-TEST-{new_id()[:8]}",
            patient_id=patient.id, doctor_id=doctor.id, type=AppointmentType(slot["type"]),
            start=at(slot["start"]), end=at(slot["end"]),
            hold_expires_at=utcnow() + timedelta(minutes=15))
        taken.status = "confirmed"
        return taken.id
