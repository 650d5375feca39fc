"""A real Prometheus scrapes a real `luna serve` with the shipped scrape config and alerting rules.

The config is ``deploy/prometheus.yml`` with only what a test must change: a 1 s interval, the test
server as the target, the admin key file's path and the shipped ``luna-alerts.yml`` as its rule file.
Luna's database holds 20 thumbs-down sessions with their KPIs, so the scrape carries
``luna_kpi_value``/``luna_kpi_samples`` and the shipped ``usefulness_low`` rule must fire on them.

``prometheus`` comes with Debian's ``prometheus`` package (``.ci/run`` installs it); under ``CI=true``
a missing binary fails instead of skipping, so the check cannot silently stop running.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from luna.container import build_container
from luna.domain.flywheel.sessions import IncomingSession, SessionTurn
from luna.settings import ensure_local_secrets, load_settings
from tests.contracts.s3_support import free_port
from tests.integration.support import luna_serve

ROOT = Path(__file__).resolve().parents[2]
SCRAPE_CONFIG = ROOT / "deploy" / "prometheus.yml"
RULES = ROOT / "deploy" / "prometheus" / "luna-alerts.yml"
ADMIN_KEY = "scrape-admin-key-0123456789abcdef"
#: Thumbs-down sessions stored before the server starts: the shipped rules need 20 samples.
SESSIONS = 20
WITHIN_SEC = 60.0


def prometheus_binary() -> str:
    found = shutil.which("prometheus")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("prometheus is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    return found


@dataclass(frozen=True)
class Scraping:
    """The running Prometheus: its address, the shipped job name, its rule file copy and its log."""

    api: str
    job: str
    rules_file: Path
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.api}/api/v1/{path}", params=params, timeout=5)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "success", body
        return body["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        data = self.get("query", query=promql)
        assert data["resultType"] == "vector", data
        result: list[dict[str, Any]] = data["result"]
        return result

    def wait(self, condition: Callable[[], bool], what: str) -> None:
        """Poll until ``condition`` holds; fail naming ``what`` with Prometheus' log after WITHIN_SEC."""
        deadline = time.monotonic() + WITHIN_SEC
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"prometheus exited ({self.process.returncode}): {self.log.read_text()}")
            try:
                if condition():
                    return
            except httpx.TransportError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                pytest.fail(f"not within {WITHIN_SEC:g} s: {what}\n{self.log.read_text()[-4000:]}")
            time.sleep(0.1)


def _seed(env: dict[str, str]) -> None:
    """20 sessions rated 👎 and their KPIs, written through the services before the server starts."""
    container = build_container(ensure_local_secrets(load_settings(environ=env)))
    try:
        container.database.upgrade()
        asked = datetime.now(UTC) - timedelta(minutes=1)
        turn = SessionTurn("Was kostet Strom?", "30 ct/kWh", asked, rating=-1)
        container.services.sessions.ingest(
            [IncomingSession(f"s{n}", "n8n", f"kunde-{n}", True, (turn,)) for n in range(SESSIONS)]
        )
        container.services.kpis.compute()
    finally:
        container.close()


def _config(shipped: dict[str, Any], target: str, key_file: Path, rules: Path) -> dict[str, Any]:
    """The shipped config with the test's interval, target, key file and rule file; the rest as shipped."""
    (job,) = shipped["scrape_configs"]
    assert job["authorization"]["credentials_file"] == "/etc/prometheus/luna_admin_key"
    scrape = {
        **job,
        "authorization": {**job["authorization"], "credentials_file": str(key_file)},
        "static_configs": [{"targets": [target]}],
    }
    timing = {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
    return {
        **shipped,
        "global": {**shipped["global"], **timing},
        "rule_files": [str(rules)],
        "scrape_configs": [scrape],
    }


@pytest.fixture(scope="module")
def scraping(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scraping]:
    binary = prometheus_binary()
    base = tmp_path_factory.mktemp("prometheus-scrape")
    luna_port = free_port()
    env = {
        **os.environ,
        "LUNA_PROFILE": "test",
        "LUNA_DATA_DIR": str(base / "var"),
        "LUNA_ENV_FILE": os.devnull,
        "API_PORT": str(luna_port),
        "ADMIN_API_KEY": ADMIN_KEY,
    }
    _seed(env)
    key_file = base / "luna_admin_key"
    key_file.write_text(ADMIN_KEY)
    rules = base / RULES.name
    shutil.copyfile(RULES, rules)
    shipped = yaml.safe_load(SCRAPE_CONFIG.read_text(encoding="utf-8"))
    config = base / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(_config(shipped, f"127.0.0.1:{luna_port}", key_file, rules)), encoding="utf-8"
    )
    prometheus_port = free_port()
    log = base / "prometheus.log"
    with luna_serve(str(luna_port), base / "serve.log", env=env), log.open("wb") as output:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={base / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            api = f"http://127.0.0.1:{prometheus_port}"
            running = Scraping(api, shipped["scrape_configs"][0]["job_name"], rules, process, log)
            running.wait(lambda: httpx.get(f"{api}/-/ready", timeout=1).status_code == 200, "ready")
            yield running
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_prometheus_scrapes_luna_with_the_shipped_config(scraping: Scraping) -> None:
    def target_up() -> bool:
        active = scraping.get("targets", state="active")["activeTargets"]
        return any(t["labels"]["job"] == scraping.job and t["health"] == "up" for t in active)

    scraping.wait(target_up, f"the {scraping.job} target is up")
    (target,) = scraping.get("targets", state="active")["activeTargets"]
    assert target["lastError"] == ""
    assert target["scrapeUrl"].endswith("/metrics")

    (up,) = scraping.query(f'up{{job="{scraping.job}"}}')
    assert up["value"][1] == "1"


def test_the_kpi_gauges_arrive_as_luna_serves_them(scraping: Scraping) -> None:
    selector = f'job="{scraping.job}",kpi="usefulness_rate",window="day",scope="all"'
    scraping.wait(
        lambda: bool(scraping.query(f"luna_kpi_samples{{{selector}}}")), "luna_kpi_samples is scraped"
    )

    (value,) = scraping.query(f"luna_kpi_value{{{selector}}}")
    (samples,) = scraping.query(f"luna_kpi_samples{{{selector}}}")
    assert float(value["value"][1]) == 0.0
    assert float(samples["value"][1]) == SESSIONS
    # Series that need no flywheel data: the usage gauges and the HTTP counter (luna serve's start-up
    # polled /api/v1/system/info before Prometheus began scraping).
    (chunks,) = scraping.query(f'luna_chunks{{job="{scraping.job}"}}')
    assert chunks["value"][1] == "0"
    info = f'luna_http_requests_total{{job="{scraping.job}",route="/api/v1/system/info",status="200"}}'
    (requests,) = scraping.query(info)
    assert float(requests["value"][1]) >= 1


def test_the_shipped_alert_rules_load_and_fire_on_the_scraped_kpis(scraping: Scraping) -> None:
    shipped = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]

    def evaluated() -> bool:
        groups = scraping.get("rules", type="alert")["groups"]
        return bool(groups) and all(r["health"] != "unknown" for g in groups for r in g["rules"])

    scraping.wait(evaluated, "every shipped rule has been evaluated")
    groups = scraping.get("rules", type="alert")["groups"]
    assert [(g["name"], g["file"]) for g in groups] == [
        (g["name"], str(scraping.rules_file)) for g in shipped
    ]
    loaded = [(r["name"], r["health"], r.get("lastError", "")) for g in groups for r in g["rules"]]
    assert loaded == [(r["alert"], "ok", "") for g in shipped for r in g["rules"]]

    def firing() -> set[tuple[str, str]]:
        alerts = scraping.get("alerts")["alerts"]
        return {(a["labels"]["alertname"], a["labels"]["severity"]) for a in alerts if a["state"] == "firing"}

    scraping.wait(lambda: ("usefulness_low", "critical") in firing(), "usefulness_low fires")
    assert {("usefulness_low", "warning"), ("usefulness_low", "critical")} <= firing()
    assert ("refusals_high", "warning") not in firing()  # no refusals: the other rules stay quiet
