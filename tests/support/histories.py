"""Reading recorded histories (the replay tests): payloads as their JSON values."""

from __future__ import annotations

import json
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
