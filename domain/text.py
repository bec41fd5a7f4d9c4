"""Text that people type, and text shown to other systems.

Two annotated types for every free-text input of the API (and of new ones):

- `SingleLineText`: a name, a city, a dosage, an address line. Unicode NFC; exotic spaces
  (no-break, thin...) become plain spaces; surrounding spaces are removed; refused when it
  holds a control character (tab and line breaks included) or is blank.
- `MultiLineText`: a description, a report. The same, except that line breaks (stored as
  "\\n") and tabs are kept.

Give the length with `Field`, as for a plain `str`:
`city: Annotated[SingleLineText, Field(max_length=100)]`. `CleanLine` and `CleanParagraphs`
are the same rules as bare validators: `Annotated[str, Field(max_length=200), CleanLine]`.

Refused: control characters (Cc), invisible format characters (Cf: bidi overrides that can
hide text, zero-width spaces; the zero-width joiners that scripts and emoji need are kept),
surrogates, private-use and unassigned code points, line and paragraph separators.

`printable` is for the other way: text already stored (possibly before these rules) made
safe for a format that refuses control characters, such as FHIR; it never fails.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

REPLACEMENT = "\ufffd"
_LINE_SEPARATORS = ("\u2028", "\u2029")
_JOINERS = ("\u200c", "\u200d")


def _control(char: str, *, multi_line: bool) -> bool:
    """What no text keeps: control characters, surrogates, line separators."""
    if multi_line and char in "\n\t":
        return False
    return unicodedata.category(char) in ("Cc", "Cs") or char in _LINE_SEPARATORS


def _refused(char: str, *, multi_line: bool) -> bool:
    """What typed text may not hold: the above, and invisible or meaningless characters."""
    if _control(char, multi_line=multi_line):
        return True
    return unicodedata.category(char) in ("Cf", "Co", "Cn") and char not in _JOINERS


def _spaces(value: str) -> str:
    return "".join(" " if unicodedata.category(c) == "Zs" else c for c in value)


def _checked(value: str, *, multi_line: bool) -> str:
    value = unicodedata.normalize("NFC", value)
    if multi_line:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _spaces(value).strip()
    bad = next((c for c in value if _refused(c, multi_line=multi_line)), None)
    if bad is not None:
        kind = "text without control characters" if multi_line else (
            "one line of text, without line breaks, tabs or control characters")
        raise ValueError(f"must be {kind} (found the control character U+{ord(bad):04X})")
    if not value:
        raise ValueError("must not be blank")
    return value


def single_line(value: str) -> str:
    return _checked(value, multi_line=False)


def multi_line(value: str) -> str:
    return _checked(value, multi_line=True)


# The same rules as JSON Schema patterns, for the published schema (clients, generators):
# at least one visible character, none of the refused ones.
_LINE_REFUSED = r"\u0000-\u001f\u007f-\u009f\u2028\u2029"
_TEXT_REFUSED = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029"
_LINE_PATTERN = rf"^[^{_LINE_REFUSED}]*[^\s{_LINE_REFUSED}][^{_LINE_REFUSED}]*$"
_TEXT_PATTERN = rf"^[^{_TEXT_REFUSED}]*[^\s{_TEXT_REFUSED}][^{_TEXT_REFUSED}]*$"

SingleLineText = Annotated[
    str, AfterValidator(single_line),
    Field(description="One line of text: no line break, tab or control character; not blank.",
          json_schema_extra={"pattern": _LINE_PATTERN}),
]
MultiLineText = Annotated[
    str, AfterValidator(multi_line),
    Field(description="Text (line breaks allowed): no control character; not blank.",
          json_schema_extra={"pattern": _TEXT_PATTERN}),
]

# The same rules as bare validators, for `Annotated[str, Field(...), CleanLine]`.
CleanLine = AfterValidator(single_line)
CleanParagraphs = AfterValidator(multi_line)


def printable(value: str) -> str:
    """`value` with every control character (but line breaks and tabs) replaced by U+FFFD
    and every other kind of space by a plain one, without surrounding spaces; U+FFFD alone
    if nothing readable is left. What FHIR's `string` accepts, whatever was stored."""
    value = value.replace("\r\n", "\n")
    cleaned = "".join(
        REPLACEMENT if _control(c, multi_line=True) and c != "\r"
        else " " if c.isspace() and c not in "\n\t\r" else c
        for c in value
    ).strip()
    return cleaned or REPLACEMENT
