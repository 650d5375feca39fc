"""Where `luna serve` listens, kept in its data dir so that every other command finds it.

A server started with ``--port 8123`` was not found by `luna ask` or `luna ingest`, which looked on
``api.port`` only: they opened the stores themselves, and the vector folder the server held refused
them. The server now writes ``server.json`` (host, port, process ID) into the data dir it owns and
removes it when it stops; a record whose process is gone (a killed server) is ignored.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Final

RECORD_NAME: Final = "server.json"

logger = logging.getLogger(__name__)


def write_record(data_dir: Path, host: str, port: int) -> Path | None:
    """Note this process as the data dir's server; None when the data dir cannot be written (the CLI
    then looks on ``api.port``, as before)."""
    path = data_dir / RECORD_NAME
    try:
        path.write_text(json.dumps({"host": host, "port": port, "pid": os.getpid()}), encoding="utf-8")
    except OSError as error:
        logger.warning(
            "cannot note the server's port in %s (%s): other commands look on api.port", path, error
        )
        return None
    return path


def remove_record(path: Path) -> None:
    """Remove the record if it is still this process's (a second server may have written its own)."""
    if _pid_of(path) == os.getpid():
        path.unlink(missing_ok=True)


def recorded_address(data_dir: Path) -> tuple[str, int] | None:
    """The host and port of the server running on ``data_dir``, if one noted them and still runs."""
    path = data_dir / RECORD_NAME
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        host, port, pid = str(record["host"]), int(record["port"]), int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not 1 <= port <= 65535 or not _alive(pid):
        return None
    return host, port


def _pid_of(path: Path) -> int | None:
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
