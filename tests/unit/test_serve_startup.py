"""`luna serve` starts its job and warm-up threads only once the app's startup is over: NiceGUI's
startup looks through every object of the process, and a thread building a tuple meanwhile fails with
CPython's "SystemError: Objects/tupleobject.c:927" (the demo backfill did, inside pandas)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient

from luna.cli.serve import _once_started, _port_taken


def test_background_work_starts_after_the_startup_and_before_the_first_request() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("startup done")  # where NiceGUI has looked through every object
        yield
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.get("/ping")
    def ping() -> str:
        events.append("request")
        return "pong"

    _once_started(
        app,
        lambda: events.append("background work started"),
        lambda: events.append("background work stopped"),
    )
    assert events == []  # nothing starts while the app is only being built
    with TestClient(app) as client:
        assert client.get("/ping").status_code == 200

    # Stopped inside the lifespan: on SIGTERM, uvicorn ends the process right after it.
    assert events == [
        "startup done",
        "background work started",
        "request",
        "shutdown",
        "background work stopped",
    ]


def test_a_host_that_resolves_to_nothing_says_to_check_the_host_not_another_serve() -> None:
    problem = _port_taken("no-such-host.invalid", 8000)

    assert problem is not None and problem.startswith("cannot listen on no-such-host.invalid:8000")
    assert problem.endswith("check --host / api.host") and "another `luna serve`" not in problem
