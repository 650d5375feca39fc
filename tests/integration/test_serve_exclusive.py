"""A second `luna serve` on a data dir or port already in use refuses to start, before any job worker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from luna.adapters.vectors.qdrant_edge_folder import FolderLock
from tests.integration.support import cli_environment

QUICK_SEC = 30


def _second_serve() -> subprocess.CompletedProcess[str]:
    """`luna serve` with the worker on, as a user starts it; it must stop before it serves or works."""
    env = {**os.environ, "LUNA_API__START_WORKER": "true"}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "luna", "serve"], env=env, capture_output=True, text=True, timeout=QUICK_SEC
    )
    assert time.monotonic() - started < QUICK_SEC
    return result


def test_serve_refuses_a_vector_folder_another_process_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_environment(monkeypatch, tmp_path)
    folder = tmp_path / "var" / "vectors"
    folder.mkdir(parents=True)
    holder = FolderLock(folder)  # what a running `luna serve` holds
    try:
        result = _second_serve()
    finally:
        holder.release()
    assert result.returncode == 1, result.stderr
    assert "Refusing to start" in result.stderr and "in use by another Luna process" in result.stderr
    assert "worker threads" not in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_a_port_another_process_listens_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = cli_environment(monkeypatch, tmp_path)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", int(env["API_PORT"])))
        listener.listen()
        result = _second_serve()
    assert result.returncode == 1, result.stderr
    assert f"cannot listen on 127.0.0.1:{env['API_PORT']}" in result.stderr
    assert "worker threads" not in result.stderr and "Traceback" not in result.stderr
