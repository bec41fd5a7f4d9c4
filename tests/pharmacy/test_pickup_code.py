"""The pickup code (DESIGN.md "Codes people type"): random from an unambiguous alphabet,
only its keyed hash stored, sent once per code even when the sending activity is retried,
a new one invalidating the old, 5 wrong tries then refused; never in the database in clear
(the message log keeps it sealed; the dev outbox opens it)."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import select, text

from activities.messaging import MessagingActivities
from activities.pharmacy import PharmacyActivities
from core.settings import Settings
from db.engine import SessionMaker
from db.models import Message, PharmacyOrder
from domain.pharmacy import (
    PICKUP_CODE_ALPHABET,
    PICKUP_CODE_LENGTH,
    CheckPickupCode,
    IssuePickupCode,
    hash_pickup_code,
    new_pickup_code,
)
from providers.email.outbox import OutboxEmailSender
from providers.sms.outbox import OutboxSmsSender
from tests.pharmacy.support import cast

pytestmark = pytest.mark.db


def test_codes_are_random_and_unambiguous() -> None:
    codes = {new_pickup_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == PICKUP_CODE_LENGTH and set(c) <= set(PICKUP_CODE_ALPHABET)
               for c in codes)
    assert not set("0O1IL5S2Z8B") & set(PICKUP_CODE_ALPHABET)


async def _paid_order(sessions: SessionMaker, settings: Settings) -> tuple[str, str, str]:
    c = await cast(sessions, settings)
    async with sessions() as session, session.begin():
        order = PharmacyOrder(reference="PHA-2026-900001", patient_id=c.patient.id,
                              pharmacy_id=c.pharmacy_id, status="paid", pickup_generation=0,
                              wrong_code_attempts=0)
        session.add(order)
        await session.flush()
        return order.id, c.patient.email, "+237670000123"


async def _dump(sessions: SessionMaker) -> str:
    """Every message row and order row as text, as a database reader would see them."""
    async with sessions() as session:
        messages = (await session.execute(text("SELECT * FROM messages"))).all()
        orders = (await session.execute(text("SELECT * FROM pharmacy_orders"))).all()
    return repr(list(messages) + list(orders))


async def test_one_code_per_generation_sealed_in_the_log(
    sessions: SessionMaker, settings: Settings, client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    order_id, email, phone = await _paid_order(sessions, settings)
    messaging = MessagingActivities(sessions, OutboxEmailSender(), OutboxSmsSender(),
                                    settings.secret_key)
    activities = PharmacyActivities(settings, sessions, messaging)

    await activities.issue_pickup_code(IssuePickupCode(order_id=order_id, generation=1))
    # The worker died after sending and the activity runs again: the same code, once.
    await activities.issue_pickup_code(IssuePickupCode(order_id=order_id, generation=1))
    (mail,) = (await client.get("/dev/outbox", params={"to": email})).json()["items"]
    (sms,) = (await client.get("/dev/outbox", params={"to": phone})).json()["items"]
    code = mail["data"]["pickup_code"]
    assert mail["template"] == "order_paid" and sms["data"]["pickup_code"] == code
    assert code in mail["body"] and code in sms["body"]
    assert "AMLOR" not in mail["body"].upper() + sms["body"].upper()
    dumped = await _dump(sessions)
    assert code not in dumped
    assert code not in caplog.text
    async with sessions() as session:
        row = await session.get(PharmacyOrder, order_id)
        assert row is not None
        assert row.pickup_code_hash == hash_pickup_code(settings.secret_key, order_id, code)
        logged = (await session.scalars(select(Message.body))).all()
        assert all("••••••••" in body for body in logged)

    def check(typed: str, generation: int = 1) -> CheckPickupCode:
        return CheckPickupCode(order_id=order_id, generation=generation,
                               code_hash=hash_pickup_code(settings.secret_key, order_id,
                                                          typed))

    assert (await activities.check_pickup_code(check(code.lower()))).matches
    for attempt in range(1, 6):
        wrong = await activities.check_pickup_code(check("QQQQQQQQ"))
        assert not wrong.matches and not wrong.blocked and wrong.wrong_attempts == attempt
    blocked = await activities.check_pickup_code(check(code))
    assert blocked.blocked and not blocked.matches

    # A new code: the count starts again, the old code no longer works.
    await activities.issue_pickup_code(IssuePickupCode(order_id=order_id, generation=2))
    renewed = [m for m in (await client.get("/dev/outbox", params={"to": email})).json()[
        "items"] if m["template"] == "pickup_code_renewed"]
    new_code = renewed[0]["data"]["pickup_code"]
    assert new_code != code
    assert not (await activities.check_pickup_code(check(code, 2))).matches
    assert (await activities.check_pickup_code(check(new_code, 2))).matches
    assert new_code not in await _dump(sessions)
