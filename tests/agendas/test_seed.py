"""The demo data gives each demo doctor a week of availability, so `make run` shows free
slots at once."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select

from core.security import create_access_token
from core.settings import Settings
from db.engine import SessionMaker
from db.models import AvailabilityRule, DoctorProfile, User
from db.queries.agendas import availability_rules
from db.seed import DEMO_DOCTORS, seed_demo_data
from domain.agendas import overlapping_rules
from tests.agendas.conftest import next_monday

pytestmark = pytest.mark.db


async def test_every_demo_doctor_has_a_week_with_free_slots(
    client: httpx.AsyncClient, sessions: SessionMaker, settings: Settings
) -> None:
    await seed_demo_data(sessions)
    async with sessions() as session:
        patient_id = await session.scalar(select(User.id).where(
            User.email == "patient@esame.local"))
        doctors = {email: (user_id, timezone) for email, user_id, timezone in await session.execute(
            select(User.email, User.id, User.timezone).where(User.role == "doctor"))}
    token = create_access_token(settings.secret_key, str(patient_id), "patient",
                                settings.access_token_ttl)
    headers = {"Authorization": f"Bearer {token}"}
    monday = next_monday()
    assert {doc.email for doc in DEMO_DOCTORS} == set(doctors)
    for doc in DEMO_DOCTORS:
        doctor_id, timezone = doctors[doc.email]
        assert timezone == doc.timezone
        async with sessions() as session:
            assert overlapping_rules(await availability_rules(session, doctor_id)) == []
        page = (await client.get(f"/api/v1/doctors/{doctor_id}", headers=headers)).json()
        assert page["bio"] and page["languages"]
        week = await client.get(f"/api/v1/doctors/{doctor_id}/slots", headers=headers,
                                params={"from": str(monday),
                                        "to": str(monday + timedelta(days=6))})
        items = week.json()["items"]
        kinds = {item["type"] for item in items if item["status"] == "free"}
        assert "teleconsultation" in kinds, doc.email
        if doc.timezone == "Africa/Douala":
            assert "office" in kinds, doc.email
    assert "Europe/Paris" in {timezone for _, timezone in doctors.values()}


async def test_seeding_again_adds_only_what_is_missing(sessions: SessionMaker) -> None:
    await seed_demo_data(sessions)
    async with sessions() as session:
        rules = await session.scalar(select(func.count()).select_from(AvailabilityRule))
    # A database seeded before agendas existed: doctors without a week or a bio.
    async with sessions() as session, session.begin():
        mbarga = await session.scalar(select(User.id).where(
            User.email == "dr.mbarga@esame.local"))
        await session.execute(delete(AvailabilityRule).where(
            AvailabilityRule.doctor_id == mbarga))
        profile = await session.get(DoctorProfile, mbarga)
        assert profile is not None
        profile.bio = None
    assert await seed_demo_data(sessions) == []
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AvailabilityRule)) == rules
        profile = await session.get(DoctorProfile, mbarga)
        assert profile is not None and profile.bio
