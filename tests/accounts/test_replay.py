"""Committed histories of the account processes replay cleanly with today's code, on the
worker's registration (histories: make_histories.py). `former_name_*` histories were
recorded before the workflow types were renamed (`DoctorLink` -> `DoctorLinkWorkflow`...):
they stand for runs in flight under the old names, which the worker still serves."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workers.main import WORKFLOW_RUNNER, workflows

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=workflows(), data_converter=pydantic_data_converter,
                        workflow_runner=WORKFLOW_RUNNER)
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
