"""Committed histories of the payment workflows replay cleanly with today's code: a change
that would break workflows already running fails here (histories: make_histories.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.payment import PaymentWorkflow
from workflows.purchase import PurchaseWorkflow
from workflows.subscription import SubscriptionWorkflow

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


def test_every_workflow_has_a_history() -> None:
    types = {json.loads(p.read_text())["events"][0]["workflowExecutionStartedEventAttributes"]
             ["workflowType"]["name"] for p in HISTORIES}
    assert types == {"PaymentWorkflow", "SubscriptionWorkflow", "PurchaseWorkflow"}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[PaymentWorkflow, SubscriptionWorkflow, PurchaseWorkflow],
                        data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
