"""Committed histories of SponsorshipWorkflow replay cleanly with today's code: a change
that would break sponsorships already under way fails here (histories:
make_histories.py, and the time-skipping test's recorded paths)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.settings import TemporalSettings
from core.temporal_client import data_converter
from workers.main import WORKFLOW_RUNNER
from workflows.sponsorship import SponsorshipWorkflow

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


def test_the_paths_have_histories() -> None:
    assert {p.stem for p in HISTORIES} >= {"sponsorship_expired", "sponsorship_payment_failed"}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[SponsorshipWorkflow], workflow_runner=WORKFLOW_RUNNER,
                        data_converter=data_converter(TemporalSettings()))
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
