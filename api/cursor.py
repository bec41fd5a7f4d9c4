"""Opaque keyset cursors for list endpoints: the sort key of the last item returned."""

from __future__ import annotations

import base64
import json

from api.problems import Problem


def encode_cursor(*values: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as err:
        raise Problem(422, "The cursor is not valid.",
                      errors=[{"field": "cursor", "message": "not a cursor"}]) from err
    if not isinstance(values, list) or len(values) != size or not all(
        isinstance(v, str) for v in values
    ):
        raise Problem(422, "The cursor is not valid.",
                      errors=[{"field": "cursor", "message": "not a cursor"}])
    return values
