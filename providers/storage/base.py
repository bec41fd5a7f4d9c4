"""The storage Protocol and the factory that picks the adapter named in settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from core.settings import Settings

# Keys are built by the API from ids ("documents/<owner id>/<document id>"), never from a
# user's filename; adapters still refuse anything else.
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*(/[A-Za-z0-9][A-Za-z0-9_\-.]*)*$")


class StoredObjectMissing(Exception):
    """The key holds nothing."""


def check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise ValueError(f"invalid storage key {key!r}")
    return key


class DocumentStorage(Protocol):
    name: str

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing what was there."""
        ...

    async def get(self, key: str) -> bytes:
        """The stored bytes; `StoredObjectMissing` when there are none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; nothing happens when it is already gone."""
        ...

    async def exists(self, key: str) -> bool: ...


def build_storage(settings: Settings) -> DocumentStorage:
    config = settings.storage
    if config.provider == "s3":
        from providers.storage.s3 import S3Storage

        return S3Storage(config)
    from providers.storage.local import LocalStorage

    return LocalStorage(config.local_dir or Path(settings.data_dir) / "documents")
