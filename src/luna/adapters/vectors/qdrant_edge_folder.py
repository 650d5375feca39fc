"""The embedded vector index's folder on disk: safe names, atomic JSON files, the lock that lets one
process own the folder, the manifest that marks a snapshot of it, and the copy that keeps its files
sparse."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import IO

from luna.domain.errors import InvalidInput, Unavailable, Unprocessable

SNAPSHOT_FORMAT = "luna-qdrant-edge-folders/1"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
ALIASES_FILE = "aliases.json"
MANIFEST_FILE = "manifest.json"
_BLOCK = 1 << 16
_ZEROS = bytes(_BLOCK)


def check_name(name: str) -> str:
    """Collection and alias names become folder names, so only a safe alphabet is accepted."""
    if not _NAME.match(name):
        raise InvalidInput(f"invalid collection or alias name {name!r}: use letters, digits, '_' and '-'")
    return name


def is_collection_name(name: str) -> bool:
    return bool(_NAME.match(name))


def write_json_atomically(path: Path, data: object) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


class FolderLock:
    """An exclusive ``flock`` on ``<path>/.lock``, held while the index is open; the OS drops it on exit."""

    def __init__(self, path: Path) -> None:
        self._handle: IO[str] | None = (path / ".lock").open("a", encoding="utf-8")
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.close()
            self._handle = None
            raise folder_in_use(path) from None

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def folder_in_use(path: Path) -> Unavailable:
    return Unavailable(
        f"The vector folder {path} is in use by another Luna process (e.g. `luna serve`). "
        "Stop that process, or run the command against its API."
    )


def read_manifest(source: Path) -> dict[str, int]:
    """A snapshot's collections and their dimensions; Unprocessable for anything that is no snapshot
    of this format (named without the server's path: the message reaches API clients)."""
    try:
        manifest = json.loads((source / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise Unprocessable(f"the vector snapshot has no readable {MANIFEST_FILE}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != SNAPSHOT_FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise Unprocessable(f"the vector snapshot is in format {found!r}, not {SNAPSHOT_FORMAT!r}")
    collections = manifest.get("collections")
    if not isinstance(collections, dict) or not all(isinstance(d, int) for d in collections.values()):
        raise Unprocessable(f"the vector snapshot's {MANIFEST_FILE} lists no collections")
    for name in collections:
        check_name(name)
    return collections


def read_aliases(source: Path) -> dict[str, str]:
    """A snapshot's aliases (alias → collection); Unprocessable when the file is missing or malformed."""
    try:
        aliases = json.loads((source / ALIASES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise Unprocessable(f"the vector snapshot has no readable {ALIASES_FILE}") from None
    if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
        raise Unprocessable(f"the vector snapshot's {ALIASES_FILE} is not a map of aliases")
    return aliases


def copy_sparse(source: str, target: str) -> None:
    """Copy ``source`` to ``target`` leaving holes where it holds only zeros; a ``copytree`` copy_function.

    Qdrant preallocates its storage and write-ahead log as 32 MiB files that are mostly holes: the index
    of a 560 kB corpus takes 9 MB on disk but 159 MB as ``shutil.copy2`` writes it out, so every snapshot
    was 17 times the index's size. Seeking over zero blocks keeps the copy as small as the original on
    every file system with sparse files (and writes the zeros where there are none)."""
    with Path(source).open("rb") as reader, Path(target).open("wb") as writer:
        while block := reader.read(_BLOCK):
            if block == _ZEROS[: len(block)]:
                writer.seek(len(block), os.SEEK_CUR)
            else:
                writer.write(block)
        writer.truncate()
    shutil.copystat(source, target)
