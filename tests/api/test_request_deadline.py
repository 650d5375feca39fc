"""No API request holds its caller past the deadline (issue #18): a 503 in the envelope, fast; the app
keeps answering; a streaming answer that has started runs on."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from luna.api.deadline import RequestDeadlines
from tests.api.conftest import http_client

pytestmark = pytest.mark.anyio


@pytest.fixture
def slow_app(build_app: Callable[..., FastAPI]) -> Iterator[FastAPI]:
    app = build_app(LUNA_API__REQUEST_DEADLINE_SEC="0.3")
    release = threading.Event()

    @app.get("/api/v1/test/hangs")
    async def hangs() -> None:
        await asyncio.sleep(30)

    @app.get("/api/v1/test/blocks")
    def blocks() -> None:  # a sync handler in a worker thread, like every Luna route
        release.wait(30)

    yield app
    release.set()


@pytest.fixture
def streaming_app(build_app: Callable[..., FastAPI]) -> FastAPI:
    """A 0.5 s deadline and a stream of 0.8 s whose first part is sent at once. The handler and its
    parts run on the event loop (no worker thread), so the response starts in the loop steps that follow
    the request, before the deadline's timer can fire however loaded the machine is: wall-clock races
    with a thread (1 s, 3 s, then 5 s deadlines) each failed a loaded fresh-clone run. Finishing within
    the deadline it cannot: its parts wait on timers set after the deadline's."""
    app = build_app(LUNA_API__REQUEST_DEADLINE_SEC="0.5")

    @app.get("/api/v1/test/streams")
    async def streams() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            for part in range(3):
                if part:
                    await asyncio.sleep(0.4)
                yield f"part {part}\n".encode()

        return StreamingResponse(parts(), media_type="text/plain")

    return app


@pytest.mark.parametrize("path", ["/api/v1/test/hangs", "/api/v1/test/blocks"])
async def test_a_request_past_its_deadline_is_a_503_and_the_app_still_answers(
    slow_app: FastAPI, path: str
) -> None:
    async with http_client(slow_app) as client:
        response = await client.get(path)
        info = await client.get("/api/v1/system/info")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and body["data"]["code"] == "unavailable"
    assert "longer than 0.3 s" in body["message"]
    assert info.status_code == 200


async def test_a_stream_that_has_started_runs_past_the_deadline(streaming_app: FastAPI) -> None:
    async with http_client(streaming_app) as client:
        response = await client.get("/api/v1/test/streams")

    assert response.status_code == 200
    assert response.text == "part 0\npart 1\npart 2\n"


def test_long_work_gets_the_long_deadline_and_pages_none() -> None:
    deadlines = RequestDeadlines(30, 900)
    assert deadlines.for_path("/api/v1/rag/ask") == 30
    assert deadlines.for_path("/api/v1/ingest/doc") == 900
    assert deadlines.for_path("/api/v1/admin/snapshots/x/restore") == 900
    assert deadlines.for_path("/api/v1/admin/feeds/csv") == 900  # a million rows answer with their report
    assert deadlines.for_path("/api/v1/admin/items") == 30
    assert deadlines.for_path("/v1/chat/completions") == 30
    assert deadlines.for_path("/admin/jobs") is None  # a dashboard page


async def test_a_body_shorter_than_its_content_length_is_a_408_not_a_503(slow_app: FastAPI) -> None:
    """The client owes bytes when the deadline passes: its delay, not Luna's (a raw ASGI call, since an
    HTTP client library always sends what it announces)."""
    sent: list[dict[str, object]] = []
    parts = [{"type": "http.request", "body": b'{"question": "Was ko', "more_body": True}]

    async def receive() -> dict[str, object]:
        if parts:
            return parts.pop(0)
        await asyncio.sleep(30)  # the rest of the body never comes
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/rag/ask",
        "raw_path": b"/api/v1/rag/ask",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"200")],
        "client": ("127.0.0.1", 5000),
        "server": ("luna.test", 80),
    }
    await slow_app(scope, receive, send)

    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")  # type: ignore[misc]
    assert start["status"] == 408
    assert b"did not arrive within 0.3 s" in body and b"request_timeout" in body
