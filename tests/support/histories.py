"""Reading recorded histories (the replay tests): payloads as their JSON values."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from temporalio.api.common.v1 import Payload

from core.payload_codec import EncryptionCodec
from core.settings import TemporalSettings

# The recorders encrypt with the dev key, as the test environments do; histories recorded
# before the payload codec are clear text, which the codec reads as it is.
_CODEC = EncryptionCodec(TemporalSettings().codec.keys)


def payload_value(payload: dict[str, Any]) -> Any:
    """The JSON value of a payload of a history file (protobuf JSON), decrypted if need be."""
    return json.loads(_CODEC.decrypt(json_format.ParseDict(payload, Payload())).data)


async def assert_replays(path: Path) -> None:
    """The committed history at `path` replays cleanly with today's code, on the worker's
    registration."""
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer

    from core.temporal_client import data_converter
    from workers.main import WORKFLOW_RUNNER, workflows

    replayer = Replayer(workflows=workflows(), data_converter=data_converter(TemporalSettings()),
                        workflow_runner=WORKFLOW_RUNNER)
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


def shown_statuses(path: Path) -> list[str]:
    """The `EsameStatus` values a recorded run showed, in order."""
    events = json.loads(path.read_text())["events"]
    return [json.loads(base64.b64decode(fields["EsameStatus"]["data"]))
            for e in events
            if (fields := e.get("upsertWorkflowSearchAttributesEventAttributes", {}).get(
                "searchAttributes", {}).get("indexedFields", {})) and "EsameStatus" in fields]
