"""What every benchmark stands on: a dev server, a migrated database, the real worker and
the API each in its own process (the API over real HTTP), and the results file format.

A benchmark module exposes `async def run(temporal: WorkflowEnvironment) -> list[Result]`
and is listed in `bench/__main__.py`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment

from core.settings import CodecSettings, Settings, TemporalSettings
from core.temporal_client import data_converter
from db.engine import SessionMaker, make_engine, make_sessionmaker
from db.migrate import upgrade

BIN = Path(sys.executable).parent
W = TypeVar("W")
POSTGRES_URL = os.environ.get(
    "ESAME_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


@dataclass
class Result:
    name: str
    value: float
    unit: str
    baseline: float
    goal: str
    lower_is_better: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "value": round(self.value, 4),
            "unit": self.unit,
            "baseline": round(self.baseline, 4),
            "ratio": round(self.value / self.baseline, 4) if self.baseline else None,
            "goal": self.goal,
            "lower_is_better": self.lower_is_better,
        }


async def _timed(count: int, concurrency: int, make_one: Callable[[], Awaitable[None]]) -> float:
    """Seconds to complete `count` processes, `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await make_one()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return time.perf_counter() - started


async def rates_abba(
    baseline: Callable[[], Awaitable[None]], real: Callable[[], Awaitable[None]], *,
    count: int, concurrency: int, warm_up: int = 2,
) -> tuple[float, float]:
    """Processes per second of the real system and of its baseline, measured in one run in
    the order baseline, real, real, baseline (`count` / 2 each time): the dev server's
    history grows during the run and slows it a little, and this order gives both sides the
    same share of that drift."""
    for _ in range(warm_up):
        await baseline()
        await real()
    half = count // 2
    baseline_time = await _timed(half, concurrency, baseline)
    real_time = await _timed(half, concurrency, real)
    real_time += await _timed(half, concurrency, real)
    baseline_time += await _timed(half, concurrency, baseline)
    return 2 * half / real_time, 2 * half / baseline_time


@asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's dev server as `esame up` runs it: its history kept in an SQLite file.
    (`BENCH_TEMPORAL_IN_MEMORY=1` runs it in memory, as the test suite does: Temporal then
    costs less, so the same overhead of the API and database weighs more in the ratios.)"""
    in_memory = os.environ.get("BENCH_TEMPORAL_IN_MEMORY") == "1"
    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter(TemporalSettings()),
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_database_filename=None if in_memory else str(
            Path(tempfile.mkdtemp(prefix="esame-bench-temporal-")) / "temporal.db"),
        search_attributes=[
            SearchAttributeKey.for_keyword(n)
            for n in ("EsamePatientId", "EsameDoctorId", "EsamePharmacyId", "EsameStatus")
        ],
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def postgres_available() -> bool:
    engine = make_engine(POSTGRES_URL)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        await engine.dispose()


async def chosen_database() -> str | None:
    """PostgreSQL when asked for (ESAME_BENCH_POSTGRES_URL; its schema is reset) and up,
    else None: SQLite."""
    wanted = os.environ.get("ESAME_BENCH_POSTGRES_URL")
    return wanted if wanted and await postgres_available() else None


async def _fresh_database(database_url: str | None) -> str:
    if database_url is None:
        folder = tempfile.mkdtemp(prefix="esame-bench-")
        database_url = f"sqlite+aiosqlite:///{folder}/bench.sqlite"
    elif make_url(database_url).get_backend_name() == "postgresql":
        engine = make_engine(database_url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await asyncio.to_thread(upgrade, database_url)
    return database_url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Stack:
    settings: Settings
    sessions: SessionMaker
    temporal: Client
    http: httpx.AsyncClient
    # The API's and the worker's process ids.
    pids: tuple[int, ...] = ()

    def cpu_seconds(self) -> float:
        """CPU time the API and the worker have used so far (Linux: /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids:
            # utime and stime, after the command name (which may hold spaces)
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / ticks


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


async def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port}")


@asynccontextmanager
async def stack(
    temporal: WorkflowEnvironment, database_url: str | None = None, *, codec: bool = True
) -> AsyncIterator[Stack]:
    """A migrated database, and the worker and the API each in its own process (`esame
    worker`, `esame api`) as in production; the benchmark drives the API over real HTTP.
    `codec=False` runs them without the payload codec (dev only), to measure what it costs.
    """
    url = await _fresh_database(database_url)
    port = _free_port()
    address = temporal.client.service_client.config.target_host
    settings = Settings(
        env="dev",
        database_url=url,
        secret_key="bench-secret-" + "x" * 40,
        public_base_url=f"http://127.0.0.1:{port}",
        data_dir=Path(tempfile.mkdtemp(prefix="esame-bench-data-")),
        api_port=port,
        temporal=TemporalSettings(address=address, task_queue=f"bench-{uuid.uuid4().hex[:8]}",
                                  codec=CodecSettings(enabled=codec)),
    )
    env = {
        "ESAME_ENV": "dev", "ESAME_DATABASE_URL": url, "ESAME_SECRET_KEY": settings.secret_key,
        "ESAME_PUBLIC_BASE_URL": settings.public_base_url,
        "ESAME_DATA_DIR": str(settings.data_dir), "ESAME_API_PORT": str(port),
        "ESAME_API_HOST": "127.0.0.1", "ESAME_ACCESS_LOG": "false",
        "ESAME_TEMPORAL__ADDRESS": address,
        "ESAME_TEMPORAL__TASK_QUEUE": settings.temporal.task_queue,
        "ESAME_TEMPORAL__CODEC__ENABLED": "true" if codec else "false",
    }
    engine = make_engine(url)
    worker = _spawn(["-m", "cli.main", "worker"], env)
    api = _spawn(["-m", "cli.main", "api"], env)
    try:
        await _wait_for_port(port, api)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=60,
            limits=httpx.Limits(max_connections=100),
        ) as http:
            yield Stack(settings=settings, sessions=make_sessionmaker(engine),
                        temporal=temporal.client, http=http, pids=(api.pid, worker.pid))
    finally:
        _stop(api)
        _stop(worker)
        await engine.dispose()


@asynccontextmanager
async def bare_worker(temporal: WorkflowEnvironment, module: str) -> AsyncIterator[str]:
    """The baseline's worker in its own process (`bench.bare_worker`); yields its queue."""
    task_queue = f"bench-bare-{uuid.uuid4().hex[:8]}"
    process = _spawn(["-m", "bench.bare_worker", module, task_queue,
                      temporal.client.service_client.config.target_host], {})
    try:
        yield task_queue
    finally:
        _stop(process)


async def until(check: Callable[[], Awaitable[Any]], within: float = 60) -> Any:
    """What `check` answers once it answers something, polled every 50 ms; fails past
    `within` seconds (a process that never gets there)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await check()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not there within {within} s")
        await asyncio.sleep(0.05)


async def shows_status(handle: WorkflowHandle[Any, Any], status: str) -> bool:
    """Whether the workflow's `EsameStatus` is `status` (a bare baseline's progress)."""
    description = await handle.describe()
    shown = {p.key.name: p.value for p in description.typed_search_attributes}
    return shown.get("EsameStatus") == status


async def against_bare(
    temporal: WorkflowEnvironment, bare_module: str, prepare: Callable[[Stack], Awaitable[W]],
    bare: Callable[[Client, str], Awaitable[None]], real: Callable[[Stack, W], Awaitable[None]],
    *, count: int, concurrency: int, warm_up: int = 2,
) -> tuple[float, float]:
    """A throughput benchmark's run: the real stack (on the chosen database) and the bare
    worker of `bare_module`; `prepare` makes the work before the clock starts, then
    `rates_abba` times `real(stack, work)` against `bare(client, bare_task_queue)`."""
    async with bare_worker(temporal, bare_module) as task_queue, \
            stack(temporal, await chosen_database()) as s:
        work = await prepare(s)
        return await rates_abba(lambda: bare(temporal.client, task_queue),
                                lambda: real(s, work), count=count, concurrency=concurrency,
                                warm_up=warm_up)


def rate_result(name: str, unit: str, what: str, rates: tuple[float, float]) -> list[Result]:
    """The result of `against_bare` (goal: at least 0.8 of the bare rate), printed."""
    api_rate, bare_rate = rates
    print(f"  {what} through the API: {api_rate:.2f}/s, bare Temporal: {bare_rate:.2f}/s")
    return [Result(name=name, value=api_rate, unit=unit, baseline=bare_rate,
                   goal="ratio >= 0.8", lower_is_better=False)]


async def timed_get(http: httpx.AsyncClient, path: str, headers: dict[str, str],
                    params: dict[str, str] | None = None) -> tuple[float, Any]:
    """Milliseconds a GET takes (it must answer 200), and its JSON."""
    start = time.perf_counter()
    response = await http.get(path, params=params, headers=headers)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, response.text
    return elapsed, response.json()


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]
