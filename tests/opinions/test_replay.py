"""Committed histories of OpinionRequestWorkflow replay cleanly with today's code (asked
then answered then closed; declined and refunded; expired after both reminders): a change
that would break requests already under way fails here (make_histories.py records them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.settings import TemporalSettings
from core.temporal_client import data_converter
from workflows.opinion import OpinionRequestWorkflow
from workflows.payment import PaymentWorkflow

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


def test_every_ending_has_a_history() -> None:
    assert [p.stem for p in HISTORIES] == [
        "opinion_asked_answered_closed", "opinion_declined_refunded",
        "opinion_expired_after_reminders"]
    expired = json.loads(HISTORIES[2].read_text())["events"]
    reminders = [e for e in expired if e.get("activityTaskScheduledEventAttributes", {}).get(
        "activityType", {}).get("name") == "notify_opinion"]
    assert len(reminders) == 4  # transmitted, half, nine tenths, expired


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[OpinionRequestWorkflow, PaymentWorkflow],
                        data_converter=data_converter(TemporalSettings()))
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
