"""`luna serve --port` notes where it listens in its data dir, so that other commands find it there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from luna.cli.server_client import ServerClient
from luna.cli.server_record import RECORD_NAME, recorded_address, remove_record, write_record
from luna.settings import Settings


def test_a_running_servers_record_gives_its_address_until_it_is_removed(tmp_path: Path) -> None:
    record = write_record(tmp_path, "127.0.0.1", 8123)

    assert record is not None and recorded_address(tmp_path) == ("127.0.0.1", 8123)
    remove_record(record)
    assert not record.exists() and recorded_address(tmp_path) is None


def test_the_record_of_a_killed_server_is_ignored(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    (tmp_path / RECORD_NAME).write_text(
        json.dumps({"host": "127.0.0.1", "port": 8123, "pid": int(gone.stdout)})
    )

    assert recorded_address(tmp_path) is None


def test_a_broken_record_is_ignored(tmp_path: Path) -> None:
    for text in (
        "{",
        "[]",
        '{"host": "x", "port": "abc", "pid": 1}',
        '{"host": "x", "port": 99999, "pid": 1}',
    ):
        (tmp_path / RECORD_NAME).write_text(text)
        assert recorded_address(tmp_path) is None, text


def test_another_servers_record_is_not_removed(tmp_path: Path) -> None:
    """A second `luna serve` that wrote its own record: the first, stopping, leaves it."""
    path = tmp_path / RECORD_NAME
    path.write_text(json.dumps({"host": "127.0.0.1", "port": 8123, "pid": os.getppid()}))

    remove_record(path)

    assert path.exists()


def test_the_cli_talks_to_the_recorded_server_not_to_api_port(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api={"port": 8000})
    write_record(tmp_path, "0.0.0.0", 8123)

    assert ServerClient(settings).base_url == "http://127.0.0.1:8123/api/v1"
