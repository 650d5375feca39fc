"""Browser pages on the origins an operator lists (``api.cors_origins``) may call the API; others may
not, and without a list no page on another origin may."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from luna.settings import SettingsError, load_settings
from tests.api.conftest import ADMIN_KEY, http_client

pytestmark = pytest.mark.anyio

CHAT = "https://chat.example.org"
PREFLIGHT = {
    "Origin": CHAT,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


async def test_a_listed_origin_passes_the_preflight_and_reads_answers_and_errors(
    build_app: Callable[..., FastAPI],
) -> None:
    async with http_client(build_app(LUNA_API__CORS_ORIGINS=f'["{CHAT}"]')) as client:
        preflight = await client.options("/v1/chat/completions", headers=PREFLIGHT)
        health = await client.get("/api/v1/system/info", headers={"Origin": CHAT})
        refused = await client.get("/api/v1/admin/jobs", headers={"Origin": CHAT, "X-Admin-Key": "wrong"})
        admin = await client.get("/api/v1/admin/jobs", headers={"Origin": CHAT, "X-Admin-Key": ADMIN_KEY})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == CHAT
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert health.headers["access-control-allow-origin"] == CHAT
    assert "X-Trace-Id" in health.headers["access-control-expose-headers"]
    # the page can read why it was refused, in the envelope
    assert refused.status_code == 403 and refused.headers["access-control-allow-origin"] == CHAT
    assert refused.json()["status"] == "error"
    assert admin.status_code == 200


async def test_an_origin_not_listed_gets_no_permission(build_app: Callable[..., FastAPI]) -> None:
    async with http_client(build_app(LUNA_API__CORS_ORIGINS=f'["{CHAT}"]')) as client:
        preflight = await client.options(
            "/v1/chat/completions", headers={**PREFLIGHT, "Origin": "https://evil.example"}
        )
        health = await client.get("/api/v1/system/info", headers={"Origin": "https://evil.example"})

    assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in health.headers


async def test_without_a_list_no_other_origin_is_allowed(client: httpx.AsyncClient) -> None:
    preflight = await client.options("/v1/chat/completions", headers=PREFLIGHT)
    health = await client.get("/api/v1/system/info", headers={"Origin": CHAT})

    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code >= 400
    assert health.status_code == 200 and "access-control-allow-origin" not in health.headers


@pytest.mark.parametrize(
    "origin", ["https://chat.example.org/", "https://chat.example.org/app", "chat.example.org", "ftp://x.org"]
)
def test_an_entry_that_is_no_origin_is_refused_when_the_settings_load(tmp_path: Path, origin: str) -> None:
    with pytest.raises(SettingsError, match=r"api\.cors_origins.*is no origin"):
        load_settings(environ={"LUNA_API__CORS_ORIGINS": f'["{origin}"]'}, env_file=tmp_path / "absent.env")
