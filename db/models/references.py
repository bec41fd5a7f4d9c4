"""The counters behind human references (`RDV-2026-000123`): one row per prefix and year."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from domain.references import REFERENCE_MAX_LENGTH


class ReferenceCounter(Base):
    """The last number given for a prefix in a year (domain.references.ReferenceKind)."""

    __tablename__ = "reference_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


def reference_column() -> Mapped[str]:
    """The `reference` column of a request's table: unique, given once at creation."""
    return mapped_column(String(REFERENCE_MAX_LENGTH), unique=True)
