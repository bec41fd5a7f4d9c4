"""Human references: the format, and numbers given once even when asked for at once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from db.engine import SessionMaker
from db.models import ReferenceCounter
from db.queries.references import next_reference
from domain.references import ReferenceKind, format_reference, parse_reference


def test_the_format_of_each_kind() -> None:
    assert format_reference(ReferenceKind.appointment, 2026, 123) == "RDV-2026-000123"
    assert format_reference(ReferenceKind.opinion_request, 2026, 1) == "AVIS-2026-000001"
    assert format_reference(ReferenceKind.record_fill, 2027, 42) == "DOS-2027-000042"
    assert format_reference(ReferenceKind.pharmacy_order, 2026, 7) == "PHA-2026-000007"
    assert format_reference(ReferenceKind.sponsorship, 2026, 9) == "PAR-2026-000009"
    # Past a million the number grows wider instead of wrapping.
    assert format_reference(ReferenceKind.appointment, 2026, 1_234_567) == "RDV-2026-1234567"
    with pytest.raises(ValueError):
        format_reference(ReferenceKind.appointment, 2026, 0)


def test_parsing_reads_what_people_type() -> None:
    parsed = parse_reference(" rdv-2026-000123 ")
    assert parsed is not None and str(parsed) == "RDV-2026-000123"
    assert parsed.kind is ReferenceKind.appointment and parsed.number == 123
    for wrong in ("RDV-2026-123", "XYZ-2026-000123", "RDV-26-000123", "RDV-2026-000000",
                  "", "RDV-2026-000123-1", "RDV 2026 000123"):
        assert parse_reference(wrong) is None, wrong


@pytest.mark.db
async def test_twenty_at_once_get_twenty_numbers(sessions: SessionMaker) -> None:
    """Each in its own transaction, all started together (the first one creates the
    year's counter): 1..20, none twice, none skipped."""

    async def one() -> str:
        async with sessions() as session, session.begin():
            return await next_reference(session, ReferenceKind.appointment, 2026)

    references = await asyncio.gather(*(one() for _ in range(20)))
    assert sorted(references) == [f"RDV-2026-{n:06d}" for n in range(1, 21)]
    # Other prefixes and years count on their own.
    async with sessions() as session, session.begin():
        assert await next_reference(session, ReferenceKind.appointment, 2027) == (
            "RDV-2027-000001")
        assert await next_reference(session, ReferenceKind.pharmacy_order, 2026) == (
            "PHA-2026-000001")
        assert await next_reference(session, ReferenceKind.appointment, 2026) == (
            "RDV-2026-000021")


@pytest.mark.db
async def test_twenty_at_once_on_an_existing_counter(sessions: SessionMaker) -> None:
    async with sessions() as session, session.begin():
        session.add(ReferenceCounter(prefix="AVIS", year=2026, last_number=122))

    async def one() -> str:
        async with sessions() as session, session.begin():
            reference = await next_reference(session, ReferenceKind.opinion_request, 2026)
            await asyncio.sleep(0)  # others run while this transaction holds its number
            return reference

    references = await asyncio.gather(*(one() for _ in range(20)))
    assert sorted(references) == [f"AVIS-2026-{n:06d}" for n in range(123, 143)]


@pytest.mark.db
async def test_a_rolled_back_creation_gives_its_number_back(sessions: SessionMaker) -> None:
    async with sessions() as session, session.begin():
        assert await next_reference(session, ReferenceKind.sponsorship, 2026) == (
            "PAR-2026-000001")
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            assert await next_reference(session, ReferenceKind.sponsorship, 2026) == (
                "PAR-2026-000002")
            raise RuntimeError("the row could not be created")
    async with sessions() as session, session.begin():
        assert await next_reference(session, ReferenceKind.sponsorship, 2026) == (
            "PAR-2026-000002")
        counters = (await session.scalars(select(ReferenceCounter))).all()
        assert [(c.prefix, c.year, c.last_number) for c in counters] == [("PAR", 2026, 2)]
