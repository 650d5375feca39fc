"""Talks to a running `luna serve` so CLI commands do not fight it for the embedded stores."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from rich.progress import Progress

from luna.services.knowledge.ingest_files import shown_path
from luna.settings import Settings


class ServerClient:
    """Admin calls against the API of this installation (host and port from settings)."""

    def __init__(self, settings: Settings, timeout_sec: float = 10.0) -> None:
        host = "127.0.0.1" if settings.api.host in ("0.0.0.0", "::") else settings.api.host  # noqa: S104
        self.base_url = f"http://{host}:{settings.api.port}/api/v1"
        key = settings.auth.admin_api_key
        self._headers = {"X-Admin-Key": key.get_secret_value()} if key is not None else {}
        self._timeout = timeout_sec
        # A request waits until the server's own deadline has passed: cut off before, a `luna sim start`
        # that took 12 s was reported as a server that stopped answering while its job was queued.
        self._request_timeout = max(timeout_sec, settings.api.request_deadline_sec + 5.0)

    def is_running(self) -> bool:
        """Whether a Luna answers here. Nothing listening fails at connect at once; a busy server gets
        the whole timeout to answer, since taking it for absent would open its embedded stores twice."""
        try:
            response = httpx.get(
                f"{self.base_url}/system/info", timeout=httpx.Timeout(self._timeout, connect=2.0)
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
            response = httpx.request(
                method,
                self._url(path),
                headers=self._headers,
                timeout=timeout or self._request_timeout,
                **request,
            )
            return self._data(response)
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

    @staticmethod
    def _data(response: httpx.Response) -> Any:
        envelope = response.json()
        if not isinstance(envelope, dict):
            raise ValueError("not an envelope")  # a list or a string: said as "other than JSON"
        if envelope.get("status") != "ok":
            raise ServerError(envelope.get("message") or f"HTTP {response.status_code}", response.status_code)
        return envelope.get("data")


class ServerError(Exception):
    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def follow_job(client: ServerClient, job: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Poll a queued job with a progress bar until it ends; return its final state.

    Ctrl-C stops following, not the job: it runs on in the server's worker.
    """
    with progress:
        task = progress.add_task("queued", total=1000)
        while job["status"] in ("queued", "running"):
            time.sleep(0.5)
            job = client.get(f"admin/jobs/{job['job_id']}")
            progress.update(
                task, completed=int(job["progress"] * 1000), description=(job["message"] or "")[:60]
            )
    return job
