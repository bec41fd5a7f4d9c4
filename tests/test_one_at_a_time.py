"""A double click creates one of everything: the same request sent at the same instant,
through one API and through two (each with its own database connections), gives one
row, one process and one email; the others get 409 or the same answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.one_at_a_time import insert_or_conflict as activity_insert_or_conflict
from api.app import create_app
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker, make_engine, make_sessionmaker
from db.models import CareLink, Invitation, Message, Subscription
from db.models.accounts import LIVE_CARE_LINK_PER_PAIR
from domain.accounts import Role
from domain.errors import BusinessError
from domain.ids import new_id, subscription_workflow_id
from tests.accounts.flows import delivered, new_email
from tests.payments.support import count, paying_patient, payment_fields
from tests.support.users import make_user

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("worker")]

Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


@asynccontextmanager
async def second_api(settings: Settings, temporal_env: WorkflowEnvironment
                     ) -> AsyncIterator[httpx.AsyncClient]:
    """Another API process: its own engine, so its own connections to the database."""
    engine = make_engine(settings.database_url)
    app = create_app(settings, sessions=make_sessionmaker(engine), temporal=temporal_env.client)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver") as client:
            yield client
    finally:
        await engine.dispose()


async def at_once(send: Send, *clients: httpx.AsyncClient) -> list[httpx.Response]:
    return list(await asyncio.gather(*(send(client) for client in clients)))


@pytest.fixture
async def other_api(e2e_settings: Settings, temporal_env: WorkflowEnvironment,
                    sessions: SessionMaker) -> AsyncIterator[httpx.AsyncClient]:
    async with second_api(e2e_settings, temporal_env) as client:
        yield client


# --- a live subscription per patient --------------------------------------------------------

@pytest.mark.parametrize("apis", ["one API", "two APIs"])
async def test_two_subscriptions_at_once_make_one(
    apis: str, api: httpx.AsyncClient, other_api: httpx.AsyncClient, sessions: SessionMaker,
    e2e_settings: Settings, temporal_env: WorkflowEnvironment,
) -> None:
    user, address = await paying_patient(sessions, e2e_settings, api)
    body = {"plan_id": "plan-confort", **payment_fields(address)}

    async def subscribe(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post("/api/v1/me/subscriptions", json=body, headers=user.headers)

    clients = (api, api, api) if apis == "one API" else (api, other_api)
    answers = await at_once(subscribe, *clients)
    try:
        assert sorted(a.status_code for a in answers) == [201] + [409] * (len(clients) - 1), [
            a.text for a in answers]
        (created,) = [a.json() for a in answers if a.status_code == 201]
        refused = [a for a in answers if a.status_code == 409]
        assert all(a.headers["content-type"] == "application/problem+json" for a in refused)
        assert await count(sessions, Subscription, Subscription.user_id == user.id) == 1
        mine = (await api.get("/api/v1/me/subscription", headers=user.headers)).json()
        assert mine["id"] == created["subscription_id"]
    finally:
        for answer in answers:
            if answer.status_code == 201:
                await temporal_env.client.get_workflow_handle(subscription_workflow_id(
                    answer.json()["subscription_id"])).terminate("test over")


# --- one pending or active link per patient and doctor ---------------------------------------

@pytest.mark.parametrize("apis", ["one API", "two APIs"])
async def test_inviting_a_doctor_twice_at_once_sends_one_request(
    apis: str, api: httpx.AsyncClient, other_api: httpx.AsyncClient, sessions: SessionMaker,
    e2e_settings: Settings,
) -> None:
    doctor = await make_user(sessions, e2e_settings, Role.doctor)
    patient = await make_user(sessions, e2e_settings, Role.patient)

    async def invite(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post("/api/v1/me/doctors", json={"doctor_id": doctor.id},
                                 headers=patient.headers)

    clients = (api, api, api) if apis == "one API" else (api, other_api)
    answers = await at_once(invite, *clients)
    assert [a.status_code for a in answers] == [202] * len(clients), [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await count(sessions, CareLink, CareLink.patient_id == patient.id) == 1
    (request,) = await delivered(api, doctor.email, "doctor_invitation")
    assert await count(sessions, Message, Message.to == doctor.email) == 1


# --- one invitation per inviter and address --------------------------------------------------

@pytest.mark.parametrize("apis", ["one API", "two APIs"])
async def test_inviting_a_friend_twice_at_once_sends_one_invitation(
    apis: str, api: httpx.AsyncClient, other_api: httpx.AsyncClient, sessions: SessionMaker,
    e2e_settings: Settings,
) -> None:
    user = await make_user(sessions, e2e_settings, Role.patient)
    friend = new_email("friend")

    async def invite(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post("/api/v1/invitations", json={"email": friend},
                                 headers=user.headers)

    clients = (api, api, api) if apis == "one API" else (api, other_api)
    answers = await at_once(invite, *clients)
    assert [a.status_code for a in answers] == [202] * len(clients), [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await count(sessions, Invitation, Invitation.inviter_id == user.id) == 1
    await delivered(api, friend, "platform_invitation")
    assert await count(sessions, Message, Message.to == friend) == 1


# --- a place held by a row whose process never started (the API died in between) -----------

async def test_a_subscription_left_without_its_process_frees_the_place(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    temporal_env: WorkflowEnvironment,
) -> None:
    user, address = await paying_patient(sessions, e2e_settings, api)
    timeout = e2e_settings.durations.registration_commit_timeout
    async with sessions() as session, session.begin():
        session.add(Subscription(id=new_id(), user_id=user.id, plan_id="plan-confort",
                                 status="pending_payment",
                                 created_at=utcnow() - timeout - timedelta(seconds=1)))
    created = await api.post("/api/v1/me/subscriptions", headers=user.headers,
                             json={"plan_id": "plan-confort", **payment_fields(address)})
    assert created.status_code == 201, created.text
    subscription_id = created.json()["subscription_id"]
    try:
        assert await count(sessions, Subscription, Subscription.user_id == user.id) == 1
    finally:
        await temporal_env.client.get_workflow_handle(
            subscription_workflow_id(subscription_id)).terminate("test over")


async def test_a_recent_subscription_keeps_its_place_while_its_process_starts(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
) -> None:
    user, address = await paying_patient(sessions, e2e_settings, api)
    async with sessions() as session, session.begin():
        session.add(Subscription(id=new_id(), user_id=user.id, plan_id="plan-confort",
                                 status="pending_payment"))
    refused = await api.post("/api/v1/me/subscriptions", headers=user.headers,
                             json={"plan_id": "plan-confort", **payment_fields(address)})
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/already-exists")


async def test_a_doctor_request_left_without_its_process_is_sent_when_asked_again(
    api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
) -> None:
    doctor = await make_user(sessions, e2e_settings, Role.doctor)
    patient = await make_user(sessions, e2e_settings, Role.patient)
    async with sessions() as session, session.begin():
        orphan = CareLink(patient_id=patient.id, doctor_id=doctor.id, status="pending")
        session.add(orphan)
    again = await api.post("/api/v1/me/doctors", json={"doctor_id": doctor.id},
                           headers=patient.headers)
    assert again.status_code == 202 and again.json()["id"] == orphan.id
    (request,) = await delivered(api, doctor.email, "doctor_invitation")
    once_more = await api.post("/api/v1/me/doctors", json={"doctor_id": doctor.id},
                               headers=patient.headers)
    assert once_more.json()["id"] == orphan.id
    assert await count(sessions, Message, Message.to == doctor.email) == 1


# --- the same rules where a process's activity inserts the row ---------------------------

async def test_an_activity_refused_by_a_rule_fails_for_good_with_a_conflict(
    sessions: SessionMaker, e2e_settings: Settings,
) -> None:
    doctor = await make_user(sessions, e2e_settings, Role.doctor)
    patient = await make_user(sessions, e2e_settings, Role.patient)

    async def hold() -> None:
        async with sessions() as session:
            await activity_insert_or_conflict(
                session, CareLink(patient_id=patient.id, doctor_id=doctor.id,
                                  status="pending"),
                rule=LIVE_CARE_LINK_PER_PAIR, detail="already asked")
            await session.commit()

    outcomes = await asyncio.gather(hold(), hold(), return_exceptions=True)
    failures = [o for o in outcomes if o is not None]
    assert len(failures) == 1 and isinstance(failures[0], ApplicationError)
    assert failures[0].type == BusinessError.conflict.value and failures[0].non_retryable
    assert await count(sessions, CareLink, CareLink.patient_id == patient.id) == 1
    async with sessions() as session:  # another integrity error is not a rule's refusal
        with pytest.raises(IntegrityError):
            await activity_insert_or_conflict(
                session, CareLink(patient_id=patient.id, doctor_id="nobody", status="pending"),
                rule=LIVE_CARE_LINK_PER_PAIR, detail="already asked")
