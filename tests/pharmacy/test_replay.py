"""Committed histories of PharmacyOrderWorkflow replay cleanly with today's code
(recorded by make_histories.py), and each path shows its statuses."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.settings import TemporalSettings
from core.temporal_client import data_converter
from workers.main import WORKFLOW_RUNNER, workflows

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=workflows(), data_converter=data_converter(TemporalSettings()),
                        workflow_runner=WORKFLOW_RUNNER)
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


def _statuses(name: str) -> list[str]:
    events = json.loads((HISTORIES[0].parent / f"{name}.json").read_text())["events"]
    return [json.loads(base64.b64decode(fields["EsameStatus"]["data"]))
            for e in events
            if (fields := e.get("upsertWorkflowSearchAttributesEventAttributes", {}).get(
                "searchAttributes", {}).get("indexedFields", {})) and "EsameStatus" in fields]


def test_each_path_has_a_history() -> None:
    s = "pharmacy_order_"
    assert _statuses("pharmacy_order_rejected") == [
        f"{s}requested", f"{s}quoted", f"{s}ordered", f"{s}rejected"]
    assert _statuses("pharmacy_order_canceled") == [f"{s}requested", f"{s}canceled"]
    assert _statuses("pharmacy_order_expired_not_quoted") == [f"{s}requested", f"{s}expired"]
    assert _statuses("pharmacy_order_expired_not_paid") == [
        f"{s}requested", f"{s}quoted", f"{s}ordered", f"{s}validated", f"{s}expired"]
    assert _statuses("pharmacy_order_expired_paid_late_refunded") == [
        f"{s}requested", f"{s}quoted", f"{s}ordered", f"{s}validated", f"{s}expired"]
    paid = [f"{s}requested", f"{s}quoted", f"{s}ordered", f"{s}validated", f"{s}paid"]
    assert _statuses("pharmacy_order_collected") == [*paid, f"{s}collected"]
    assert _statuses("pharmacy_order_expired_not_collected_refunded") == [*paid, f"{s}expired"]
