"""Opaque list cursors: the (time, id) of the last item, so a page never skips or repeats
an item when several share a timestamp."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from api.problems import Problem


def encode_cursor(at: datetime, item_id: str) -> str:
    raw = json.dumps([at.isoformat(), item_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, item_id = json.loads(raw)
        return datetime.fromisoformat(at), str(item_id)
    except (ValueError, TypeError) as err:
        raise Problem(422, "The cursor is not valid.",
                      errors=[{"field": "cursor", "message": "not a cursor we gave"}]) from err


def encode_id_cursor(item_id: str) -> str:
    """For lists ordered by id alone."""
    return base64.urlsafe_b64encode(json.dumps([item_id]).encode()).decode().rstrip("=")


def decode_id_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        (item_id,) = json.loads(raw)
        if not isinstance(item_id, str):
            raise TypeError("not an id")
        return item_id
    except (ValueError, TypeError) as err:
        raise Problem(422, "The cursor is not valid.",
                      errors=[{"field": "cursor", "message": "not a cursor we gave"}]) from err
