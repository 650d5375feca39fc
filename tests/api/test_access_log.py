"""One JSON access-log line per request: enough to trace it, nothing private."""

from __future__ import annotations

import io
import time
import uuid

import httpx
import jwt
import pytest

from tests.api.conftest import ADMIN_KEY, JWT_SECRET, log_lines

pytestmark = pytest.mark.anyio


def access_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [line for line in log_lines(stream) if line.get("logger") == "luna.api.access"]


async def test_one_line_per_request_with_trace_route_status_and_duration(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    job_id = str(uuid.uuid4())
    response = await client.get(f"/api/v1/admin/jobs/{job_id}", headers={"X-Admin-Key": ADMIN_KEY})

    [line] = access_lines(json_logs)
    assert line["trace_id"] == response.headers["X-Trace-Id"]
    assert line["method"] == "GET"
    assert line["route"] == "/api/v1/admin/jobs/{job_id}"
    assert line["status"] == 404
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "info"
    assert "timestamp" in line


async def test_no_query_strings_headers_secrets_or_client_address(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    user_token = jwt.encode({"sub": str(uuid.uuid4()), "exp": int(time.time()) + 60}, JWT_SECRET)
    await client.get(
        "/api/v1/admin/jobs?name=private-name",
        headers={
            "X-Admin-Key": ADMIN_KEY,
            "Authorization": f"Bearer {user_token}",
            "User-Agent": "secret-agent",
        },
    )
    await client.post("/api/v1/admin/jobs", headers={"X-Admin-Key": ADMIN_KEY}, json={"name": "body-secret"})

    written = json_logs.getvalue()
    assert len(access_lines(json_logs)) == 2
    for private in ("private-name", ADMIN_KEY, user_token, "secret-agent", "body-secret", "127.0.0.1"):
        assert private not in written
