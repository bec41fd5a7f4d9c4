"""Committed histories of ProfessionalVerificationWorkflow (make_verification_histories.py):
each path of the check (reminded then verified, refused, abandoned) has one, of that type.
test_replay.py replays them, with every history of the folder, through the production data
converter."""

from __future__ import annotations

import json
from pathlib import Path

HISTORIES = sorted(Path(__file__).with_name("histories").glob("professional_verification_*"))


def test_each_path_of_the_check_has_a_history() -> None:
    assert [p.stem for p in HISTORIES] == [
        "professional_verification_abandoned", "professional_verification_refused",
        "professional_verification_reminded_then_verified"]
    for path in HISTORIES:
        started = json.loads(path.read_text())["events"][0][
            "workflowExecutionStartedEventAttributes"]
        assert started["workflowType"]["name"] == "ProfessionalVerificationWorkflow"
