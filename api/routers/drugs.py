"""The drug catalogue (source: BDPM, ANSM): search by brand or substance, one product."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActiveUser, SessionDep
from api.problems import Problem
from db.models import DrugProduct
from db.queries.drugs import search_drugs
from domain.drugs import Drug, DrugSummary, words
from domain.pagination import Page

router = APIRouter(prefix="/api/v1/drugs", tags=["drugs"])

# Nobody reads a ranking further than this; it bounds the work of deep pages.
MAX_RESULTS = 1000


def summary(row: DrugProduct) -> DrugSummary:
    return DrugSummary(id=row.id, name=row.name, form=row.form, strength=row.strength,
                       substances=[s for s in row.substances.split("|") if s],
                       commercialised=row.commercialised)


@router.get("", response_model=Page[DrugSummary])
async def search(
    _: ActiveUser,
    session: SessionDep,
    q: Annotated[str, Query(min_length=2, max_length=100,
                            description="Brand name or active substance, 2+ characters; "
                                        "accents and case do not matter.")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> Page[DrugSummary]:
    """Search the drug catalogue by brand name or active substance.

    Ranked: the name starting with the query, then a word of the name, then an active
    substance; products on the market first, then shorter names. The catalogue does not
    change between pages, so the cursor is simply how far down the ranking to go on."""
    if len("".join(words(q))) < 2:
        raise Problem(422, "Type at least 2 letters or digits.",
                      errors=[{"location": "query",
                               "field": "q", "message": "at least 2 letters or digits"}])
    offset = _offset(cursor)
    rows = await search_drugs(session, q, limit + 1, offset)
    next_cursor = None
    if len(rows) > limit and offset + limit < MAX_RESULTS:
        next_cursor = f"o{offset + limit}"
    return Page(items=[summary(row) for row in rows[:limit]], next_cursor=next_cursor)


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    if cursor[:1] == "o" and cursor[1:].isdigit() and int(cursor[1:]) < MAX_RESULTS:
        return int(cursor[1:])
    raise Problem(422, "The cursor is not valid.",
                  errors=[{"location": "query",
                           "field": "cursor", "message": "not a cursor we gave"}])


@router.get("/{drug_id}", response_model=Drug)
async def get_drug(drug_id: str, _: ActiveUser, session: SessionDep) -> Drug:
    """One drug of the catalogue."""
    row = await session.get(DrugProduct, drug_id)
    if row is None:
        raise Problem(404, "No drug with this id.")
    return Drug(**summary(row).model_dump(), routes=[x for x in row.routes.split(";") if x],
                holder=row.holder)
