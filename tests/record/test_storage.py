"""The storage adapters: the local folder, and S3 through boto3 against moto's S3 server."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from api.app import create_app
from core.settings import Settings, StorageSettings
from db.engine import SessionMaker
from providers.storage import DocumentStorage, StoredObjectMissing, build_storage
from providers.storage.local import LocalStorage
from providers.storage.s3 import S3Storage
from tests.record.conftest import PDF, PNG, upload
from tests.support.users import TestUser

BUCKET = "esame-test-documents"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_settings(moto_endpoint: str) -> StorageSettings:
    config = StorageSettings(
        provider="s3", s3_bucket=BUCKET, s3_prefix="tenant-a", s3_region="eu-west-3",
        s3_endpoint_url=moto_endpoint, s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    client = boto3.client("s3", region_name=config.s3_region, endpoint_url=moto_endpoint,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if BUCKET not in existing:
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={
            "LocationConstraint": config.s3_region})
    return config


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> DocumentStorage:
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    return S3Storage(request.getfixturevalue("s3_settings"))


async def test_put_get_exists_delete(storage: DocumentStorage) -> None:
    key = "documents/owner1/doc1"
    assert not await storage.exists(key)
    await storage.put(key, PDF, "application/pdf")
    assert await storage.exists(key)
    assert await storage.get(key) == PDF
    await storage.put(key, PNG, "image/png")  # replaced
    assert await storage.get(key) == PNG
    await storage.delete(key)
    assert not await storage.exists(key)
    with pytest.raises(StoredObjectMissing):
        await storage.get(key)
    await storage.delete(key)  # deleting twice is fine


@pytest.mark.parametrize("key", ["../escape", "documents/../../x", "/abs/path", "a//b", ""])
async def test_keys_cannot_leave_the_store(storage: DocumentStorage, key: str) -> None:
    with pytest.raises(ValueError):
        await storage.put(key, PDF, "application/pdf")


def test_s3_objects_land_under_the_prefix_with_their_type(s3_settings: StorageSettings,
                                                          moto_endpoint: str) -> None:
    import asyncio

    storage = S3Storage(s3_settings)
    asyncio.run(storage.put("documents/o/d", PDF, "application/pdf"))
    head = storage.client.head_object(Bucket=BUCKET, Key="tenant-a/documents/o/d")
    assert head["ContentType"] == "application/pdf"
    assert head["ContentLength"] == len(PDF)


def test_factory_picks_the_adapter_from_settings(tmp_path: Path,
                                                 s3_settings: StorageSettings) -> None:
    local = build_storage(Settings(data_dir=tmp_path))
    assert isinstance(local, LocalStorage) and local.root == (tmp_path / "documents").resolve()
    assert isinstance(build_storage(Settings(storage=s3_settings)), S3Storage)


@pytest.fixture
async def s3_client(
    settings: Settings, sessions: SessionMaker, s3_settings: StorageSettings
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"storage": s3_settings}), sessions=sessions)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.mark.db
async def test_documents_through_the_api_on_s3(
    s3_client: httpx.AsyncClient, patient: TestUser, s3_settings: StorageSettings,
) -> None:
    uploaded = await upload(s3_client, patient, ("a.pdf", PDF), ("b.png", PNG))
    assert uploaded.status_code == 201, uploaded.text
    first = uploaded.json()["items"][0]
    raw = boto3.client(
        "s3", region_name=s3_settings.s3_region, endpoint_url=s3_settings.s3_endpoint_url,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    key = f"tenant-a/documents/{patient.id}/{first['id']}"
    assert raw.get_object(Bucket=BUCKET, Key=key)["Body"].read() == PDF
    content = await s3_client.get(f"/api/v1/documents/{first['id']}/content",
                                  headers=patient.headers)
    assert content.content == PDF
    deleted = await s3_client.delete(f"/api/v1/documents/{first['id']}", headers=patient.headers)
    assert deleted.status_code == 204
    listed = raw.list_objects_v2(Bucket=BUCKET, Prefix=f"tenant-a/documents/{patient.id}/")
    assert [o["Key"] for o in listed.get("Contents", [])] == [
        f"tenant-a/documents/{patient.id}/{uploaded.json()['items'][1]['id']}"]
