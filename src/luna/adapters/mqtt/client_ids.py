"""Stable MQTT client ids that no two processes on one host share.

The broker keeps a persistent session (with the messages not yet acknowledged) per client id, so the
id must survive a restart; but a broker drops the older of two connections with the same id, and two
workers on one host would throw each other out for ever. So each process claims the lowest free slot
``<prefix>-<n>`` by holding an exclusive lock on a file for it: a restarted single worker gets slot 0
(and its session) back, a second worker on the same host gets slot 1. The operating system releases
the lock when the process ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path
from typing import Final

MAX_SLOTS: Final = 64


class ClientIdClaim:
    """A claimed client id; :meth:`release` gives its slot back."""

    def __init__(self, client_id: str, descriptor: int) -> None:
        self.client_id = client_id
        self._descriptor: int | None = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the file releases its lock
            self._descriptor = None


def default_lock_dir() -> Path:
    """Shared by every process of the host (the slots are per host, like the ids' host name)."""
    return Path(tempfile.gettempdir()) / "luna-mqtt-client-ids"


def claim_client_id(prefix: str, lock_dir: Path | None = None) -> ClientIdClaim:
    """Claim the lowest free ``<prefix>-<n>``; raises RuntimeError when all slots are taken."""
    folder = lock_dir or default_lock_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for slot in range(MAX_SLOTS):
        client_id = f"{prefix}-{slot}"
        descriptor = os.open(folder / f"{client_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        return ClientIdClaim(client_id, descriptor)
    raise RuntimeError(f"all {MAX_SLOTS} MQTT client ids {prefix}-0…{MAX_SLOTS - 1} are in use on this host")
