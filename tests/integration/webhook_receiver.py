"""A webhook receiver stand-in (Alertmanager, a ticket tracker): keeps every JSON body posted to it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from tests.integration.support import free_port


class Receiver:
    def __init__(self, path: str) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = HTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def receiving(path: str) -> Iterator[Receiver]:
    """The body of a fixture: a receiver at ``path`` for the test, shut down after it."""
    stand_in = Receiver(path)
    yield stand_in
    stand_in.server.shutdown()
    stand_in.server.server_close()
