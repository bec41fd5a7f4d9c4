"""Text that no database can store, refused before any route runs.

PostgreSQL refuses a NUL character in text, and no encoding holds a lone surrogate: such a
value in a path, a query parameter or a body would make the route fail (500) wherever it
reaches the database. An app-wide dependency answers instead: 404 for an id in the path
(nothing has such an id), 422 naming the field otherwise. Every route gets it, new ones too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import Request

from api.problems import Problem

MESSAGE = "must not contain a NUL character or a lone surrogate"


def unstorable(value: str) -> bool:
    return "\x00" in value or any("\ud800" <= char <= "\udfff" for char in value)


async def refuse_unstorable_text(request: Request) -> None:
    if any(unstorable(value) for value in request.path_params.values()):
        raise Problem(404, "Nothing has this id.")
    bad = [("query", name) for name, value in request.query_params.multi_items()
           if unstorable(name) or unstorable(value)]
    if getattr(request.scope.get("route"), "body_field", None) is not None:
        bad += [("body", field) for field in await _unstorable_body_fields(request)]
    if bad:
        raise Problem(422, "The request has invalid fields.", errors=[
            {"location": location, "field": field, "message": MESSAGE, "type": "unstorable"}
            for location, field in bad])


async def _unstorable_body_fields(request: Request) -> list[str]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()  # already parsed by the route: cached
        return [name for name, value in form.multi_items()
                if unstorable(name) or (isinstance(value, str) and unstorable(value))]
    try:
        body = await request.json()  # cached too
    except Exception:  # not JSON: the route reports it
        return []
    return list(dict.fromkeys(_walk(body, "")))


def _walk(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if unstorable(value):
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if unstorable(str(key)):
                yield inner
            yield from _walk(item, inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}.{index}" if path else str(index))
