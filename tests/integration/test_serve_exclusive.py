"""A second `luna serve` on a data dir or port already in use refuses to start, before any job worker."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from luna.adapters.vectors.qdrant_edge_folder import FolderLock
from luna.cli.server_record import RECORD_NAME
from tests.integration.support import cli_environment, luna_serve_process

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


def test_sigterm_stops_the_workers_and_closes_the_stores_before_the_process_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """systemd and `docker stop` send SIGTERM; uvicorn raises it again when it is done, which ended the
    process before the workers were stopped and the stores closed (and the port record stayed)."""
    env = cli_environment(monkeypatch, tmp_path, LUNA_API__START_WORKER="true")
    record = tmp_path / "var" / RECORD_NAME
    with luna_serve_process(env["API_PORT"], tmp_path / "serve.log") as (_, process):
        assert json.loads(record.read_text())["pid"] == process.pid
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

    assert not record.exists(), (tmp_path / "serve.log").read_text()[-2000:]
    holder = FolderLock(tmp_path / "var" / "vectors")  # released: this process can take it
    holder.release()
