"""The checks of POST /sponsorships, made before any process starts (the API in process
with the dev server's client; no worker): the one indistinct 422, the per-sponsor limit
(429), a taken slot (409)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import Appointment, RateLimitEvent
from db.models.sponsorships import Sponsorship
from db.queries.slots import take_hold
from domain.accounts import AccountStatus, Role
from domain.appointments import AppointmentType, SlotTaken
from domain.ids import new_id
from tests.sponsorships.world import World, link, make_world
from tests.support.users import make_user

pytestmark = pytest.mark.db


@pytest.fixture
async def world(sessions: SessionMaker, settings: Settings) -> World:
    return await make_world(sessions, settings)


def limited(settings: Settings, checks: int) -> Settings:
    return settings.model_copy(update={"limits": settings.limits.model_copy(
        update={"sponsorship_checks_per_window": checks})})


def api_with(settings: Settings, sessions: SessionMaker,
             temporal_env: WorkflowEnvironment) -> httpx.AsyncClient:
    app = create_app(settings, sessions=sessions, temporal=temporal_env.client)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url="http://testserver")


@pytest.fixture
async def roomy(e2e_settings: Settings, sessions: SessionMaker,
                temporal_env: WorkflowEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    """The API with room for every check of a test (the limit has its own test)."""
    async with api_with(limited(e2e_settings, 100), sessions, temporal_env) as http:
        yield http


async def sponsor(client: httpx.AsyncClient, world: World, **changes: object
                  ) -> httpx.Response:
    return await client.post("/api/v1/sponsorships", headers=world.sponsor.headers,
                             json=world.body(**changes))


async def test_unknown_inactive_and_not_their_doctor_are_one_and_the_same_422(
        roomy: httpx.AsyncClient, world: World, sessions: SessionMaker,
        settings: Settings) -> None:
    inactive = await make_user(sessions, settings, Role.patient,
                               status=AccountStatus.profile_completed)
    await link(sessions, inactive, world.doctor)
    without_this_doctor = await make_user(sessions, settings, Role.patient)
    other_doctor = await make_user(sessions, settings, Role.doctor)
    await link(sessions, without_this_doctor, other_doctor)
    only_invited = await make_user(sessions, settings, Role.patient)
    await link(sessions, only_invited, world.doctor, status="pending")
    a_doctor = await make_user(sessions, settings, Role.doctor)  # an id, not a patient's

    answers = [
        await sponsor(roomy, world, beneficiary_esame_id="ES-ZZZZZZ"),  # unknown
        await sponsor(roomy, world, beneficiary_esame_id=inactive.esame_id),
        await sponsor(roomy, world, beneficiary_esame_id=without_this_doctor.esame_id),
        await sponsor(roomy, world, beneficiary_esame_id=only_invited.esame_id),
        await sponsor(roomy, world, beneficiary_esame_id=a_doctor.esame_id),
        await sponsor(roomy, world, doctor_id=new_id()),  # her, with no such doctor
    ]
    assert {answer.status_code for answer in answers} == {422}
    assert len({answer.content for answer in answers}) == 1, [a.text for a in answers]
    body = answers[0].json()
    assert body["errors"][0]["field"] == "beneficiary_esame_id"
    assert answers[0].headers["content-type"] == "application/problem+json"
    # Nothing was held or written for any of them.
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 0
        assert await session.scalar(select(func.count()).select_from(Sponsorship)) == 0


async def test_the_checks_are_limited_per_sponsor(
        e2e_settings: Settings, sessions: SessionMaker, world: World,
        temporal_env: WorkflowEnvironment) -> None:
    settings = e2e_settings
    async with api_with(limited(settings, 3), sessions, temporal_env) as client:
        tries = [await sponsor(client, world, beneficiary_esame_id=f"ES-ZZZZZ{n}")
                 for n in range(3)]
        assert [t.status_code for t in tries] == [422, 422, 422]
        # The fourth is refused before any look-up, even for the right id.
        refused = await sponsor(client, world)
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) == int(
            settings.limits.sponsorship_check_window.total_seconds())
        # Another sponsor has their own limit.
        other = await make_user(sessions, settings, Role.patient, currency="EUR")
        theirs = await client.post("/api/v1/sponsorships", headers=other.headers,
                                   json=world.body(beneficiary_esame_id="ES-ZZZZZZ",
                                                   billing_address_id="none"))
        assert theirs.status_code == 422
        # Past the window, the sponsor may try again.
        async with sessions() as session, session.begin():
            await session.execute(update(RateLimitEvent).where(
                RateLimitEvent.key == f"sponsorship-check:{world.sponsor.id}").values(
                at=utcnow() - settings.limits.sponsorship_check_window
                - timedelta(seconds=1)))
        again = await sponsor(client, world, beneficiary_esame_id="ES-ZZZZZZ")
        assert again.status_code == 422


async def test_a_taken_slot_is_409_and_nothing_is_left_behind(
        roomy: httpx.AsyncClient, world: World, sessions: SessionMaker,
        settings: Settings) -> None:
    someone = await make_user(sessions, settings, Role.patient)
    async with sessions() as session:
        await take_hold(session, appointment_id=new_id(), reference="RDV-2026-999999",
                        patient_id=someone.id, doctor_id=world.doctor.id,
                        type=AppointmentType.teleconsultation, start=world.slot,
                        end=world.slot + timedelta(minutes=20),
                        hold_expires_at=world.slot)
        await session.commit()
    taken = await sponsor(roomy, world)
    assert taken.status_code == 409, taken.text
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Sponsorship)) == 0
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 1


async def test_not_a_slot_not_offered_and_oneself_are_told_apart(
        roomy: httpx.AsyncClient, world: World, sessions: SessionMaker) -> None:
    # (Past the beneficiary's checks these say nothing of her.)
    off_grid = await sponsor(roomy, world, start=(world.slot + timedelta(minutes=7))
                             .isoformat())
    assert off_grid.status_code == 422
    assert off_grid.json()["errors"][0]["field"] == "start"
    office = await sponsor(roomy, world, type="office")  # no office rule that Monday
    assert office.status_code == 422
    assert office.json()["errors"][0]["field"] == "start"
    myself = await sponsor(roomy, world, beneficiary_esame_id=world.sponsor.esame_id)
    assert myself.status_code == 422
    assert myself.json()["errors"][0]["type"] == "self"
    lower = await sponsor(roomy, world, beneficiary_esame_id=" "
                          + world.sponsor.esame_id.lower())
    assert lower.json()["errors"][0]["type"] == "self"


async def test_only_patients_sponsor(roomy: httpx.AsyncClient, world: World) -> None:
    as_doctor = await roomy.post("/api/v1/sponsorships", headers=world.doctor.headers,
                                 json=world.body())
    assert as_doctor.status_code == 403
    anonymous = await roomy.post("/api/v1/sponsorships", json=world.body())
    assert anonymous.status_code == 401
    bad = await roomy.post("/api/v1/sponsorships", headers=world.sponsor.headers,
                           json=world.body(type="surgery", start="tomorrow"))
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} >= {"type", "start"}


async def test_a_held_slot_cannot_be_booked_twice_by_the_beneficiary(
        world: World, sessions: SessionMaker) -> None:
    """One live appointment per slot (the database's rule): a beneficiary who also books
    the slot her sponsor holds is refused, so one appointment never has two payments."""
    async with sessions() as session:
        await take_hold(session, appointment_id=new_id(), reference="RDV-2026-999998",
                        patient_id=world.beneficiary.id, doctor_id=world.doctor.id,
                        type=AppointmentType.teleconsultation, start=world.slot,
                        end=world.slot + timedelta(minutes=20), hold_expires_at=world.slot,
                        sponsor_id=world.sponsor.id)
        await session.commit()
    async with sessions() as session:
        with pytest.raises(SlotTaken):
            await take_hold(session, appointment_id=new_id(), reference="RDV-2026-999997",
                            patient_id=world.beneficiary.id, doctor_id=world.doctor.id,
                            type=AppointmentType.teleconsultation, start=world.slot,
                            end=world.slot + timedelta(minutes=20),
                            hold_expires_at=world.slot)
