"""A CLI command whose server goes away, or whose service refuses, says so in one line, never with a
traceback (issue #18)."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from luna.adapters.vectors.qdrant_edge_folder import folder_in_use
from luna.cli import main as cli_main
from luna.cli.server_client import ServerClient, ServerError
from luna.domain.errors import LunaError, NotFound
from luna.settings import Settings
from tests.http_support import send_json


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_request_to_a_server_that_is_gone_is_a_server_error(make_settings: Callable[..., Settings]) -> None:
    client = ServerClient(make_settings(LUNA_API__HOST="127.0.0.1", LUNA_API__PORT=str(free_port())))

    with pytest.raises(ServerError) as lost:
        client.get("admin/jobs/5b1e8a52-3c1d-4d8e-9a55-1f2b3c4d5e6f")

    assert "stopped answering" in str(lost.value) and lost.value.status_code == 0


def test_main_turns_a_lost_server_into_one_red_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def lost(*_: Any, **__: Any) -> None:
        raise ServerError("The server at http://127.0.0.1:8000/api/v1 stopped answering (ConnectError).", 0)

    monkeypatch.setattr(cli_main, "app", lost)
    with pytest.raises(SystemExit) as ended:
        cli_main.main()

    assert ended.value.code == 1
    err = capsys.readouterr().err
    assert "stopped answering" in err and "luna health" in err and "Traceback" not in err


def test_main_says_what_a_server_refused_without_sending_the_user_to_luna_health(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 404 for an unknown ID ended in "Check it with `luna health`", as if the server were ill."""

    def refused(*_: Any, **__: Any) -> None:
        raise ServerError("No job with id 5b1e8a52-3c1d-4d8e-9a55-1f2b3c4d5e6f", 404)

    monkeypatch.setattr(cli_main, "app", refused)
    with pytest.raises(SystemExit) as ended:
        cli_main.main()

    assert ended.value.code == 1
    assert capsys.readouterr().err.strip() == "No job with id 5b1e8a52-3c1d-4d8e-9a55-1f2b3c4d5e6f"


class _SlowLuna(http.server.BaseHTTPRequestHandler):
    """A Luna that takes longer to answer than a connect does (a server busy with a large upload); its
    POST answers within its request deadline, but only after a while (a large check)."""

    def do_GET(self) -> None:
        self._answer(2.5, {"status": "ok"})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer(1.5, {"status": "ok", "data": {"job_id": "j1"}})

    def _answer(self, after_sec: float, envelope: dict[str, Any]) -> None:
        time.sleep(after_sec)
        send_json(self, 200, envelope)

    def log_message(self, *_: Any) -> None:
        pass


def test_a_busy_server_is_still_found_and_an_absent_one_at_once(
    make_settings: Callable[..., Settings],
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowLuna)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        busy = ServerClient(make_settings(LUNA_API__HOST="127.0.0.1", LUNA_API__PORT=str(server.server_port)))
        absent = ServerClient(make_settings(LUNA_API__HOST="127.0.0.1", LUNA_API__PORT=str(free_port())))

        assert busy.is_running()
        assert not absent.is_running()
    finally:
        server.shutdown()
        server.server_close()


def test_a_request_waits_for_the_servers_own_deadline_not_a_shorter_one(
    make_settings: Callable[..., Settings],
) -> None:
    """Cut off at the CLI's 10 s, a `luna sim start` the server still answered (and queued) was reported
    as a server that stopped answering."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowLuna)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = make_settings(
            LUNA_API__HOST="127.0.0.1",
            LUNA_API__PORT=str(server.server_port),
            LUNA_API__REQUEST_DEADLINE_SEC="1",
        )
        answered = ServerClient(settings, timeout_sec=0.5).post("sim/run", {"action": "start"})
    finally:
        server.shutdown()
        server.server_close()

    assert answered == {"job_id": "j1"}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (NotFound("No items with ids ['nope']"), "No items with ids ['nope']"),
        (folder_in_use(Path("/data/vectors")), "API_PORT"),
    ],
)
def test_main_turns_a_luna_error_into_one_red_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], error: LunaError, expected: str
) -> None:
    def refuse(*_: Any, **__: Any) -> None:
        raise error

    monkeypatch.setattr(cli_main, "app", refuse)
    with pytest.raises(SystemExit) as ended:
        cli_main.main()

    assert ended.value.code == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


class _BrokenLuna(http.server.BaseHTTPRequestHandler):
    """A server (or a proxy before it) that misbehaves the way the CLI probe found: the path says how."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        kinds = {
            "/api/v1/cut": ("text/event-stream", b'event: token\ndata: "Kurz"\n\n', 1000),
            "/api/v1/garbled": ("text/event-stream", b"event: token\ndata: {nicht json\n\n", None),
            "/api/v1/proxy": ("text/html", b"<html>502 Bad Gateway</html>", None),
            "/api/v1/list": ("application/json", b"[1, 2]", None),
        }
        content_type, body, claimed = kinds[self.path]
        self.send_response(502 if self.path.endswith("proxy") else 200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(claimed or len(body)))  # the cut one claims more than it sends
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("cut", "stopped answering"),
        ("garbled", "other than JSON"),
        ("proxy", "other than JSON"),
        ("list", "other than JSON"),
    ],
)
def test_a_stream_that_breaks_or_is_no_json_is_a_server_error(
    make_settings: Callable[..., Settings], path: str, said: str
) -> None:
    """`luna ask` through a server printed a traceback for each of these."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BrokenLuna)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = ServerClient(
            make_settings(LUNA_API__HOST="127.0.0.1", LUNA_API__PORT=str(server.server_port))
        )
        with pytest.raises(ServerError, match=said):
            list(client.stream_events(path, {"question": "Was kostet Strom?"}, timeout_sec=5))
    finally:
        server.shutdown()
        server.server_close()
