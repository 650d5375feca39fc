"""Talks to a running `luna serve` so CLI commands do not fight it for the embedded stores."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import httpx
from rich.console import Console
from rich.progress import Progress

from luna.cli.server_record import recorded_address
from luna.services.knowledge.ingest_files import shown_path
from luna.settings import Settings

#: How long the CLI waits for ``/system/info`` when it looks for a running server.
PROBE_SEC: Final = 30.0
#: A followed job still queued after this long gets a note that no worker may be taking jobs.
QUEUED_NOTE_SEC: Final = 30.0
_KEY_HINT: Final = (
    " The CLI sends the admin key of ADMIN_API_KEY (or LUNA_AUTH__ADMIN_API_KEY) if set, else the one in"
    " {secrets}: it must be the server's (is LUNA_DATA_DIR the server's data dir?)."
)


class ServerClient:
    """Admin calls against the API of this installation (host and port from the running server's
    record in the data dir, else from settings)."""

    def __init__(self, settings: Settings, timeout_sec: float = 10.0) -> None:
        # The server that owns the data dir, wherever it was told to listen; else api.host and api.port.
        host, port = recorded_address(settings.data_dir) or (settings.api.host, settings.api.port)
        host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        self.base_url = f"http://{host}:{port}/api/v1"
        key = settings.auth.admin_api_key
        self._headers = {"X-Admin-Key": key.get_secret_value()} if key is not None else {}
        self._key_hint = _KEY_HINT.format(secrets=settings.data_dir / "secrets.json")
        self._timeout = timeout_sec
        # A request waits until the server's own deadline has passed: cut off before, a `luna sim start`
        # that took 12 s was reported as a server that stopped answering while its job was queued.
        self._request_timeout = max(timeout_sec, settings.api.request_deadline_sec + 5.0)

    def is_running(self) -> bool:
        """Whether a Luna answers here. Nothing listening fails at connect at once; a busy server gets
        up to :data:`PROBE_SEC` to answer, since taking it for absent would open its embedded stores
        twice (a command's own, longer timeout, an hour for snapshots, made a hung port hang the CLI)."""
        try:
            response = httpx.get(
                f"{self.base_url}/system/info",
                timeout=httpx.Timeout(min(self._timeout, PROBE_SEC), connect=2.0),
            )
            body = response.json()
        except (httpx.HTTPError, ValueError):
            return False  # nothing listens there, or something that is not Luna
        return response.status_code == 200 and isinstance(body, dict) and body.get("status") == "ok"

    def get(self, path: str, **params: Any) -> Any:
        return self._call("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", path, json=body)

    def delete(self, path: str) -> Any:
        return self._call("DELETE", path)

    def upload(self, path: str, file: Path, form: dict[str, Any], timeout_sec: float = 900.0) -> Any:
        """A multipart upload (``file`` plus form fields); ingest answers once the document is indexed."""
        with file.open("rb") as handle:
            # A name that is not UTF-8 cannot be sent in a form ("not JSON", it said): it goes as "�".
            files = {"file": (shown_path(file.name), handle, "application/octet-stream")}
            return self._call("POST", path, files=files, data=form, timeout=timeout_sec)

    def _call(self, method: str, path: str, timeout: float | None = None, **request: Any) -> Any:
        """One request; a server that went away or answers no JSON is a :class:`ServerError` too, so
        every command can say so in one line instead of printing a traceback."""
        try:
            sent = httpx.Request(method, self._url(path), headers=self._headers, **request)
        except ValueError as error:  # e.g. NaN, which JSON cannot hold: nothing was sent
            raise ServerError(f"The request cannot be sent: {error}.", 400) from None
        try:
            with httpx.Client(timeout=timeout or self._request_timeout) as client:
                return self._data(client.send(sent))
        except (httpx.HTTPError, ValueError) as error:
            raise self._lost(error) from error

    def stream_events(
        self, path: str, body: dict[str, Any], timeout_sec: float = 600.0
    ) -> Iterator[tuple[str, Any]]:
        """``(event, data)`` pairs of a Server-Sent Events answer; an error envelope, a lost connection or
        an event that is not JSON raises ServerError (a traceback before)."""
        try:
            with httpx.stream(
                "POST", self._url(path), json=body, headers=self._headers, timeout=timeout_sec
            ) as response:
                if not response.headers.get("content-type", "").startswith("text/event-stream"):
                    response.read()
                    self._data(response)
                    return
                event = "message"
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        yield event, json.loads(line[5:].strip())
        except (httpx.HTTPError, ValueError) as error:
            raise self._lost(error) from error

    def _lost(self, error: Exception) -> ServerError:
        """A server that went away, or answered no JSON envelope, said in one line."""
        if isinstance(error, httpx.HTTPError):
            return ServerError(
                f"The server at {self.base_url} stopped answering ({type(error).__name__}).", 0
            )
        return ServerError(f"The server at {self.base_url} answered with something other than JSON.", 0)

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def _data(self, response: httpx.Response) -> Any:
        envelope = response.json()
        if not isinstance(envelope, dict):
            raise ValueError("not an envelope")  # a list or a string: said as "other than JSON"
        if envelope.get("status") != "ok":
            message = envelope.get("message") or f"HTTP {response.status_code}"
            advice = self._advice(response.status_code, envelope)
            raise ServerError(message + advice, response.status_code, _details(envelope))
        return envelope.get("data")

    def _advice(self, status: int, envelope: dict[str, Any]) -> str:
        """What to do about a refused admin key: where the CLI took it from, or how long to wait."""
        details = _details(envelope)
        if status == 429 and isinstance(details.get("retry_after_sec"), int | float):
            return f" Wait {details['retry_after_sec']:.0f} s."
        if status in (401, 403) and "X-Admin-Key" in (envelope.get("message") or ""):
            return self._key_hint
        return ""


class ServerError(Exception):
    def __init__(self, message: str, status_code: int, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        #: The envelope's ``data.details`` (a duplicate's ``item_id`` …), empty when it had none.
        self.details = details or {}


def follow_job(client: ServerClient, job: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Poll a queued job with a progress bar until it ends; return its final state.

    Ctrl-C stops following, not the job: it runs on in the server's worker.
    """
    watch = QueueWatch(progress.console)
    with progress:
        task = progress.add_task("queued", total=1000)
        while job["status"] in ("queued", "running"):
            time.sleep(0.5)
            job = client.get(f"admin/jobs/{job['job_id']}")
            watch.saw(job["status"])
            progress.update(
                task, completed=int(job["progress"] * 1000), description=(job["message"] or "")[:60]
            )
    return job


def _details(envelope: dict[str, Any]) -> dict[str, Any]:
    data = envelope.get("data")
    details = data.get("details") if isinstance(data, dict) else None
    return details if isinstance(details, dict) else {}


class QueueWatch:
    """Says once that a followed job has stayed queued for :data:`QUEUED_NOTE_SEC`: following a job no
    worker takes looked like a hang."""

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic) -> None:
        self._console = console
        self._clock = clock
        self._since = clock()
        self._said = False

    def saw(self, status: str) -> None:
        if status != "queued" or self._said or self._clock() - self._since < QUEUED_NOTE_SEC:
            return
        self._said = True
        self._console.print(
            f"Still queued after {QUEUED_NOTE_SEC:.0f} s: no worker has taken it. `luna serve` runs one "
            "unless started with --no-worker; with jobs.kind redis, start `luna worker`. Ctrl-C stops "
            "following (the job stays queued).",
            style="yellow",
        )
