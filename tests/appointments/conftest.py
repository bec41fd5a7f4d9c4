"""Fixtures of the appointment tests: the API in process and the real worker, on the
time-skipping server (`ts_api`: timers are skipped with `env.sleep`) or on the dev server
(`e2e_api`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings, TemporalSettings
from core.temporal_client import data_converter, ensure_search_attributes
from db.engine import SessionMaker
from tests.conftest import BIN
from tests.payments.support import api_with_worker


@pytest.fixture
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of this test's own. An appointment's times are instants the
    API gave (the hold's end, the start); a server shared by the session keeps the clock the
    tests before skipped to, days ahead of the API's, and their runs."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(TemporalSettings()),
        test_server_existing_path=str(BIN / "temporal-test-server"))
    yield env
    await env.shutdown()


@pytest.fixture
async def ts_api(time_skipping_env: WorkflowEnvironment, settings: Settings,
                 sessions: SessionMaker) -> AsyncIterator[httpx.AsyncClient]:
    await ensure_search_attributes(time_skipping_env.client, settings)
    async with api_with_worker(settings, sessions, time_skipping_env) as api:
        yield api


@pytest.fixture
async def e2e_api(temporal_env: WorkflowEnvironment, e2e_settings: Settings,
                  sessions: SessionMaker) -> AsyncIterator[httpx.AsyncClient]:
    async with api_with_worker(e2e_settings, sessions, temporal_env) as api:
        yield api
