"""How the CLI says no (a probe of every command found these): the exit code says whose mistake it was,
the message says what to do, and nothing from a file or the server drives the terminal."""

from __future__ import annotations

import http.server
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from luna.cli import main as cli_main
from luna.cli import server_client
from luna.cli.context import refusal_code
from luna.cli.main import app
from luna.cli.server_client import QueueWatch, ServerClient, ServerError
from luna.domain.errors import InvalidInput, LunaError, NotFound
from luna.services.evaluation.evaluation import read_golden_sets
from luna.settings import Settings
from tests.http_support import send_json


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "[1, NaN]"])
def test_a_param_no_json_can_hold_is_bad_input_named_before_anything_is_sent(value: str) -> None:
    """It was sent to httpx, which refused to encode it, and reported as the server answering no JSON."""
    result = CliRunner().invoke(app, ["jobs", "run", "sim.backfill", "-P", f"meters={value}", "--no-wait"])

    assert result.exit_code == 2, result.output
    assert f"--param meters: {value} is no finite number" in result.output


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidInput("bad name"), 2),
        (NotFound("No job with id 'x'."), 1),
        (ServerError("body.question: String should have at most 2000 characters", 400), 2),
        (ServerError("too large", 413), 2),
        (ServerError("The X-Admin-Key is not valid.", 403), 1),
        (ServerError("Too many wrong admin keys", 429), 1),
        (ServerError("stopped answering", 0), 1),
    ],
)
def test_bad_input_exits_2_and_a_refusal_or_failure_1(error: LunaError | ServerError, code: int) -> None:
    assert refusal_code(error) == code


def test_main_exits_2_for_input_a_service_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(*_: Any, **__: Any) -> None:
        raise InvalidInput("A service account name is 2-63 characters")

    monkeypatch.setattr(cli_main, "app", refuse)
    with pytest.raises(SystemExit) as ended:
        cli_main.main()

    assert ended.value.code == 2 and "2-63 characters" in capsys.readouterr().err


class _Refusing(http.server.BaseHTTPRequestHandler):
    """A server that refuses the admin key (path /key) or makes the caller wait (path /wait)."""

    def do_GET(self) -> None:
        if self.path.endswith("/key"):
            status, envelope = (
                403,
                {"status": "error", "message": "The X-Admin-Key is not valid.", "data": {}},
            )
        else:
            details = {"retry_after_sec": 17}
            status = 429
            envelope = {
                "status": "error",
                "message": "Too many wrong admin keys.",
                "data": {"details": details},
            }
        send_json(self, status, envelope)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def refusing(make_settings: Callable[..., Settings]) -> Iterator[ServerClient]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield ServerClient(make_settings(LUNA_API__HOST="127.0.0.1", LUNA_API__PORT=str(server.server_port)))
    finally:
        server.shutdown()
        server.server_close()


def test_a_refused_admin_key_says_where_the_cli_took_it_from(refusing: ServerClient, tmp_path: Path) -> None:
    with pytest.raises(ServerError) as refused:
        refusing.get("key")

    assert "ADMIN_API_KEY" in str(refused.value) and "secrets.json" in str(refused.value)
    assert "LUNA_DATA_DIR" in str(refused.value)


def test_a_locked_out_address_is_told_how_long_to_wait(refusing: ServerClient) -> None:
    with pytest.raises(ServerError, match=r"Too many wrong admin keys\. Wait 17 s\."):
        refusing.get("wait")


def test_looking_for_a_server_gives_up_soon_where_a_port_accepts_and_never_answers(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`luna snapshot list` waited its hour-long timeout on such a port."""
    monkeypatch.setattr(server_client, "PROBE_SEC", 0.3)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = make_settings(LUNA_API__HOST="127.0.0.1", LUNA_API__PORT=str(silent.getsockname()[1]))
        started = time.monotonic()

        found = ServerClient(settings, timeout_sec=3600).is_running()

    assert not found and time.monotonic() - started < 30


def test_a_job_left_queued_is_said_once_and_a_running_one_never() -> None:
    now = [0.0]
    console = Console(record=True, width=200)
    queued, running = QueueWatch(console, clock=lambda: now[0]), QueueWatch(console, clock=lambda: now[0])

    for at in (1.0, 29.0, 31.0, 45.0):
        now[0] = at
        queued.saw("queued")
        running.saw("running")

    said = console.export_text()
    assert said.count("Still queued after 30 s") == 1 and "luna worker" in said


def test_a_fifo_or_a_device_is_no_golden_set(tmp_path: Path) -> None:
    """A FIFO was read until a writer came (forever), /dev/zero until the memory was full (the CSV import
    is checked in tests/integration/test_feeds_csv.py)."""
    fifo = tmp_path / "golden.yaml"
    os.mkfifo(fifo)

    with pytest.raises(InvalidInput, match="not a regular file"):
        read_golden_sets([fifo])
    with pytest.raises(InvalidInput, match="not a regular file"):
        read_golden_sets([Path("/dev/zero")])


@pytest.mark.parametrize("question", ["", "   ", "\u200b"])
def test_an_empty_question_is_said_alike_with_a_server_or_without(question: str) -> None:
    """Through the server it read "Invalid request: body.question: String should have at least 1
    character"."""
    result = CliRunner().invoke(app, ["ask", question])

    assert result.exit_code == 2 and "The question is empty." in result.output
