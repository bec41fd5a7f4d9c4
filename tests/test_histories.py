"""Every workflow type the worker registers, the former names it still serves included, has
a committed history that the replay tests check (tests/*/histories, recorded by the
area's make_histories.py): a change that breaks a running type fails there."""

from __future__ import annotations

import json
from pathlib import Path

from temporalio.workflow import _Definition

from workers.main import workflows

HISTORIES = sorted(Path(__file__).parent.glob("*/histories/*.json"))


def test_every_workflow_has_a_history() -> None:
    recorded = {json.loads(p.read_text())["events"][0]["workflowExecutionStartedEventAttributes"]
                ["workflowType"]["name"] for p in HISTORIES}
    registered = {_Definition.must_from_class(w).name for w in workflows()}
    assert registered - recorded == set(), "record a history of each (make_histories.py)"
    assert recorded - registered == set(), "a history of a type the worker does not serve"
