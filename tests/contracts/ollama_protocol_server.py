"""A small HTTP server that speaks Ollama's protocol, for the Ollama adapters' tests.

No Ollama server can run on this machine (no model can be pulled offline), so the adapters are held
to the protocol instead: ``/api/chat`` streaming NDJSON lines ``{"message": {"content": …}, "done": …}``,
``/api/embed`` (``{"input": [...]} → {"embeddings": [[...]]}``), ``/api/tags`` (pulled models) and
``/api/ps`` (loaded models), with Ollama's error shape ``{"error": "…"}``. Models with special names
misbehave on purpose: ``stall`` never answers until the test ends, ``broken`` fails mid-stream.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.http_support import send_json

STALL_MODEL = "stall"
BROKEN_MODEL = "broken"
ANSWER = (
    "Laut dem Kontext ist die Mindestleistung auf 4,2 kW begrenzt, und das ist eine gute Nachricht für Sie."
)


class OllamaProtocolServer:
    def __init__(
        self, pulled: tuple[str, ...] = ("luna-test:latest", STALL_MODEL, BROKEN_MODEL), dim: int = 8
    ):
        self.pulled = set(pulled)
        self.loaded: set[str] = set()
        self.dim = dim
        self.requests: list[tuple[str, dict[str, Any]]] = []
        #: Answer this many of the next requests with HTTP 503, as a server that is still starting does.
        self.fail_next = 0
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> OllamaProtocolServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def embedding(self, text: str) -> list[float]:
        """Deterministic and deliberately not normalised, so the client's normalisation shows."""
        digest = hashlib.sha256(text.encode()).digest()
        return [3.0 * (byte / 255.0 + 0.1) for byte in digest[: self.dim]]

    def _is_pulled(self, model: str) -> bool:
        return model in self.pulled or f"{model}:latest" in self.pulled

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                listing = {"/api/tags": server.pulled, "/api/ps": server.loaded}.get(self.path)
                if listing is None:
                    self._json(404, {"error": "not found"})
                    return
                self._json(200, {"models": [{"name": name, "model": name} for name in sorted(listing)]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with server._lock:
                    server.requests.append((self.path, body))
                    failing = server.fail_next > 0
                    server.fail_next -= int(failing)
                if failing:
                    self._json(503, {"error": "server is starting"})
                    return
                model = str(body.get("model", ""))
                if not server._is_pulled(model):
                    self._json(404, {"error": f"model '{model}' not found, try pulling it first"})
                    return
                server.loaded.add(model)
                if self.path == "/api/embed":
                    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                    self._json(200, {"model": model, "embeddings": [server.embedding(t) for t in texts]})
                elif self.path == "/api/chat":
                    self._chat(model, body)
                else:
                    self._json(404, {"error": "not found"})

            def _chat(self, model: str, body: dict[str, Any]) -> None:
                if not body.get("messages"):
                    self._json(
                        200, {"model": model, "message": {"role": "assistant", "content": ""}, "done": True}
                    )
                    return
                if model == STALL_MODEL:
                    server.release.wait(timeout=30)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                words = ANSWER.split(" ")
                for index, word in enumerate(words):
                    piece = word if index == 0 else f" {word}"
                    self._line(
                        {"model": model, "message": {"role": "assistant", "content": piece}, "done": False}
                    )
                    if model == BROKEN_MODEL:
                        self._line({"error": "model runner has unexpectedly stopped"})
                        return
                self._line({"model": model, "message": {"role": "assistant", "content": ""}, "done": True})

            def _line(self, data: dict[str, Any]) -> None:
                self.wfile.write(json.dumps(data).encode() + b"\n")
                self.wfile.flush()

            def _json(self, status: int, data: dict[str, Any]) -> None:
                send_json(self, status, data)

        return Handler
