"""Numbers given in sequence (invoice numbers, request references), without gaps or twice.

The counter row is bumped by an UPDATE that locks it until the caller's transaction ends:
the number and the row that carries it are committed together, so a rolled back creation
gives its number back, and two transactions never get the same one. The first number of a
key inserts the row in a savepoint; a concurrent first insert loses on the primary key and
bumps the winner's row instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession


async def next_number(session: AsyncSession, model: Any, **key: Any) -> int:
    """The next `last_number` of the `model` row identified by `key` (created at 1)."""
    where = [getattr(model, column) == value for column, value in key.items()]
    result = await session.execute(
        update(model).where(*where).values(last_number=model.last_number + 1)
        .returning(model.last_number))
    number = result.scalar_one_or_none()
    if number is not None:
        return int(number)
    try:
        async with session.begin_nested():
            session.add(model(**key, last_number=1))
        return 1
    except IntegrityError:
        return await next_number(session, model, **key)
