"""Free text people type (a summary, a dosage, a message): trimmed, never blank, and free of
control characters, which break emails, PDFs and terminals and can hide text (bidi
overrides). `CleanLine` for one line, `CleanParagraphs` where line breaks are allowed."""

from __future__ import annotations

import unicodedata

from pydantic import AfterValidator

_KEPT_IN_PARAGRAPHS = frozenset("\n\t")


def _check(value: str, *, multiline: bool) -> str:
    value = value.replace("\r\n", "\n").strip()
    if not value:
        raise ValueError("must not be blank")
    for char in value:
        if multiline and char in _KEPT_IN_PARAGRAPHS:
            continue
        # Cc: control characters; Cf: invisible format characters (bidi overrides, zero
        # width...); Cs/Co/Cn: surrogates, private use, unassigned.
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise ValueError(f"must not contain the control character U+{ord(char):04X}")
    return value


# Use as `Annotated[str, Field(max_length=200), CleanLine]`.
CleanLine = AfterValidator(lambda value: _check(value, multiline=False))
CleanParagraphs = AfterValidator(lambda value: _check(value, multiline=True))
