"""Blob store in a folder: each key is a file path below ``root``, written atomically.

Keys come from users' file names (``docs/raw/Größe.pdf``), so every key is checked before it touches
the disk: a key that could leave ``root`` is refused, never normalised into something else.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

from luna.domain.blobs import check_blob_key, check_blob_prefix
from luna.domain.errors import Conflict, InvalidInput, NotFound
from luna.domain.health import ComponentHealth, HealthStatus

#: Prefix of the temporary files of unfinished writes; never listed as blobs.
TEMP_PREFIX = ".luna-tmp-"


class FilesystemBlobStore:
    """:class:`~luna.ports.blobs.BlobStore` below one folder (the embedded default)."""

    def __init__(self, root: Path) -> None:
        self._root = root
        root.mkdir(parents=True, exist_ok=True)
        self._resolved_root = root.resolve()

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Write to a temporary file beside the target, then rename it over the target (atomic).

        A folder that :meth:`remove_empty_folders` took away between creating it and writing into it
        is created again (one retry).
        """
        try:
            self._put(key, data)
        except FileNotFoundError:
            self._put(key, data)

    def remove_empty_folders(self, prefix: str) -> int:
        check_blob_prefix(prefix)
        top = self._root / prefix.rstrip("/") if prefix.strip("/") else self._root
        removed = 0
        for path, _, _ in os.walk(top, topdown=False):  # deepest first: a parent may empty out
            if Path(path) != top:
                with suppress(OSError):  # not empty (any more), or gone already
                    Path(path).rmdir()
                    removed += 1
        return removed

    def _put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = path.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(path)
        except (FileExistsError, IsADirectoryError, NotADirectoryError):
            # A folder cannot also be a file: "a" and "a/b" cannot both be keys here (S3 allows it).
            raise Conflict(f"blob key {key!r} collides with an existing key or folder") from None
        finally:
            with suppress(OSError):  # cleanup only; the temp file is gone after a successful rename
                tmp.unlink()

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"blob {key!r} does not exist") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        # Emptied folders stay: removing them would race with a concurrent put into the same folder.
        try:
            self._path(key).unlink()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list(prefix)
        for key in keys:
            self.delete(key)
        return len(keys)

    def list(self, prefix: str = "") -> list[str]:
        check_blob_prefix(prefix)
        # Walk only the folder the prefix points into; the rest of the key is a plain string prefix.
        folder = self._root / prefix.rsplit("/", 1)[0] if "/" in prefix else self._root
        return sorted(key for key in self._walk(folder) if key.startswith(prefix))

    def health(self) -> ComponentHealth:
        started = time.perf_counter()
        try:
            probe = self._root / f"{TEMP_PREFIX}health"
            probe.write_bytes(b"ok")
            probe.unlink()
            usage = shutil.disk_usage(self._root)
        except OSError as exc:  # health never raises: it reports
            return ComponentHealth("blobs", HealthStatus.DOWN, "filesystem", detail=f"{self._root}: {exc}")
        return ComponentHealth(
            "blobs",
            HealthStatus.UP,
            "filesystem",
            latency_ms=(time.perf_counter() - started) * 1000,
            detail=str(self._root),
            extra={"free_bytes": usage.free, "total_bytes": usage.total},
        )

    def _path(self, key: str) -> Path:
        path = self._root.joinpath(*check_blob_key(key).split("/"))
        # A symlink planted inside the root must not lead out of it either.
        if not path.resolve().is_relative_to(self._resolved_root):
            raise InvalidInput(f"blob key {key!r} leads outside the blob store")
        return path

    def _walk(self, folder: Path) -> Iterator[str]:
        if not folder.is_dir():
            return
        for directory, _, files in os.walk(folder):
            base = Path(directory).relative_to(self._root).as_posix()
            for name in files:
                if not name.startswith(TEMP_PREFIX):
                    yield name if base == "." else f"{base}/{name}"
