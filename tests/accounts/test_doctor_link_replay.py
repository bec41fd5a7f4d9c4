"""Doctor links answered before a link stayed open while active still replay: their runs
ended with the answer, and today's code, behind its patch, ends them the same way
(histories: doctor_link_histories.py, recorded on main before the change). They replay
through the production data converter (the payload codec reads their clear text as it is)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.settings import TemporalSettings
from core.temporal_client import data_converter
from tests.support.histories import payload_value
from workers.main import WORKFLOW_RUNNER, workflows

# Recorded under the type name of the time, `DoctorLink` (served by workflows/former_names).
HISTORIES = sorted(Path(__file__).with_name("histories").glob("doctor_link_*_before_removal.json"))


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
    assert payload_value(result["result"]["payloads"][0]) == {"status": "active"}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=workflows(),
                        data_converter=data_converter(TemporalSettings()),
                        workflow_runner=WORKFLOW_RUNNER)
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
