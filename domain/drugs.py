"""The drug catalogue (from the French BDPM, published by ANSM): read models and the text
normalisation shared by the catalogue loader and the search."""

import re
import unicodedata

from pydantic import BaseModel

_NOT_WORD = re.compile(r"[^a-z0-9]+")
# Ligatures that Unicode does not decompose (ŒSTROGEL, Cæsar).
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})


def normalize(text: str) -> str:
    """Lowercase, accents removed, anything but letters and digits turned into one space:
    "Paracétamol/Codéine" -> "paracetamol codeine"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NOT_WORD.sub(" ", bare).strip()


def words(text: str) -> list[str]:
    normalized = normalize(text)
    return normalized.split(" ") if normalized else []


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string above every string starting with `prefix` (normalized text only
    holds a-z, 0-9 and spaces, so the next character always exists and byte order holds)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class DrugSummary(BaseModel):
    id: str
    name: str
    form: str
    strength: str | None
    substances: list[str]
    commercialised: bool


class Drug(DrugSummary):
    routes: list[str]
    holder: str | None
    source: str = "BDPM (ANSM), base-donnees-publique.medicaments.gouv.fr"
