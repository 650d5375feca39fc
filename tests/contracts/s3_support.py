"""A real S3 endpoint for the tests: a ``moto_server`` process on 127.0.0.1 and a free port."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

START_DEADLINE_SEC = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def moto_server() -> Iterator[str]:
    """Start moto's S3 server, yield its endpoint URL once it accepts connections, stop it afterwards."""
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    # moto logs every request: a file, unlike a pipe, never fills up and stalls the server.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=log
        )
        try:
            _wait_until_listening(process, port, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log: IO[bytes]) -> None:
    deadline = time.monotonic() + START_DEADLINE_SEC
    while not _accepts(port):
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"moto_server exited early: {log.read().decode(errors='replace')}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"moto_server did not listen on port {port} within {START_DEADLINE_SEC} s")
        time.sleep(0.05)
