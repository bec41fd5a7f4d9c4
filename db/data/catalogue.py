"""Load the shipped drug catalogue (BDPM, ANSM) into `drugs` and its search tokens.

Called by the record migration; rerun it to refresh the catalogue after rebuilding the file
with db/data/build_drug_catalogue.py.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import TableClause, delete, insert
from sqlalchemy.engine import Connection

from db.models.drugs import DrugProduct, DrugToken
from domain.drugs import normalize, words

CATALOGUE = Path(__file__).with_name("drug_catalogue.tsv.gz")
TOKEN_MAX = 200

# How a token matches, best first; the rank packs it with the market status and the name's
# length so that one integer orders the results: name start > name word > substance, then
# products on the market, then shorter names.
NAME_START, NAME_WORD, SUBSTANCE_WORD = 0, 1, 2


def rank(kind: int, commercialised: bool, name: str) -> int:
    return kind * 1_000_000 + (0 if commercialised else 100_000) + min(len(name), 99_999)


def read_catalogue(path: Path = CATALOGUE) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        lines = (line for line in text if not line.startswith("#"))
        yield from csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE,
                                  escapechar="\\")


def tokens_of(name: str, substances: list[str]) -> dict[str, int]:
    """token -> kind (the best one when a word appears twice)."""
    found: dict[str, int] = {}

    def add(token: str, kind: int) -> None:
        token = token[:TOKEN_MAX]
        if token and kind < found.get(token, 99):
            found[token] = kind

    # The whole name, so that "doliprane 1000" is a name prefix too.
    add(normalize(name), NAME_START)
    # Words of the designation (brand and strength), not of the form after the comma:
    # otherwise "comprime" would match half the catalogue.
    for word in words(name.split(",", 1)[0]):
        add(word, NAME_WORD)
    for substance in substances:
        for word in words(substance):
            if len(word) > 1:
                add(word, SUBSTANCE_WORD)
    return found


def catalogue_rows(path: Path = CATALOGUE) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    drugs: list[dict[str, Any]] = []
    tokens: list[dict[str, Any]] = []
    for row in read_catalogue(path):
        substances = [s for s in row["substances"].split("|") if s]
        commercialised = row["commercialised"] == "1"
        drugs.append({
            "id": row["cis"], "name": row["name"], "form": row["form"],
            "strength": row["strength"] or None, "routes": row["routes"],
            "substances": row["substances"], "commercialised": commercialised,
            "holder": row["holder"] or None,
        })
        for token, kind in tokens_of(row["name"], substances).items():
            tokens.append({"token": token, "drug_id": row["cis"],
                           "rank": rank(kind, commercialised, row["name"])})
    return drugs, tokens


def load_catalogue(
    connection: Connection,
    drugs_table: TableClause | None = None,
    tokens_table: TableClause | None = None,
    path: Path = CATALOGUE,
) -> int:
    """Replace the catalogue; returns the number of products. A migration passes the
    tables as they are at its revision, so later model changes do not break it."""
    drugs_t: Any = drugs_table if drugs_table is not None else DrugProduct.__table__
    tokens_t: Any = tokens_table if tokens_table is not None else DrugToken.__table__
    drugs, tokens = catalogue_rows(path)
    connection.execute(delete(tokens_t))
    connection.execute(delete(drugs_t))
    for start in range(0, len(drugs), 5000):
        connection.execute(insert(drugs_t), drugs[start:start + 5000])
    for start in range(0, len(tokens), 10000):
        connection.execute(insert(tokens_t), tokens[start:start + 10000])
    return len(drugs)
