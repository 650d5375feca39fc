"""Small HTTP servers in tests: one JSON answer from a handler of ``http.server``."""

from __future__ import annotations

import http.server
import json
from typing import Any


def send_json(handler: http.server.BaseHTTPRequestHandler, status: int, payload: Any) -> None:
    body = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
