"""Bad uploads are refused with the right status and leave nothing behind."""

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from core.settings import Settings
from db.engine import SessionMaker
from db.models import Document
from domain.documents import safe_filename
from providers.storage.local import LocalStorage
from tests.record.conftest import DICOM, JPEG, PDF, PNG, upload
from tests.support.users import TestUser

pytestmark = pytest.mark.db


def stored_files(settings: Settings) -> list[Path]:
    root = Path(settings.data_dir) / "documents"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def document_count(sessions: SessionMaker) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Document)) or 0)


async def test_empty_file_is_422(client: httpx.AsyncClient, patient: TestUser) -> None:
    response = await upload(client, patient, ("empty.pdf", b""))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_missing_files_or_bad_type_is_422(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    no_files = await client.post("/api/v1/me/documents", headers=patient.headers,
                                 data={"type": "other"})
    assert no_files.status_code == 422
    bad_type = await upload(client, patient, ("a.pdf", PDF), type_="selfie")
    assert bad_type.status_code == 422


@pytest.mark.parametrize("name, data", [
    ("harmless.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),
    ("photo.jpg", b"<html><script>alert(1)</script></html>"),
    ("report.png", b"just some text pretending to be an image\n"),
    ("archive.pdf", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40),
])
async def test_content_type_comes_from_the_bytes_not_the_name(
    client: httpx.AsyncClient, patient: TestUser, name: str, data: bytes
) -> None:
    response = await upload(client, patient, (name, data))
    assert response.status_code == 415, response.text


async def test_allowed_types_are_recognised_whatever_their_name(
    client: httpx.AsyncClient, patient: TestUser
) -> None:
    response = await upload(client, patient, ("noextension", PDF), ("scan.pdf", PNG),
                            ("x.bin", JPEG), ("ct.dcm", DICOM), type_="imaging")
    assert response.status_code == 201, response.text
    assert [i["content_type"] for i in response.json()["items"]] == [
        "application/pdf", "image/png", "image/jpeg", "application/dicom"]


async def test_too_large_is_413_and_nothing_is_kept(
    app: FastAPI, client: httpx.AsyncClient, patient: TestUser, sessions: SessionMaker,
    settings: Settings,
) -> None:
    app.state.settings = settings.model_copy(update={"limits": settings.limits.model_copy(
        update={"document_max_bytes": len(PDF) + 10})})
    big = PDF + b"%" * 100
    response = await upload(client, patient, ("small.png", PNG), ("big.pdf", big))
    assert response.status_code == 413
    assert await document_count(sessions) == 0 and stored_files(settings) == []


async def test_over_quota_is_413_and_nothing_is_kept(
    app: FastAPI, client: httpx.AsyncClient, patient: TestUser, sessions: SessionMaker,
    settings: Settings,
) -> None:
    quota = len(PDF) + len(PNG) + 5
    app.state.settings = settings.model_copy(update={"limits": settings.limits.model_copy(
        update={"storage_default_quota_bytes": quota})})
    first = await upload(client, patient, ("a.pdf", PDF), ("b.png", PNG))
    assert first.status_code == 201
    over = await upload(client, patient, ("c.jpg", JPEG))
    assert over.status_code == 413
    assert over.json()["type"].endswith("/quota")
    assert await document_count(sessions) == 2 and len(stored_files(settings)) == 2
    # Deleting frees the space again.
    await client.delete(f"/api/v1/documents/{first.json()['items'][0]['id']}",
                        headers=patient.headers)
    assert len(stored_files(settings)) == 1
    again = await upload(client, patient, ("c.jpg", JPEG))
    assert again.status_code == 201


@pytest.mark.parametrize("raw, expected", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\Windows\\system32\\scan.pdf", "scan.pdf"),
    ("/absolute/path/résultat.pdf", "résultat.pdf"),
    ("....pdf", "pdf"),
    ("scan<script>|x?.pdf", "scan_script__x_.pdf"),
    ("../", "document.pdf"),
])
async def test_path_like_filenames_are_sanitised(
    client: httpx.AsyncClient, patient: TestUser, settings: Settings, raw: str, expected: str
) -> None:
    response = await upload(client, patient, (raw, PDF))
    assert response.status_code == 201, response.text
    item = response.json()["items"][0]
    assert item["filename"] == expected
    # Stored under ids, inside the storage folder, whatever the name said.
    root = (Path(settings.data_dir) / "documents").resolve()
    files = stored_files(settings)
    assert len(files) == 1 and files[0].resolve().is_relative_to(root)
    assert files[0].name == item["id"]
    download = await client.get(f"/api/v1/documents/{item['id']}/content",
                                headers=patient.headers)
    assert "attachment" in download.headers["content-disposition"]
    assert "/" not in download.headers["content-disposition"].split("''", 1)[1]


class FailingSecondPut(LocalStorage):
    """The local folder, breaking down on the second file (a full disk, a network drop)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.puts = 0

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.puts += 1
        if self.puts == 2:
            raise OSError("disk full")
        await super().put(key, data, content_type)


async def test_a_multi_file_upload_is_all_or_nothing(
    app: FastAPI, patient: TestUser, sessions: SessionMaker, settings: Settings
) -> None:
    app.state.storage = FailingSecondPut(Path(settings.data_dir) / "documents")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await upload(client, patient, ("a.pdf", PDF), ("b.png", PNG),
                                ("c.jpg", JPEG))
    assert response.status_code == 500
    assert app.state.storage.puts == 2
    assert stored_files(settings) == [] and await document_count(sessions) == 0


async def test_a_failed_database_write_removes_the_stored_files(
    app: FastAPI, patient: TestUser, sessions: SessionMaker, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import api.routers.documents as documents

    original = documents.Document

    def broken_row(**fields: object) -> object:
        fields["owner_id"] = "no-such-user"  # violates the foreign key on commit
        return original(**fields)

    monkeypatch.setattr(documents, "Document", broken_row)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await upload(client, patient, ("a.pdf", PDF), ("b.png", PNG))
    assert response.status_code == 500
    assert stored_files(settings) == []
    monkeypatch.undo()
    assert await document_count(sessions) == 0


def test_filenames_lose_control_characters() -> None:
    # httpx escapes these in a multipart header, other clients may not.
    assert safe_filename("a\x00b\nc\x7f.pdf", "application/pdf") == "a_b_c_.pdf"
    assert safe_filename("x" * 300 + ".pdf", "application/pdf") == "x" * 196 + ".pdf"
    assert safe_filename(None, "image/png") == "document.png"


async def test_an_upload_retried_with_its_idempotency_key_stores_once(
    client: httpx.AsyncClient, patient: TestUser, sessions: SessionMaker, settings: Settings
) -> None:
    # httpx picks a new random multipart boundary for the retry, as browsers do.
    headers = {**patient.headers, "Idempotency-Key": "upload-1"}
    files = [("files", ("a.pdf", PDF, "application/pdf"))]
    first = await client.post("/api/v1/me/documents", headers=headers, data={"type": "other"},
                              files=files)
    again = await client.post("/api/v1/me/documents", headers=headers, data={"type": "other"},
                              files=files)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert await document_count(sessions) == 1 and len(stored_files(settings)) == 1
    other = await client.post("/api/v1/me/documents", headers=headers, data={"type": "other"},
                              files=[("files", ("b.pdf", PDF + b"%", "application/pdf"))])
    assert other.status_code == 422  # same key, another file


async def test_the_openapi_schema_publishes_the_record(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/api/v1/me/record", "/api/v1/me/documents", "/api/v1/drugs",
                 "/api/v1/documents/{document_id}/content", "/api/v1/me/vitals",
                 "/api/v1/me/record/fhir", "/api/v1/doctor/shared-documents"):
        assert path in paths, path


async def test_racing_uploads_cannot_both_fill_the_same_free_space(
    app: FastAPI, client: httpx.AsyncClient, patient: TestUser, sessions: SessionMaker,
    settings: Settings, database_url: str,
) -> None:
    import asyncio

    if not database_url.startswith("postgresql"):
        pytest.skip("row locks serialise uploads on PostgreSQL only")
    app.state.settings = settings.model_copy(update={"limits": settings.limits.model_copy(
        update={"storage_default_quota_bytes": len(PDF) * 3})})
    results = await asyncio.gather(*(upload(client, patient, (f"{i}.pdf", PDF))
                                     for i in range(6)))
    assert sorted(r.status_code for r in results) == [201] * 3 + [413] * 3
    assert await document_count(sessions) == 3
