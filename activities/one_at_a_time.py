"""The activities' side of "one at a time" rules (`db/one_at_a_time.py`): when a process's
own activity inserts the row a rule guards (a slot held by an appointment process), the
refusal is a business failure, non-retryable, that the API answers with 409
(`api/workflow_errors.problem_from_temporal`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.exceptions import ApplicationError

from db.one_at_a_time import Taken, insert_once
from domain.errors import BusinessError


async def insert_or_conflict(session: AsyncSession, *rows: object, rule: str,
                             detail: str) -> None:
    """Insert `rows`, or fail the activity for good with a conflict when `rule` refuses
    them (a retry would be refused alike)."""
    try:
        await insert_once(session, *rows)
    except Taken as taken:
        if taken.rule != rule:
            raise
        raise ApplicationError(detail, type=BusinessError.conflict.value,
                               non_retryable=True) from taken
