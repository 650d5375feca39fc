"""/api/v1/admin/health lists every component; one down makes it degraded, still HTTP 200."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from luna.domain.health import ComponentHealth, HealthStatus
from luna.services.operations.health import HealthService
from tests.api.conftest import http_client

COMPONENTS = {"database", "vectors", "blobs", "jobs", "extract", "embeddings", "index", "chat"}
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.mark.anyio
async def test_health_shows_every_component_up(
    build_app: Callable[..., FastAPI], admin: dict[str, str]
) -> None:
    async with http_client(build_app()) as client:
        response = await client.get("/api/v1/admin/health", headers=admin)

    assert response.status_code == 200
    health = response.json()["data"]
    assert set(health["components"]) == COMPONENTS
    for name, component in health["components"].items():
        assert component["status"] == "up", (name, component)
        assert component["backend"]
        assert set(component) == {"status", "backend", "latency_ms", "version", "detail", "extra"}
    assert health["status"] == "ok"
    assert "luna" in health["versions"]
    # The seed's contract: services by its names; the embedded stack needs no Ollama, Tika or MinIO.
    assert health["services"] == {
        "api": "up",
        "db": "up",
        "qdrant": "up",
        "ollama": "not_used",
        "tika": "not_used",
        "minio": "not_used",
    }


@pytest.mark.anyio
async def test_one_component_down_makes_it_degraded_with_http_200(
    build_app: Callable[..., FastAPI], admin: dict[str, str]
) -> None:
    app = build_app(LUNA_JOBS__KIND="redis", LUNA_JOBS__REDIS_URL=UNREACHABLE_REDIS)
    async with http_client(app) as client:
        response = await client.get("/api/v1/admin/health", headers=admin)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"  # the request worked; the system is degraded
    assert body["data"]["status"] == "degraded"
    jobs = body["data"]["components"]["jobs"]
    assert jobs["status"] == "down"
    assert jobs["detail"]
    assert body["data"]["components"]["database"]["status"] == "up"


@pytest.mark.anyio
async def test_a_component_that_cannot_be_opened_is_listed_down(
    build_app: Callable[..., FastAPI], admin: dict[str, str], tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "file-not-folder"
    not_a_folder.write_text("x", encoding="utf-8")
    app = build_app(LUNA_VECTORS__PATH=str(not_a_folder))
    async with http_client(app) as client:
        response = await client.get("/api/v1/admin/health", headers=admin)

    assert response.status_code == 200
    health = response.json()["data"]
    assert health["status"] == "degraded"
    assert health["components"]["vectors"]["status"] == "down"
    assert "cannot be opened" in health["components"]["vectors"]["detail"]
    assert health["components"]["database"]["status"] == "up"


class _Check:
    def __init__(self, behaviour: Callable[[], ComponentHealth]) -> None:
        self.health = behaviour


def _up(name: str) -> Callable[[], ComponentHealth]:
    return lambda: ComponentHealth(name=name, status=HealthStatus.UP, backend="fake", version="1.2")


def test_seed_services_follow_the_component_that_plays_their_role() -> None:
    from luna.services.operations.health import HealthReport, seed_services

    def part(name: str, backend: str, status: HealthStatus) -> ComponentHealth:
        return ComponentHealth(name=name, status=status, backend=backend)

    report = HealthReport(
        "degraded",
        {
            "database": part("database", "postgresql", HealthStatus.UP),
            "vectors": part("vectors", "qdrant", HealthStatus.DOWN),
            "chat": part("chat", "ollama", HealthStatus.UP),
            "embeddings": part("embeddings", "ollama", HealthStatus.DOWN),
            "extract": part("extract", "tika", HealthStatus.UP),
            "blobs": part("blobs", "filesystem", HealthStatus.UP),
        },
    )
    assert seed_services(report) == {
        "api": "up",
        "db": "up",
        "qdrant": "down",
        "ollama": "down",  # one of its two roles is down
        "tika": "up",
        "minio": "not_used",
    }


def test_a_check_that_raises_is_down_with_its_reason() -> None:
    def explode() -> ComponentHealth:
        raise ConnectionError("refused")

    report = HealthService({"ok": _Check(_up("ok")), "broken": _Check(explode)}).check()

    assert report.status == "degraded"
    assert report.components["ok"].status is HealthStatus.UP
    assert report.components["broken"].status is HealthStatus.DOWN
    assert "ConnectionError: refused" in str(report.components["broken"].detail)
    assert report.versions["ok"] == "1.2"


def test_a_hanging_check_is_down_after_the_timeout_and_others_still_answer() -> None:
    release = threading.Event()

    def hang() -> ComponentHealth:
        release.wait(10)
        return _up("slow")()

    started = time.monotonic()
    report = HealthService({"ok": _Check(_up("ok")), "slow": _Check(hang)}, timeout_sec=0.3).check()
    elapsed = time.monotonic() - started
    release.set()

    assert elapsed < 2
    assert report.components["ok"].status is HealthStatus.UP
    assert report.components["slow"].status is HealthStatus.DOWN
    assert "no answer within 0.3 s" in str(report.components["slow"].detail)
