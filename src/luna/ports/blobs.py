"""Blob store: raw and processed documents, snapshots and CSV drops, addressed by ``/``-separated keys."""

from __future__ import annotations

from typing import Protocol

from luna.domain.health import ComponentHealth


class BlobStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store ``data`` under ``key`` atomically (a reader sees the old or the new blob, never half)."""
        ...

    def get(self, key: str) -> bytes:
        """The blob's bytes; raises :class:`luna.domain.errors.NotFound` when absent."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the blob; a missing key is not an error."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every blob under ``prefix``; return how many."""
        ...

    def list(self, prefix: str = "") -> list[str]:
        """Keys under ``prefix``, sorted."""
        ...

    def remove_empty_folders(self, prefix: str) -> int:
        """Remove folders under ``prefix`` that hold no blob any more; return how many.

        A folder store leaves them behind when blobs are deleted (removing them at once would race
        with a write into the same folder); ``verify --fix`` tidies them. 0 where there are no
        folders (S3: a "folder" is only a key prefix).
        """
        ...

    def health(self) -> ComponentHealth: ...
