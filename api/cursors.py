"""Opaque list cursors: the (time, id) of the last item, so a page never skips or repeats
an item when several share a timestamp."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from api.problems import Problem

T = TypeVar("T")
Q = TypeVar("Q", bound=Select)  # type: ignore[type-arg]  # any Select, columns kept


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
                      errors=[{"location": "query",
                               "field": "cursor", "message": "not a cursor we gave"}]) from err


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
                      errors=[{"location": "query",
                               "field": "cursor", "message": "not a cursor we gave"}]) from err


def keyset(
    query: Q,
    at: InstrumentedAttribute[datetime],
    item_id: InstrumentedAttribute[str],
    cursor: str | None,
    limit: int,
    *,
    newest_first: bool = True,
) -> Q:
    """Order by (time, id), start after the cursor, and fetch one more than a page (to know
    whether another page follows: see `page`)."""
    after = decode_cursor(cursor)
    if after is not None:
        moment, last_id = after
        if newest_first:
            query = query.where(or_(at < moment, and_(at == moment, item_id < last_id)))
        else:
            query = query.where(or_(at > moment, and_(at == moment, item_id > last_id)))
    order = (at.desc(), item_id.desc()) if newest_first else (at.asc(), item_id.asc())
    ordered: Q = query.order_by(*order).limit(limit + 1)
    return ordered


def page(
    rows: list[T], limit: int, key: Callable[[T], tuple[datetime, str]]
) -> tuple[list[T], str | None]:
    """The page and the cursor of the next one (None on the last page)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(*key(rows[-1]))
