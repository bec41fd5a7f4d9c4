"""The drug catalogue (BDPM, ANSM): search by brand or substance, accents and case ignored,
ranked; and the shipped file is what the build script makes of the BDPM files."""

from pathlib import Path
from typing import Any

import httpx
import pytest

from db.data import build_drug_catalogue
from db.data.catalogue import CATALOGUE, read_catalogue
from domain.drugs import normalize, prefix_upper_bound
from tests.support.users import TestUser

pytestmark = pytest.mark.db
BDPM = build_drug_catalogue.DEFAULT_SOURCE


async def search(client: httpx.AsyncClient, user: TestUser, q: str,
                 limit: int = 20, pages: int = 1) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"q": q, "limit": limit}
    for _ in range(pages):
        response = await client.get("/api/v1/drugs", headers=user.headers, params=params)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        if not response.json()["next_cursor"]:
            break
        params["cursor"] = response.json()["next_cursor"]
    return items


def names(items: list[dict[str, Any]]) -> list[str]:
    return [str(i["name"]) for i in items]


async def test_brand_prefix_is_case_and_accent_insensitive(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    for q in ("doli", "DOLI", "Dolí", "dolipràne"):
        found = names(await search(client, patient, q))
        assert found and all(n.startswith("DOLIPRANE") for n in found[:5]), (q, found)
    first = (await search(client, patient, "doliprane"))[0]
    assert {"id", "name", "form", "strength"} <= set(first)


async def test_substance_finds_brands(client: httpx.AsyncClient, patient: TestUser) -> None:
    for q in ("paracetamol", "paracétamol", "PARACÉTAMOL"):
        found = await search(client, patient, q, limit=100, pages=5)
        brands = names(found)
        assert any(n.startswith("DOLIPRANE") for n in brands), q
        assert any(n.startswith("EFFERALGAN") for n in brands), q
        assert len(brands) == len(set(i["id"] for i in found))  # pages do not overlap
        assert all(any("PARAC" in s for s in item["substances"]) or
                   "paracetamol" in normalize(str(item["name"])) for item in found)


async def test_ranking_name_start_then_word_then_substance(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    found = await search(client, patient, "paracetamol", limit=100, pages=5)
    kinds = [0 if normalize(i["name"]).startswith("paracetamol")
             else 1 if "paracetamol" in normalize(i["name"].split(",")[0]).split()
             else 2 for i in found]
    # Name start, then a word of the name, then the substance alone (DOLIPRANE).
    assert kinds[0] == 0 and kinds == sorted(kinds) and kinds[-1] == 2
    # A name word beats a substance: "codoliprane" has no word starting with "doliprane",
    # so DOLIPRANE products come first, then those with "doli" elsewhere in the name.
    doli = names(await search(client, patient, "doliprane", limit=100))
    assert all(n.startswith("DOLIPRANE") for n in doli[:10])


async def test_marketed_first_then_shorter_names(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    found = await search(client, patient, "amoxicilline", limit=100)
    name_starts = [i for i in found if normalize(str(i["name"])).startswith("amoxicilline")]
    marketed = [bool(i["commercialised"]) for i in name_starts]
    assert marketed == sorted(marketed, reverse=True)
    lengths = [len(str(i["name"])) for i in name_starts if i["commercialised"]]
    assert lengths == sorted(lengths)


async def test_several_words_must_all_match(client: httpx.AsyncClient, patient: TestUser) -> None:
    found = names(await search(client, patient, "doliprane 1000"))
    exact = [n.startswith("DOLIPRANE 1000") for n in found]
    # The whole name starting with the query first, then both words found apart.
    assert exact[0] and exact == sorted(exact, reverse=True) and not exact[-1]
    assert all(n.startswith("DOLIPRANE") and " 1000 " in n for n in found)
    mixed = await search(client, patient, "amox clav")
    assert mixed and all(any("CLAVULAN" in s for s in i["substances"]) for i in mixed)
    assert await search(client, patient, "doliprane zzzz") == []


async def test_short_or_empty_queries_are_422(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    for q in ("", "d", "é", "--", " a "):
        response = await client.get("/api/v1/drugs", headers=patient.headers, params={"q": q})
        assert response.status_code == 422, q
    assert (await client.get("/api/v1/drugs", headers=patient.headers)).status_code == 422
    assert (await client.get("/api/v1/drugs", params={"q": "doli"})).status_code == 401


async def test_one_drug_by_id_names_the_source(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    first = (await search(client, patient, "doliprane 1000 mg comprime"))[0]
    drug = await client.get(f"/api/v1/drugs/{first['id']}", headers=patient.headers)
    assert drug.status_code == 200
    body = drug.json()
    assert body["name"] == first["name"] and body["routes"] == ["orale"]
    assert "BDPM" in body["source"] and "ANSM" in body["source"]
    assert body["substances"] == ["PARACÉTAMOL"]
    assert (await client.get("/api/v1/drugs/00000000",
                             headers=patient.headers)).status_code == 404


def test_normalisation_and_prefix_bounds() -> None:
    assert normalize("Paracétamol/Codéine 500 mg") == "paracetamol codeine 500 mg"
    assert normalize("  ŒSTRO-GEL  ") == "oestro gel"
    assert prefix_upper_bound("pa") == "pb" and prefix_upper_bound("a9") == "a:"


def test_the_shipped_catalogue_names_its_source_and_covers_the_bdpm() -> None:
    import gzip

    with gzip.open(CATALOGUE, "rt", encoding="utf-8") as handle:
        header = handle.read(400)
    assert "BDPM" in header and "ANSM" in header
    rows = list(read_catalogue())
    assert len(rows) > 14000
    assert len({r["cis"] for r in rows}) == len(rows)


@pytest.mark.skipif(not BDPM.exists(), reason="the BDPM source files are not on this machine")
def test_the_build_script_makes_the_shipped_file(tmp_path: Path) -> None:
    rebuilt = tmp_path / "catalogue.tsv.gz"
    build_drug_catalogue.main([str(BDPM), str(rebuilt)])
    assert rebuilt.read_bytes() == CATALOGUE.read_bytes()
