"""Record the histories of PharmacyOrderWorkflow the replay tests check:
`uv run python -m tests.pharmacy.make_histories`.

Each path runs to its end on the time-skipping server, through the API (the patient and
the pharmacy's staff as people would) with the real activities on a throwaway SQLite
database, and is written under tests/pharmacy/histories/ as `pharmacy_order_<path>.json`.
Record again (and commit) only when a change is meant to be incompatible with orders
under way.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.settings import Settings, TemporalSettings
from core.temporal_client import data_converter, ensure_search_attributes
from db.engine import SessionMaker, make_engine, make_sessionmaker
from db.migrate import upgrade
from domain.pharmacy import pharmacy_order_workflow_id
from tests.pharmacy.support import cast, proforma_body, quote, request
from workers.main import WorkerDeps, build_worker

BIN = Path(sys.executable).parent
HISTORIES = Path(__file__).with_name("histories")
MARGIN = timedelta(minutes=1)


async def _write(env: WorkflowEnvironment, order_id: str, name: str) -> None:
    handle = env.client.get_workflow_handle(pharmacy_order_workflow_id(order_id))
    await handle.result()
    history = await handle.fetch_history()
    path = HISTORIES / f"pharmacy_order_{name}.json"
    path.write_text(history.to_json() + "\n")
    print(f"wrote {path.name} ({len(history.events)} events)")


Path_ = Callable[[WorkflowEnvironment, httpx.AsyncClient, SessionMaker, Settings],
                 Awaitable[None]]


async def _ordered(env: WorkflowEnvironment, api: httpx.AsyncClient, sessions: SessionMaker,
                   settings: Settings, *, partial: bool = False):  # type: ignore[no-untyped-def]
    c = await cast(sessions, settings)
    order = (await request(api, c)).json()
    body = proforma_body(order, unavailable=2, substitute=0,
                         now=await env.get_current_time())
    lines = (await quote(api, c, order["id"], body)).json()["lines"]
    chosen = {"line_ids": [lines[1]["id"]]} if partial else {}
    placed = await api.post(f"/api/v1/proformas/{order['id']}/order", json=chosen,
                            headers=c.patient.headers)
    assert placed.status_code == 200, placed.text
    return c, order["id"]


async def _rejected(env: WorkflowEnvironment, api: httpx.AsyncClient, sessions: SessionMaker,
                    settings: Settings) -> None:
    c, oid = await _ordered(env, api, sessions, settings, partial=True)
    rejected = await api.post(f"/api/v1/pharmacy/orders/{oid}/reject",
                              json={"reason": "Rupture de stock"}, headers=c.staff.headers)
    assert rejected.status_code == 200, rejected.text
    await _write(env, oid, "rejected")


async def _canceled(env: WorkflowEnvironment, api: httpx.AsyncClient, sessions: SessionMaker,
                    settings: Settings) -> None:
    c = await cast(sessions, settings)
    oid = (await request(api, c)).json()["id"]
    assert (await api.delete(f"/api/v1/proforma-requests/{oid}",
                             headers=c.patient.headers)).status_code == 204
    await _write(env, oid, "canceled")


async def _not_quoted(env: WorkflowEnvironment, api: httpx.AsyncClient,
                      sessions: SessionMaker, settings: Settings) -> None:
    c = await cast(sessions, settings)
    oid = (await request(api, c)).json()["id"]
    await env.sleep(settings.durations.proforma_quote_within + MARGIN)
    await _write(env, oid, "expired_not_quoted")


async def _not_paid(env: WorkflowEnvironment, api: httpx.AsyncClient, sessions: SessionMaker,
                    settings: Settings) -> None:
    c, oid = await _ordered(env, api, sessions, settings)
    assert (await api.post(f"/api/v1/pharmacy/orders/{oid}/validate",
                           headers=c.staff.headers)).status_code == 200
    await env.sleep(settings.durations.order_payment_within + MARGIN)
    await _write(env, oid, "expired_not_paid")


PATHS: list[Path_] = [_rejected, _canceled, _not_quoted, _not_paid]


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="esame-histories-"))
    url = f"sqlite+aiosqlite:///{folder}/h.sqlite"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    # Dev: its public payload key encrypts the recording, and the replay test reads it.
    settings = Settings(env="dev", database_url=url, secret_key="h" * 48,
                        public_base_url="http://testserver", data_dir=folder,
                        temporal=TemporalSettings(address="unused:0", task_queue="histories"))
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(settings.temporal),
        test_server_existing_path=str(BIN / "temporal-test-server"))
    await ensure_search_attributes(env.client, settings)
    HISTORIES.mkdir(exist_ok=True)
    app = create_app(settings, sessions=sessions, temporal=env.client)
    try:
        async with build_worker(env.client, WorkerDeps.from_settings(settings, sessions)), \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://testserver") as api:
            for record in PATHS:
                await record(env, api, sessions, settings)
    finally:
        await env.shutdown()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
