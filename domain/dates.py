"""Dates and instants of a person's life, refused when implausible (year 0001, the future).

`PastDate` is for a day of someone's life already lived (a date of birth, the onset of a
condition, the start of a treatment): from `EARLIEST` to today. `check_measured` is the rule
for an instant something was measured: not before `EARLIEST`, not after now beyond the
drift of a phone's or a device's clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Field

# Nobody's record goes back further; before this, a date is a typing slip (0001, 1800).
EARLIEST = date(1900, 1, 1)
# Clocks of phones and devices drift; a measure a little ahead of ours is not "future".
CLOCK_SKEW = timedelta(minutes=5)


def past_date(value: date) -> date:
    today = datetime.now(UTC).date()
    if value < EARLIEST or value > today:
        raise ValueError(f"must be a date from {EARLIEST.isoformat()} to today")
    return value


PastDate = Annotated[
    date, AfterValidator(past_date),
    Field(description=f"A day already lived: from {EARLIEST.isoformat()} to today."),
]


def check_measured(at: datetime, now: datetime) -> None:
    """Raises ValueError when `at` cannot be when a measure was taken."""
    if at < datetime.combine(EARLIEST, datetime.min.time(), UTC):
        raise ValueError(f"must be after {EARLIEST.isoformat()}")
    if at > now + CLOCK_SKEW:
        raise ValueError("must not be in the future")
