"""API fixtures: a real container (SQLite in a temporary data dir) behind the real app, over HTTP."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import structlog
import uvicorn
from fastapi import FastAPI

from luna.api.app import create_app
from luna.container import Container, build_container
from luna.domain.energy import MeterInfo
from luna.logging_setup import configure_logging
from luna.services.operations.jobs import KnownJobs
from luna.settings import LoggingSettings, Settings
from luna.workers.registry import PARAM_CHECKS
from tests.contracts.s3_support import free_port

ADMIN_KEY = "test-admin-key-0123456789"
JWT_SECRET = "test-jwt-secret-0123456789abcdef"
KNOWN_JOB = "maintenance.refresh_events_daily"
BASE_URL = "http://luna.test"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def build_app(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., FastAPI]]:
    """``build_app(**env)``: an app on a fresh, migrated container; keyword overrides as ``LUNA_…``."""
    containers: list[Container] = []

    def build(known_jobs: KnownJobs = (KNOWN_JOB,), **env: Any) -> FastAPI:
        container = build_container(make_settings(**env), lambda: known_jobs)
        containers.append(container)
        container.database.upgrade()
        return create_app(container, param_checks=PARAM_CHECKS)

    yield build
    for container in containers:
        container.close()


@pytest.fixture
def app(build_app: Callable[..., FastAPI]) -> FastAPI:
    return build_app()


def with_sft_version(app: FastAPI, dataset: str = "documents-qa") -> FastAPI:
    """``app`` whose blob store holds version 1 of ``dataset`` with fine-tuning files, as a pipeline's
    finetune consumer writes them: the packaged template's dataset, so a run of it may be queued."""
    container: Container = app.state.container
    line = '{"messages": [{"role": "user", "content": "Was ist ein Tarif?"}]}\n'
    container.blobs.put(f"datasets/{dataset}/v1/sft/train.jsonl", line.encode())
    return app


def http_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as client:
        yield client


@pytest.fixture
def admin() -> dict[str, str]:
    """Headers of an operator with the right admin key."""
    return {"X-Admin-Key": ADMIN_KEY}


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Logs configured as in production (JSON lines), written into the returned buffer."""
    loggers = [logging.getLogger(), logging.getLogger("httpx"), logging.getLogger("httpcore")]
    saved_levels = [logger.level for logger in loggers]
    saved_handlers = loggers[0].handlers[:]
    stream = io.StringIO()
    configure_logging(LoggingSettings(level="INFO", json_format=True), stream=stream)
    yield stream
    loggers[0].handlers[:] = saved_handlers
    for logger, level in zip(loggers, saved_levels, strict=True):
        logger.setLevel(level)
    structlog.reset_defaults()


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line written so far, each parsed as the JSON object it must be."""
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def meters(app: FastAPI) -> list[str]:
    """Three household meters in the app's energy store, linked to nobody."""
    ids = ["haus-1", "haus-2", "laden-1"]
    container: Container = app.state.container
    container.energy.upsert_meters(
        [MeterInfo(meter_id, kind="household", interval_s=900) for meter_id in ids]
    )
    return ids


@contextlib.contextmanager
def served_over_http(app: FastAPI) -> Iterator[str]:
    """``app`` on a real uvicorn on loopback, for clients that bring their own HTTP stack (the ``openai``
    package) or need a real connection to drop: its base URL, e.g. ``http://127.0.0.1:41234``."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
