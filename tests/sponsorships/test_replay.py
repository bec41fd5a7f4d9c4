"""Committed histories of SponsorshipWorkflow replay cleanly with today's code: a change
that would break sponsorships already under way fails here (histories:
make_histories.py, and the time-skipping test's recorded paths)."""

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
from workflows.sponsorship import SponsorshipWorkflow

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


# The statuses each recorded path wrote, in order.
PATHS = {
    "sponsorship_expired": ["expired"],
    "sponsorship_payment_failed": ["payment_failed"],
    "sponsorship_completed": ["confirmed", "completed"],
    "sponsorship_canceled_refunded": ["confirmed", "canceled", "canceled"],
}


@pytest.mark.parametrize("name", sorted(PATHS))
def test_each_path_has_a_history(name: str) -> None:
    events = json.loads(HISTORIES[0].with_name(f"{name}.json").read_text())["events"]
    recorded = [payload_value(a["input"]["payloads"][0]) for e in events
                if (a := e.get("activityTaskScheduledEventAttributes"))
                and a["activityType"]["name"] == "record_sponsorship"]
    assert [r["status"] for r in recorded] == PATHS[name]
    if name == "sponsorship_canceled_refunded":
        assert [r["refund_status"] for r in recorded] == [None, "pending", "succeeded"]


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[SponsorshipWorkflow], workflow_runner=WORKFLOW_RUNNER,
                        data_converter=data_converter(TemporalSettings()))
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
