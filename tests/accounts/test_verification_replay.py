"""Committed histories of ProfessionalVerificationWorkflow (reminded then verified,
refused, abandoned) replay cleanly with today's code, on the worker's registration:
a change that would break checks under way fails here (make_verification_histories.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workers.main import WORKFLOW_RUNNER, workflows

HISTORIES = sorted(Path(__file__).with_name("histories").glob("professional_verification_*"))


def test_each_path_of_the_check_has_a_history() -> None:
    assert [p.stem for p in HISTORIES] == [
        "professional_verification_abandoned", "professional_verification_refused",
        "professional_verification_reminded_then_verified"]
    for path in HISTORIES:
        started = json.loads(path.read_text())["events"][0][
            "workflowExecutionStartedEventAttributes"]
        assert started["workflowType"]["name"] == "ProfessionalVerificationWorkflow"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=workflows(), data_converter=pydantic_data_converter,
                        workflow_runner=WORKFLOW_RUNNER)
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
