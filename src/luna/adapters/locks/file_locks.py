"""Locks as ``flock`` on files: every process of one host (the embedded installation with SQLite).

``flock`` belongs to the open file, not the process, so two threads of one process that each take a
lock exclude each other as two processes do, and the kernel lets go when a process dies.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from luna.ports.process_locks import checked_lock_name


class FileLocks:
    """One file per lock name in ``folder`` (created on first use)."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def acquire(self, name: str, *, exclusive: bool) -> FileHold | None:
        self._folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self._folder / f"{checked_lock_name(name)}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        except BaseException:
            os.close(descriptor)
            raise
        return FileHold(descriptor)


class FileHold:
    def __init__(self, descriptor: int) -> None:
        self._descriptor: int | None = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the only descriptor of the open file drops its flock
            self._descriptor = None
