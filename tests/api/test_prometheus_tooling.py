"""Prometheus' own tool accepts Luna's scrape config and lints what ``/metrics`` serves.

``promtool`` comes with Debian's ``prometheus`` package (``.ci/run`` installs it); under ``CI=true`` a
missing promtool fails instead of skipping, so the check cannot silently stop running.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from luna.domain.flywheel.sessions import IncomingSession, SessionTurn
from tests.api.conftest import ADMIN_KEY

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


def test_the_shipped_scrape_config_is_valid(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    key_file = tmp_path / "luna_admin_key"
    key_file.write_text(ADMIN_KEY)
    shipped = (REPO / "deploy" / "prometheus.yml").read_text()
    config.write_text(shipped.replace("/etc/prometheus/luna_admin_key", str(key_file)))
    result = subprocess.run([promtool(), "check", "config", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "credentials_file: /etc/prometheus/luna_admin_key" in shipped


async def test_the_exposition_passes_promtool_lint(app: FastAPI, client: httpx.AsyncClient) -> None:
    """With every family present: HTTP, jobs, usage and the flywheel's KPIs."""
    services = app.state.container.services
    turn = SessionTurn("Was kostet Strom?", "30 ct/kWh", datetime.now(UTC), rating=1, latency_ms=120.0)
    services.sessions.ingest([IncomingSession("s1", "n8n", "kunde", True, (turn,))])
    services.kpis.compute()
    await client.get("/api/v1/system/info")
    scraped = await client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert scraped.status_code == 200
    result = subprocess.run(
        [promtool(), "check", "metrics"], input=scraped.text, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
