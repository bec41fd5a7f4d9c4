"""What every history recorder (tests/*/make_*histories.py) stands on: the time-skipping
server with the real worker and activities on a throwaway, migrated SQLite database, and
the writing of a finished run's history as the replay tests read it.

    async with recording_stack() as stack:
        handle = await stack.client.start_workflow(...)
        await save_history(handle, HISTORIES / "appointment_confirmed.json")
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings, TemporalSettings
from core.temporal_client import data_converter, ensure_search_attributes
from db.engine import SessionMaker, make_engine, make_sessionmaker
from db.migrate import upgrade
from workers.main import WorkerDeps, build_worker

BIN = Path(sys.executable).parent


@dataclass
class RecordingStack:
    env: WorkflowEnvironment
    sessions: SessionMaker
    settings: Settings

    @property
    def client(self) -> Client:
        return self.env.client

    @asynccontextmanager
    async def api(self) -> AsyncIterator[httpx.AsyncClient]:
        """The API in process, on this stack (a recording through the routes a person uses)."""
        from api.app import create_app

        app = create_app(self.settings, sessions=self.sessions, temporal=self.client)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver") as client:
            yield client

async def save_history(handle: WorkflowHandle[Any, Any], path: Path, *,
                       wait_for_end: bool = True) -> None:
    """Write the run's history (protobuf JSON), once it has ended unless told otherwise
    (a run recorded while still open, as a worker would find it)."""
    if wait_for_end:
        await handle.result()
    history = await handle.fetch_history()
    await asyncio.to_thread(path.parent.mkdir, exist_ok=True)
    await asyncio.to_thread(path.write_text, history.to_json() + "\n")
    print(f"wrote {path.name} ({len(history.events)} events)")


@asynccontextmanager
async def recording_stack(
    configure: Callable[[Settings], Settings] = lambda settings: settings,
    stand_ins: Sequence[type] = (),
) -> AsyncIterator[RecordingStack]:
    """The stack a recorder runs on, worker started. `configure` adjusts the settings
    (a provider's local peer); `stand_ins` are workflow classes that take the place of the
    worker's workflows of the same type name (a process another branch writes). In dev, the
    public dev payload key encrypts the recording, as a production key would, and the
    replay tests decrypt it with the same key."""
    folder = Path(tempfile.mkdtemp(prefix="esame-histories-"))
    url = f"sqlite+aiosqlite:///{folder}/h.sqlite"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    settings = configure(Settings(
        env="dev", database_url=url, secret_key="h" * 48, public_base_url="http://testserver",
        data_dir=folder, temporal=TemporalSettings(address="unused:0", task_queue="histories")))
    temporal_env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(settings.temporal),
        test_server_existing_path=str(BIN / "temporal-test-server"))
    try:
        await ensure_search_attributes(temporal_env.client, settings)
        worker = build_worker(temporal_env.client, WorkerDeps.from_settings(settings, sessions),
                              stand_ins=stand_ins)
        async with worker:
            yield RecordingStack(temporal_env, sessions, settings)
    finally:
        await temporal_env.shutdown()
        await engine.dispose()
