"""The OpenAPI docs work on an offline install: Swagger UI's assets come from the app itself."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI

from tests.api.conftest import http_client


@pytest.mark.anyio
async def test_docs_page_loads_its_assets_from_luna_not_a_cdn(app: FastAPI) -> None:
    async with http_client(app) as client:
        page = await client.get("/api/v1/docs")
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page.text)
        assert assets, "the docs page references no script or stylesheet"
        for asset in assets:
            assert asset.startswith("/api/v1/"), f"{asset} is not served by Luna"
            served = await client.get(asset)
            assert served.status_code == 200 and len(served.content) > 10_000
        spec = await client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/admin/health" in spec.json()["paths"]
