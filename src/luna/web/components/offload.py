"""Blocking service calls off the event loop.

Every dashboard in the process shares one asyncio loop; a service call (SQL, embedding, a model)
run on it would freeze all of them. :func:`in_thread` runs it in NiceGUI's thread pool and hands
back its result, also when that result is ``None`` (NiceGUI's ``run.io_bound`` answers ``None``
when the app is shutting down, which would be mistaken for a result). :func:`stream_in_thread`
does the same for a generator (Luna's answer, token by token): the thread produces, the page
consumes each item as it arrives.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from nicegui import background_tasks, run

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


async def in_thread(call: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``call(*args, **kwargs)`` in a worker thread; raises CancelledError when the app stops."""

    def boxed() -> tuple[R]:
        return (call(*args, **kwargs),)

    result = await run.io_bound(boxed)
    if result is None:
        raise asyncio.CancelledError
    return result[0]


_END = object()


@dataclass(frozen=True, slots=True)
class _Failed:
    error: Exception


async def stream_in_thread(produce: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
    """The items of ``produce()``, iterated in a worker thread; its exception is raised here.

    When the consumer stops early (the page was closed), the thread stops after its current item.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    stop = threading.Event()

    def pump() -> None:
        try:
            for item in produce():
                loop.call_soon_threadsafe(queue.put_nowait, item)
                if stop.is_set():
                    return
        except Exception as error:
            loop.call_soon_threadsafe(queue.put_nowait, _Failed(error))
        else:
            loop.call_soon_threadsafe(queue.put_nowait, _END)

    background_tasks.create(run.io_bound(pump), name="stream in thread")
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
