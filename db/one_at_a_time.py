"""Rules of the kind "one at a time" (one live subscription per patient, one pending or
active link per patient and doctor), decided by the database.

A check before an insert ("is there one already?") lets two requests of the same instant
both pass it. Here the rule is a unique index, partial when it covers only the live rows
(`one_live_per`), so the second insert of the same instant is refused by the database
itself, on SQLite as on PostgreSQL, however many API processes run. `insert_once` turns
that refusal into `Taken(rule)`, naming the rule, for the caller to answer with the row
that won or a 409 (`api/one_at_a_time.py`). See "One at a time" in docs/architecture.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Index, UniqueConstraint, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import Base


class Taken(Exception):
    """A unique rule refused the rows: another row holds the place (`rule` names it)."""

    def __init__(self, rule: str) -> None:
        super().__init__(f"refused by the unique rule {rule}")
        self.rule = rule


def one_live_per(name: str, *columns: str, live: Iterable[str],
                 status_column: str = "status") -> Index:
    """A unique index over `columns` among the rows whose status is live: at most one live
    row per value of `columns`, any number of closed ones. The same partial index on
    SQLite and PostgreSQL; a migration creates it with `live_condition`."""
    where = live_condition(live, status_column)
    return Index(name, *columns, unique=True, sqlite_where=where, postgresql_where=where)


def live_condition(live: Iterable[str], status_column: str = "status"):  # type: ignore[no-untyped-def]
    statuses = ", ".join(f"'{status}'" for status in live)
    return text(f"{status_column} IN ({statuses})")


async def insert_once(session: AsyncSession, *rows: object) -> None:
    """Insert `rows` now (in a savepoint), or raise `Taken` when a unique rule refuses
    them; the session stays usable either way. On PostgreSQL the insert waits for a
    concurrent transaction holding the same key to end; on SQLite for the write lock."""
    try:
        async with session.begin_nested():
            session.add_all(rows)
            await session.flush()
    except IntegrityError as err:
        rule = violated_rule(err)
        if rule is None:
            raise
        raise Taken(rule) from err


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")


def violated_rule(err: IntegrityError) -> str | None:
    """The name of the unique index or constraint that refused a statement, or None for
    another integrity error (a foreign key, a NOT NULL)."""
    cause = err.orig.__cause__ if err.orig is not None else None
    name = getattr(cause, "constraint_name", None)  # asyncpg's UniqueViolationError
    if name is not None and type(cause).__name__ == "UniqueViolationError":
        return str(name)
    # SQLite names the columns ("UNIQUE constraint failed: t.a, t.b"), not the index.
    found = _SQLITE_UNIQUE.search(str(err.orig))
    if found is None:
        return None
    columns = [part.strip() for part in found.group(1).split(",")]
    table = columns[0].split(".")[0]
    return _rule_on(table, [column.split(".", 1)[1] for column in columns])


def _rule_on(table_name: str, columns: list[str]) -> str | None:
    table = Base.metadata.tables.get(table_name)
    if table is None:
        return None
    rules: list[tuple[str | None, list[str]]] = [
        (index.name, [c.name for c in index.columns]) for index in table.indexes if index.unique
    ]
    rules += [
        (str(c.name), [col.name for col in c.columns])
        for c in table.constraints if isinstance(c, UniqueConstraint)
    ]
    names = [name for name, cols in rules if cols == columns and name]
    return names[0] if names else None
