"""`esame up` (what `make run` runs) as a script starts it: in the background of a
non-interactive shell, which gives it SIGINT and SIGQUIT ignored (POSIX: an asynchronous
list inherits them as SIG_IGN when job control is off). On its own ports and files, so
several can run on one machine."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
READY = "E-same is running"


@dataclass
class EsameUp:
    shell: subprocess.Popen[str]  # `sh -c 'esame up & wait'`
    pid: int  # esame up itself
    log: Path
    api_port: int
    temporal_port: int
    ui_port: int
    folder: Path

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.folder / 'esame.sqlite'}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def ports_open(self) -> list[int]:
        return [p for p in (self.api_port, self.temporal_port, self.ui_port) if _listening(p)]

    def interrupt(self) -> None:
        """Ctrl-C, as a terminal or a script's `kill -INT` sends it."""
        os.kill(self.pid, signal.SIGINT)

    def wait(self, timeout: float) -> int | None:
        """The exit status of `esame up` (the shell waits for it), or None if it runs on."""
        try:
            return self.shell.wait(timeout)
        except subprocess.TimeoutExpired:
            return None


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _environment(folder: Path, api: int, temporal: int, ui: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESAME_")}
    return {
        **env,
        "ESAME_ENV": "dev",
        "ESAME_API_PORT": str(api),
        "ESAME_PUBLIC_BASE_URL": f"http://127.0.0.1:{api}",
        "ESAME_WEB_BASE_URL": f"http://127.0.0.1:{api}",
        "ESAME_DEV_SERVER__PORT": str(temporal),
        "ESAME_DEV_SERVER__UI_PORT": str(ui),
        "ESAME_DEV_SERVER__DB_FILENAME": str(folder / "temporal.sqlite"),
        "ESAME_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'esame.sqlite'}",
        "ESAME_DATA_DIR": str(folder),
        "ESAME_ACCESS_LOG": "false",
    }


def start(folder: Path, ready_within: float = 120) -> EsameUp:
    """Start `esame up` in the background of `sh`, and wait until it says it is running."""
    api, temporal, ui = free_port(), free_port(), free_port()
    log = folder / "esame-up.log"
    shell = subprocess.Popen(
        ["sh", "-c", '"$@" >"$ESAME_UP_LOG" 2>&1 & echo $!; wait $!', "sh",
         sys.executable, "-m", "cli.main", "up"],
        cwd=ROOT, env={**_environment(folder, api, temporal, ui), "ESAME_UP_LOG": str(log)},
        stdout=subprocess.PIPE, text=True)
    assert shell.stdout is not None
    up = EsameUp(shell, int(shell.stdout.readline()), log, api, temporal, ui, folder)
    deadline = time.monotonic() + ready_within
    while READY not in up.output():
        if shell.poll() is not None or time.monotonic() > deadline:
            stop(up)
            raise AssertionError(f"esame up did not start:\n{up.output()[-3000:]}")
        time.sleep(0.2)
    return up


def stop(up: EsameUp) -> None:
    """What a user does: Ctrl-C; whatever still runs after that is killed (a test failed)."""
    if up.shell.poll() is None:
        up.interrupt()
        if up.wait(60) is None:
            for pid in _descendants(up.pid) + [up.pid]:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            up.shell.wait(10)


def _descendants(pid: int) -> list[int]:
    """The processes started by `pid` (the dev server, worker and API run in sessions of
    their own, so they are found by parent, not by process group)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


@contextmanager
def esame_up(folder: Path) -> Iterator[EsameUp]:
    up = start(folder)
    try:
        yield up
    finally:
        stop(up)
