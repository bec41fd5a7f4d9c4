"""Rules for uploaded documents: which contents are accepted and what a filename may be."""

import re
import unicodedata

import puremagic

# What medical documents come as: scans and exports (PDF), photos of paper (JPEG, PNG) and
# imaging studies (DICOM). No HTML, SVG, office files or executables: nothing that runs
# or renders active content when a doctor opens it.
ALLOWED_CONTENT_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/dicom": ".dcm",
}

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"<>:|?*;\\/]')
MAX_FILENAME = 200


def sniff_content_type(data: bytes) -> str | None:
    """The content type read from the bytes (never from the name); None when not allowed."""
    # DICOM Part 10: a 128-byte preamble then "DICM" (puremagic does not know it).
    if len(data) >= 132 and data[128:132] == b"DICM":
        return "application/dicom"
    try:
        found = puremagic.from_string(data, mime=True)
    except (puremagic.PureError, ValueError):
        return None
    return found if found in ALLOWED_CONTENT_TYPES else None


def safe_filename(raw: str | None, content_type: str) -> str:
    """The last path segment, without control or path characters, of reasonable length.
    "../../etc/passwd" -> "passwd", "C:\\scans\\x.pdf" -> "x.pdf"."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    if not name or set(name) <= {"_", " ", "."}:
        name = "document" + ALLOWED_CONTENT_TYPES.get(content_type, "")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:10] if dot and stem else ""
        name = name[: MAX_FILENAME - len(ext) - 1] + "." + ext if ext else name[:MAX_FILENAME]
    return name
