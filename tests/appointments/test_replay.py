"""Committed histories of AppointmentWorkflow replay with today's code: a change that would
break appointments already under way fails here (histories: make_histories.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.settings import TemporalSettings
from core.temporal_client import data_converter
from workers.main import WORKFLOW_RUNNER
from workflows.appointment import AppointmentWorkflow

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


def test_the_paths_are_recorded() -> None:
    assert {p.stem for p in HISTORIES} == {
        "appointment_expired", "appointment_canceled_by_the_doctor_refunded",
        "appointment_confirmed_reminded_completed"}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[AppointmentWorkflow], workflow_runner=WORKFLOW_RUNNER,
                        data_converter=data_converter(TemporalSettings()))
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
