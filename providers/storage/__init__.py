"""Document storage: a Protocol, the local folder default and an S3-compatible adapter."""

from providers.storage.base import DocumentStorage, StoredObjectMissing, build_storage

__all__ = ["DocumentStorage", "StoredObjectMissing", "build_storage"]
