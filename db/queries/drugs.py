"""Drug catalogue search: prefix ranges over the token index, ranked in SQL.

Every query word must start some token of the product (a word of its name or of one of its
active substances); a product whose whole name starts with the query ranks first. The rank
is precomputed per token (db/data/catalogue.py), so ordering needs no per-row work.
"""

from __future__ import annotations

from sqlalchemy import Select, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.drugs import DrugProduct, DrugToken
from domain.drugs import prefix_upper_bound, words

MAX_WORDS = 6


def _starting_with(prefix: str) -> Select[str, int]:
    """Products with a token starting with `prefix`, each with its best rank."""
    return (
        select(DrugToken.drug_id, func.min(DrugToken.rank).label("rank"))
        .where(DrugToken.token >= prefix, DrugToken.token < prefix_upper_bound(prefix))
        .group_by(DrugToken.drug_id)
    )


def _ranked_ids(query_words: list[str]) -> Select[str, int]:
    if len(query_words) == 1:
        return _starting_with(query_words[0])
    per_word = union_all(*(
        select(hit.c.drug_id, hit.c.rank, literal(i).label("word"))
        for i, word in enumerate(query_words)
        for hit in [_starting_with(word).subquery()]
    )).subquery()
    every_word = (
        select(per_word.c.drug_id, func.max(per_word.c.rank).label("rank"))
        .group_by(per_word.c.drug_id)
        .having(func.count(func.distinct(per_word.c.word)) == len(query_words))
    )
    # "doliprane 1000" as the start of the whole name beats the same words found apart.
    both = union_all(every_word, _starting_with(" ".join(query_words))).subquery()
    return select(both.c.drug_id, func.min(both.c.rank).label("rank")).group_by(
        both.c.drug_id
    )


async def search_drugs(
    session: AsyncSession, query: str, limit: int, offset: int = 0
) -> list[DrugProduct]:
    query_words = words(query)[:MAX_WORDS]
    if not query_words:
        return []
    ranked = _ranked_ids(query_words).subquery()
    rows = await session.execute(
        select(DrugProduct)
        .join(ranked, ranked.c.drug_id == DrugProduct.id)
        .order_by(ranked.c.rank, DrugProduct.name)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars())
