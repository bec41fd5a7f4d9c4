"""Record the doctor-link histories `test_doctor_link_replay.py` checks: `uv run python -m
tests.accounts.doctor_link_histories [name ...]` (all of them, or only those named).

Runs the doctor-link workflow to its end on the time-skipping server, with the real
activities on a throwaway SQLite database, and writes its history as JSON under
tests/accounts/histories/. The `*_before_removal` histories were recorded on a checkout of
main from before a link stayed open while active (63ca275): they stand for runs under way
when that change is deployed. There, an accepted link's run failed on a template name
(`doctor_invitation_active`, issue 8); the recorder supplies that template, which changes
what the email says and no workflow command, so the history is the one a fixed template
gives. Record a new history for a new path; record the existing ones again only when a
change is meant to break running workflows.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.settings import Settings, TemporalSettings
from core.temporal_client import ensure_search_attributes
from db.engine import SessionMaker, make_engine, make_sessionmaker
from db.migrate import upgrade
from domain.accounts import DoctorDecision, DoctorLinkState
from domain.messages import TEMPLATES
from tests.support.doctor_links import ask_a_doctor
from workers.main import WorkerDeps, activities, workflows

HISTORIES = Path(__file__).with_name("histories")
BIN = Path(sys.executable).parent


async def _save(handle: WorkflowHandle, name: str) -> None:  # type: ignore[type-arg]
    history = await handle.fetch_history()
    (HISTORIES / f"{name}.json").write_text(history.to_json() + "\n")
    print(f"wrote {name}.json ({len(history.events)} events)")


async def _answered(env: WorkflowEnvironment, sessions: SessionMaker, settings: Settings,
                    answer: str, name: str) -> None:
    _, _, doctor, handle = await ask_a_doctor(env.client, sessions, settings)
    await handle.execute_update(answer, DoctorDecision(doctor_id=doctor.id),
                                result_type=DoctorLinkState)
    if answer == "accept" and "before_removal" not in name:
        return  # an accepted link stays open: the recorder of its end goes on with it
    await handle.result()
    await _save(handle, name)


async def _accepted_before_removal(env: WorkflowEnvironment, sessions: SessionMaker,
                                   settings: Settings) -> None:
    await _answered(env, sessions, settings, "accept", "doctor_link_accepted_before_removal")


async def _declined_before_removal(env: WorkflowEnvironment, sessions: SessionMaker,
                                   settings: Settings) -> None:
    await _answered(env, sessions, settings, "decline", "doctor_link_declined_before_removal")


async def _expired_before_removal(env: WorkflowEnvironment, sessions: SessionMaker,
                                  settings: Settings) -> None:
    *_, handle = await ask_a_doctor(env.client, sessions, settings)
    await env.sleep(settings.durations.doctor_invitation_expires_after + timedelta(hours=1))
    await handle.result()
    await _save(handle, "doctor_link_expired_before_removal")


RECORDERS: dict[str, Callable[[WorkflowEnvironment, SessionMaker, Settings],
                              Awaitable[None]]] = {
    "doctor_link_accepted_before_removal": _accepted_before_removal,
    "doctor_link_declined_before_removal": _declined_before_removal,
    "doctor_link_expired_before_removal": _expired_before_removal,
}


async def main(names: list[str]) -> None:
    TEMPLATES.setdefault("doctor_invitation_active", TEMPLATES["doctor_invitation_accepted"])
    unknown = sorted(set(names) - set(RECORDERS))
    if unknown:
        raise SystemExit(f"unknown histories {unknown}; known: {sorted(RECORDERS)}")
    folder = Path(tempfile.mkdtemp(prefix="esame-histories-"))
    url = f"sqlite+aiosqlite:///{folder}/h.sqlite"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    settings = Settings(env="test", database_url=url, secret_key="h" * 48,
                        public_base_url="http://testserver", data_dir=folder,
                        temporal=TemporalSettings(address="unused:0", task_queue="histories"))
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(BIN / "temporal-test-server"))
    await ensure_search_attributes(env.client, settings)
    HISTORIES.mkdir(exist_ok=True)
    try:
        deps = WorkerDeps.from_settings(settings, sessions)
        async with Worker(env.client, task_queue=settings.temporal.task_queue,
                          workflows=workflows(), activities=activities(deps)):
            for name, record in RECORDERS.items():
                if not names or name in names:
                    await record(env, sessions, settings)
    finally:
        await env.shutdown()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
