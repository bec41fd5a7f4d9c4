"""`esame up`, started in the background by a script (SIGINT inherited as ignored), stops
everything it started on Ctrl-C, and on a process manager's SIGTERM alike."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.support.esame_up import _descendants, start, stop


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_esame_up_started_by_a_script_stops_everything(tmp_path: Path, how: int) -> None:
    up = start(tmp_path)
    try:
        started = _descendants(up.pid)  # the dev server, the worker and the API
        assert len(started) >= 3, up.output()
        assert up.ports_open() == [up.api_port, up.temporal_port, up.ui_port]
        os.kill(up.pid, how)
        assert up.wait(60) == 0, up.output()[-3000:]
    finally:
        stop(up)
    assert "stopping" in up.output()
    assert up.ports_open() == []
    assert [pid for pid in started if _alive(pid)] == []
