"""Human references of requests: `RDV-2026-000123`, shown in emails, summaries and lists.

One prefix per kind of process, numbered per prefix and year from 1, each number given once
(the counter is in the database: `db.queries.references.next_reference`, in the transaction
that creates the row, so a rolled back creation gives its number back).
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel


class ReferenceKind(StrEnum):
    """The prefix of each kind of request (the value is what people read)."""

    appointment = "RDV"
    opinion_request = "AVIS"
    record_fill = "DOS"
    pharmacy_order = "PHA"
    sponsorship = "PAR"


# Six digits at least; the number simply grows wider past 999999.
DIGITS = 6
REFERENCE_MAX_LENGTH = 24
_PATTERN = re.compile(r"^(?P<prefix>[A-Z]{2,8})-(?P<year>\d{4})-(?P<number>\d{6,12})$")


class Reference(BaseModel):
    kind: ReferenceKind
    year: int
    number: int

    def __str__(self) -> str:
        return format_reference(self.kind, self.year, self.number)


def format_reference(kind: ReferenceKind, year: int, number: int) -> str:
    if number < 1:
        raise ValueError("reference numbers start at 1")
    return f"{kind.value}-{year:04d}-{number:0{DIGITS}d}"


def parse_reference(text: str) -> Reference | None:
    """The reference `text` spells (case-insensitive, spaces around ignored), or None."""
    match = _PATTERN.match(text.strip().upper())
    if match is None:
        return None
    try:
        kind = ReferenceKind(match["prefix"])
    except ValueError:
        return None
    number = int(match["number"])
    if number < 1:
        return None
    return Reference(kind=kind, year=int(match["year"]), number=number)
