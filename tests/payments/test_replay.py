"""Committed histories of the payment workflows replay cleanly with today's code: a change
that would break workflows already running fails here (histories: make_histories.py)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.payment import ASYNC_REFUNDS_PATCH, PaymentWorkflow
from workflows.purchase import PurchaseWorkflow
from workflows.subscription import SubscriptionWorkflow

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


def test_every_workflow_has_a_history() -> None:
    types = {json.loads(p.read_text())["events"][0]["workflowExecutionStartedEventAttributes"]
             ["workflowType"]["name"] for p in HISTORIES}
    assert types == {"PaymentWorkflow", "SubscriptionWorkflow", "PurchaseWorkflow"}


def test_the_pending_refund_path_has_a_history() -> None:
    """Refunds polled at the provider (behind a patch) are covered by a recorded run."""
    events = json.loads(HISTORIES[0].with_name("payment_refund_polled.json").read_text())[
        "events"]
    patches = [json.loads(base64.b64decode(
        e["markerRecordedEventAttributes"]["details"]["patch-data"]["payloads"][0]["data"]))
        ["id"] for e in events if "markerRecordedEventAttributes" in e]
    assert patches == [ASYNC_REFUNDS_PATCH]
    polls = [e for e in events if e.get("activityTaskScheduledEventAttributes", {}).get(
        "activityType", {}).get("name") == "check_refund_status"]
    assert len(polls) == 2


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[PaymentWorkflow, SubscriptionWorkflow, PurchaseWorkflow],
                        data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
