"""One click, one action: a button's work is not started again while it runs.

A double click reaches the server as two events before the first handler's ``disable`` reaches the
browser, so the guard is kept here, on the server: "Snapshot erstellen" clicked twice wrote two full
snapshots, and a start button clicked twice showed "gestartet" beside the job service's refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import ParamSpec

P = ParamSpec("P")


def one_at_a_time(handler: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
    """``handler``, ignoring calls that arrive while an earlier one has not finished."""
    running = False

    @wraps(handler)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        nonlocal running
        if running:
            return
        running = True
        try:
            await handler(*args, **kwargs)
        finally:
            running = False

    return guarded
