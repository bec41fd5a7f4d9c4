"""Doctor links answered before a link stayed open while active still replay: their runs
ended with the answer, and today's code, behind its patch, ends them the same way
(histories: doctor_link_histories.py, recorded on main before the change)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workers.main import WORKFLOW_RUNNER
from workflows.doctor_link import DoctorLinkWorkflow

HISTORIES = sorted(Path(__file__).with_name("histories").glob("doctor_link_*.json"))


def _events(path: Path) -> list[dict]:
    events: list[dict] = json.loads(path.read_text())["events"]
    return events


def test_the_histories_stand_for_each_answer_before_the_change() -> None:
    assert [p.stem for p in HISTORIES] == [
        "doctor_link_accepted_before_removal", "doctor_link_declined_before_removal",
        "doctor_link_expired_before_removal"]
    for path in HISTORIES:
        events = _events(path)
        assert events[-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
        assert not [e for e in events if "markerRecordedEventAttributes" in e]  # no patch
    accepted = _events(HISTORIES[0])
    activities = [a["activityType"]["name"] for e in accepted
                  if (a := e.get("activityTaskScheduledEventAttributes"))]
    assert activities == ["notify_doctor_of_invitation", "set_care_link_status",
                          "notify_patient_of_decision"]
    result = next(e["workflowExecutionCompletedEventAttributes"] for e in accepted
                  if "workflowExecutionCompletedEventAttributes" in e)
    assert json.loads(base64.b64decode(result["result"]["payloads"][0]["data"])) == {
        "status": "active"}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[DoctorLinkWorkflow], data_converter=pydantic_data_converter,
                        workflow_runner=WORKFLOW_RUNNER)
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
