"""The record's tests: the API in process (no Temporal needed: the record is plain data:
`app`, `client`, `patient`, `doctor` from tests/support/in_process.py), users made in the
database, and care links standing for accepted doctor invitations."""

from __future__ import annotations

import zlib

import httpx

from db.engine import SessionMaker
from db.models import CareLink
from tests.support.users import TestUser


def _png() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    pixels = zlib.compress(b"\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
PNG = _png()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
DICOM = b"\x00" * 128 + b"DICM" + b"\x02\x00\x00\x00UL\x04\x00" + b"\x00" * 32


async def link(
    sessions: SessionMaker, patient: TestUser, doctor: TestUser, status: str = "active"
) -> None:
    """The doctor as the patient's doctor (what accepting an invitation leads to)."""
    async with sessions() as session, session.begin():
        session.add(CareLink(patient_id=patient.id, doctor_id=doctor.id, status=status))


async def upload(
    client: httpx.AsyncClient, user: TestUser, *files: tuple[str, bytes],
    type_: str = "lab_result",
) -> httpx.Response:
    return await client.post(
        "/api/v1/me/documents", headers=user.headers, data={"type": type_},
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
    )
