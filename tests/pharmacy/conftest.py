"""Fixtures of the pharmacy tests: the API on the time-skipping server with the real
workflows and activities (`ts_api`), for the deadlines."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from core.settings import Settings
from core.temporal_client import ensure_search_attributes
from db.engine import SessionMaker
from workers.main import WorkerDeps, activities, workflows


@pytest.fixture
async def ts_api(time_skipping_env: WorkflowEnvironment, settings: Settings,
                 sessions: SessionMaker) -> AsyncIterator[httpx.AsyncClient]:
    """The API and a worker on the time-skipping server (this test's task queue)."""
    await ensure_search_attributes(time_skipping_env.client, settings)
    deps = WorkerDeps.from_settings(settings, sessions)
    app = create_app(settings, sessions=sessions, temporal=time_skipping_env.client)
    async with Worker(time_skipping_env.client, task_queue=settings.temporal.task_queue,
                      workflows=workflows(), activities=activities(deps)), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client
