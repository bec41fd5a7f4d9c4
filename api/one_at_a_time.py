"""The API's side of "one at a time" rules (`db/one_at_a_time.py`): a row refused by its
unique rule answers 409, or the same answer as the request that won.

    await insert_or_conflict(session, row, rule=LIVE_SUBSCRIPTION_PER_USER,
                             detail="You already have a subscription.")
    link, created = await insert_or_existing(session, link, rule=LIVE_CARE_LINK_PER_PAIR,
                                             existing=find_live_link)

Then commit and start the process (`api/account_processes.commit_then_start`): only the
request whose row went in starts one, so a double click makes one process, one email.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import Problem
from db.one_at_a_time import Taken, insert_once

T = TypeVar("T")

ALREADY_EXISTS = "https://esame.cm/problems/already-exists"


def already_exists(detail: str) -> Problem:
    return Problem(409, detail, type_=ALREADY_EXISTS)


async def insert_or_conflict(session: AsyncSession, *rows: object, rule: str,
                             detail: str) -> None:
    """Insert `rows`, or answer 409 `detail` when `rule` refuses them."""
    try:
        await insert_once(session, *rows)
    except Taken as taken:
        if taken.rule != rule:
            raise
        raise already_exists(detail) from taken


async def insert_or_existing(
    session: AsyncSession, row: T, *, rule: str, existing: Callable[[], Awaitable[T | None]],
    gone: str = "This changed a moment ago; try again.",
) -> tuple[T, bool]:
    """Insert `row` and return it with True; or, when `rule` refuses it, the row holding
    the place (found by `existing`) with False. Should that row have closed in between,
    409 `gone`."""
    try:
        await insert_once(session, row)
    except Taken as taken:
        if taken.rule != rule:
            raise
        winner = await existing()
        if winner is None:
            raise already_exists(gone) from taken
        return winner, False
    return row, True
