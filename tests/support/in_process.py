"""Fixtures for tests of plain-data endpoints (a plugin of tests/conftest.py): the API in
process without Temporal, and an active patient and doctor."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from core.settings import Settings
from db.engine import SessionMaker
from domain.accounts import Role
from tests.support.users import TestUser, make_user


@pytest.fixture
def app(settings: Settings, sessions: SessionMaker) -> FastAPI:
    return create_app(settings, sessions=sessions)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def patient(sessions: SessionMaker, settings: Settings) -> TestUser:
    return await make_user(sessions, settings, Role.patient)


@pytest.fixture
async def doctor(sessions: SessionMaker, settings: Settings) -> TestUser:
    return await make_user(sessions, settings, Role.doctor)
