"""Drug search latency through the real HTTP API over the whole catalogue (BDPM, ANSM), on
SQLite and on PostgreSQL, against a plain lookup of one drug by id in the same run.

Goal: search p99 within 3 times the lookup's p99 (the lookup is the floor: auth, one
primary-key read, JSON). Requests alternate between search and lookup so both see the same
machine load.
"""

from __future__ import annotations

import random
import time

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from bench.harness import POSTGRES_URL, Result, percentile, postgres_available, stack
from db.models import DrugProduct
from domain.accounts import Role
from tests.support.users import make_user

ROUNDS = 1500
WARMUP = 100

# Brand prefixes, substances (with and without accents), several words, short prefixes.
QUERIES = [
    "do", "dol", "doli", "DOLIPRANE", "efferal", "dafal", "amox", "augm", "ventol", "spasf",
    "smect", "gavis", "levo", "kard", "inexi", "lasil", "xyz", "pa", "am", "co",
    "paracetamol", "paracétamol", "PARACÉTAMOL", "ibuprofene", "ibuprofène", "amoxicilline",
    "metformine", "oméprazole", "omeprazole", "amlodipine", "atorvastatine", "salbutamol",
    "lévothyroxine", "tramadol", "kétoprofène", "ceftriaxone", "artemether", "quinine",
    "doliprane 1000", "amoxicilline acide clav", "paracetamol codeine", "metformine 850",
    "acide acetylsalicylique", "vitamine d3", "fer", "zinc",
]


async def _measure(label: str, temporal: WorkflowEnvironment, url: str | None) -> list[Result]:
    async with stack(temporal, url) as s:
        user = await make_user(s.sessions, s.settings, Role.patient)
        async with s.sessions() as session:
            ids = list(await session.scalars(select(DrugProduct.id)))
        rng = random.Random(4)
        headers = user.headers

        async def search(q: str) -> float:
            start = time.perf_counter()
            response = await s.http.get("/api/v1/drugs", params={"q": q}, headers=headers)
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 200, response.text
            return elapsed

        async def lookup(drug_id: str) -> float:
            start = time.perf_counter()
            response = await s.http.get(f"/api/v1/drugs/{drug_id}", headers=headers)
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 200, response.text
            return elapsed

        for i in range(WARMUP):
            await search(QUERIES[i % len(QUERIES)])
            await lookup(rng.choice(ids))
        searches: list[float] = []
        lookups: list[float] = []
        for i in range(ROUNDS):
            searches.append(await search(QUERIES[i % len(QUERIES)]))
            lookups.append(await lookup(rng.choice(ids)))

    goal = "p99 <= 3x lookup"
    results = []
    for pct in (50, 99):
        search_ms, lookup_ms = percentile(searches, pct), percentile(lookups, pct)
        results.append(Result(f"drug_search_p{pct}_ms_{label}", search_ms, "ms",
                              baseline=lookup_ms, goal=goal, lower_is_better=True))
    return results


async def run(temporal: WorkflowEnvironment) -> list[Result]:
    results = await _measure("sqlite", temporal, None)
    if await postgres_available():
        results += await _measure("postgresql", temporal, POSTGRES_URL)
    else:
        print("PostgreSQL not reachable: drug_search on SQLite only", flush=True)
    return results
