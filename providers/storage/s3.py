"""S3-compatible storage through boto3 (AWS S3, MinIO, Scaleway, moto in tests)."""

from __future__ import annotations

import asyncio
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from core.settings import StorageSettings
from providers.storage.base import StoredObjectMissing, check_key

_MISSING = {"NoSuchKey", "404", "NotFound"}


class S3Storage:
    name = "s3"

    def __init__(self, settings: StorageSettings) -> None:
        self.bucket = settings.s3_bucket
        self.prefix = settings.s3_prefix.strip("/")
        # boto3 clients are thread-safe; calls run in threads to keep the event loop free.
        self.client: Any = boto3.client(
            "s3",
            region_name=settings.s3_region,
            endpoint_url=settings.s3_endpoint_url,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=settings.s3_secret_access_key,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        )

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data,
            ContentType=content_type, ServerSideEncryption="AES256",
        )

    async def get(self, key: str) -> bytes:
        try:
            response = await asyncio.to_thread(
                self.client.get_object, Bucket=self.bucket, Key=self._key(key)
            )
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _MISSING:
                raise StoredObjectMissing(key) from err
            raise
        body: bytes = await asyncio.to_thread(response["Body"].read)
        return body

    async def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success: already idempotent.
        await asyncio.to_thread(
            self.client.delete_object, Bucket=self.bucket, Key=self._key(key)
        )

    async def exists(self, key: str) -> bool:
        try:
            await asyncio.to_thread(
                self.client.head_object, Bucket=self.bucket, Key=self._key(key)
            )
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise
        return True
