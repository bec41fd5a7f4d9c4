"""Build `db/data/drug_catalogue.tsv.gz` from two files of the BDPM.

Source: Base de Données Publique des Médicaments (BDPM), run by the French medicines agency
ANSM with HAS and UNCAM, https://base-donnees-publique.medicaments.gouv.fr (also on
data.gouv.fr). Its terms ask that the source be named wherever the data is shipped or shown:
the output file's header and db/data/README.md say it, and `GET /api/v1/drugs/{id}` carries
it in `source`.

    uv run python -m db.data.build_drug_catalogue [BDPM folder] [output]

Input (see the folder's README): UTF-8, tab-separated, CRLF, no header line, a byte-order
mark on the first file. `CIS_bdpm.txt` has one product a line; `CIS_COMPO_bdpm.txt` the
active substances of each product. The output keeps only what the record needs: one product
a line, sorted by CIS code, gzip'd without a timestamp so a rebuild is byte-identical.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
from pathlib import Path

# The shared folder beside the repository (as laid for development and CI).
DEFAULT_SOURCE = Path(__file__).resolve().parents[3] / "shared" / "data" / "bdpm"
DEFAULT_OUTPUT = Path(__file__).with_name("drug_catalogue.tsv.gz")
COLUMNS = ["cis", "name", "form", "strength", "routes", "substances", "commercialised",
           "holder"]
HEADER = [
    "# E-same drug catalogue, built by db/data/build_drug_catalogue.py.",
    "# Source: Base de Données Publique des Médicaments (BDPM), ANSM / HAS / UNCAM,",
    "# https://base-donnees-publique.medicaments.gouv.fr (files CIS_bdpm.txt and",
    "# CIS_COMPO_bdpm.txt). Columns are tab-separated; substances are '|'-separated.",
]

# The strength starts at the first number standing alone after the brand:
# "DOLIPRANE 1000 mg, comprimé" -> "1000 mg"; "X BIOGARAN 600 mg/300 mg, ..." -> "600 mg/300 mg".
_STRENGTH = re.compile(r"(?:^|\s)(\d[\d\s,.]*\s*(?:[a-zA-Zµ%].*)?)$")


def _read(path: Path) -> list[list[str]]:
    # utf-8-sig drops the byte-order mark; newline="" lets csv handle the CRLF line ends.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
                if row]


def strength_of(name: str, form: str) -> str | None:
    designation = name.split(",", 1)[0].strip()
    match = _STRENGTH.search(designation)
    if match is None:
        return None
    strength = match.group(1)
    # A few names have no comma before the form: "800 microgrammes/2ml suspension pour...".
    at = strength.find(f" {form}") if form else -1
    return (strength[:at] if at > 0 else strength).strip() or None


def build(source: Path) -> list[list[str]]:
    substances: dict[str, dict[str, list[str]]] = {}
    for row in _read(source / "CIS_COMPO_bdpm.txt"):
        cis, name, nature = row[0].strip(), row[3].strip(), row[6].strip()
        if not name:
            continue
        by_nature = substances.setdefault(cis, {"SA": [], "FT": []})
        bucket = by_nature.setdefault(nature, [])
        if name not in bucket:
            bucket.append(name)
    products = []
    for row in _read(source / "CIS_bdpm.txt"):
        cis, name, form, routes = (row[i].strip() for i in range(4))
        marketed = row[6].strip() == "Commercialisée"
        holder = row[10].strip() if len(row) > 10 else ""
        found = substances.get(cis, {})
        names = found.get("SA", []) + [n for n in found.get("FT", [])
                                       if n not in found.get("SA", [])]
        products.append([
            cis, name, form, strength_of(name, form) or "", routes, "|".join(names),
            "1" if marketed else "0", holder,
        ])
    products.sort(key=lambda p: p[0])
    return products


def write(products: list[list[str]], output: Path) -> None:
    text = io.StringIO()
    text.write("\n".join(HEADER) + "\n")
    writer = csv.writer(text, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE,
                        escapechar="\\")
    writer.writerow(COLUMNS)
    writer.writerows(products)
    with output.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                                 filename="") as gz:
        gz.write(text.getvalue().encode("utf-8"))


def main(argv: list[str]) -> None:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    output = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    products = build(source)
    write(products, output)
    print(f"{len(products)} products -> {output} ({output.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:])
