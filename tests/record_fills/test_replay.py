"""Committed histories of RecordFillWorkflow replay cleanly with today's code: completed,
expired and refunded, payment failed (recorded by make_histories.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.settings import TemporalSettings
from core.temporal_client import data_converter
from tests.support.histories import payload_value
from workers.main import WORKFLOW_RUNNER
from workflows.record_fill import RecordFillWorkflow

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


def _activities(path: Path) -> list[tuple[str, dict]]:
    events = json.loads(path.read_text())["events"]
    return [(a["activityType"]["name"], payload_value(a["input"]["payloads"][0]))
            for e in events if (a := e.get("activityTaskScheduledEventAttributes"))]


def test_the_three_ends_are_recorded() -> None:
    assert [p.stem for p in HISTORIES] == [
        "record_fill_completed", "record_fill_expired_refunded", "record_fill_payment_failed"]
    steps = {p.stem: [(name, data.get("status") or data.get("event"))
                      for name, data in _activities(p)] for p in HISTORIES}
    assert steps["record_fill_completed"] == [
        ("open_record_fill", None), ("notify_record_fill", "opened"),
        ("close_record_fill", "completed"), ("notify_record_fill", "completed")]
    assert steps["record_fill_expired_refunded"] == [
        ("open_record_fill", None), ("notify_record_fill", "opened"),
        ("close_record_fill", "expired"), ("ask_refund", None),
        ("notify_record_fill", "expired")]
    assert steps["record_fill_payment_failed"] == [("close_record_fill", "payment_failed")]


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    # The worker's sandbox (the domain models passed through), as in production.
    replayer = Replayer(workflows=[RecordFillWorkflow], workflow_runner=WORKFLOW_RUNNER,
                        data_converter=data_converter(TemporalSettings()))
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
