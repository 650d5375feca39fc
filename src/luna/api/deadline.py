"""No API request holds its caller longer than a deadline: after it, the caller gets a 503.

Most requests answer in milliseconds; a deadline of ``api.request_deadline_sec`` (30 s) catches the
ones that would not (a backend that hangs, a pathological input). Work that is long by nature gets
``api.long_request_deadline_sec`` (15 min): uploads that answer once the document is indexed,
snapshots and their restore, the consistency check, a CSV drop of readings or prices. A streaming
answer (SSE) is bounded only until it starts; from then on its own events show progress.

A handler running in a worker thread cannot be stopped from outside: when the deadline passes the
caller is answered and the task is cancelled, and the thread's result is dropped when it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from luna.domain.errors import Unavailable

#: Paths (below ``/api/v1``) whose work is long by nature.
LONG_PATH_PREFIXES = (
    "/api/v1/ingest",
    "/api/v1/admin/snapshots",
    "/api/v1/admin/item",
    "/api/v1/admin/verify",
    "/api/v1/admin/feeds/csv",  # a CSV drop of up to a million rows answers with its whole report
)


class RequestDeadlines:
    def __init__(self, default_sec: float, long_sec: float) -> None:
        self.default_sec = default_sec
        self.long_sec = long_sec

    def for_path(self, path: str) -> float | None:
        """The deadline of an API path (``/api/…``, the OpenAI-compatible ``/v1/…``); None for everything
        else (dashboards, /metrics)."""
        if not path.startswith(("/api/", "/v1/")):
            return None
        long = any(path == prefix or path.startswith(f"{prefix}/") for prefix in LONG_PATH_PREFIXES)
        return self.long_sec if long else self.default_sec


async def within(seconds: float, call: Callable[[], Awaitable[None]], started: Callable[[], bool]) -> None:
    """Run ``call``; raise :class:`Unavailable` if it has not started its response after ``seconds``."""
    task = asyncio.ensure_future(call())
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if task in done:
        task.result()
        return
    if started():
        await task  # a streaming answer that has begun runs on
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait({task}, timeout=0)
    raise Unavailable(
        f"The request took longer than {seconds:g} s and was stopped; any work it started may still "
        "finish in the background.",
        details={"deadline_sec": seconds, "retry_after_sec": 5},
    )
