"""Browser tests of the dashboards: a real server on a fresh data dir, driven by Debian's Chromium.

The server is ``luna serve`` in its own process (the API with the dashboards mounted and the
in-process worker; test profile, demo data off), seeded through the API with one small document and two days
of two simulated meters. Playwright drives ``/usr/bin/chromium`` (never a downloaded browser) at a
1280×720 laptop size, in German and in Berlin time. Without Chromium the suite skips on a developer
machine and fails under ``CI=true``. Screenshots of each view go to ``tests/e2e/screenshots/``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.conftest import IN_CI
from tests.contracts.s3_support import free_port
from tests.integration.support import luna_serve

#: The dashboards' days are German days.
BERLIN = ZoneInfo("Europe/Berlin")

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).parent / "screenshots"
SAMPLE = ROOT / "docs" / "samples" / "stromtarife-und-lastverschiebung.md"
E2E_ADMIN_KEY = "e2e-admin-key-0123456789abcdef"
E2E_JWT_SECRET = "e2e-jwt-secret-0123456789abcdef-0123456789"
START_SEC = 90.0
JOB_SEC = 120.0
#: How long a view may take to show what a test waits for (first answers load the embedding model).
UI_MS = 30_000
# Assertions wait as long as actions do: Playwright's own 5 s for `expect` is too short when three test
# workers share two cores and a view's update makes a round trip through a busy server.
expect.set_options(timeout=UI_MS)
FINISHED = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class WebServer:
    base_url: str
    admin_key: str
    meter_ids: list[str]

    @property
    def api(self) -> str:
        return f"{self.base_url}/api/v1"

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.api, headers={"X-Admin-Key": self.admin_key}, timeout=60)


def _require_chromium() -> None:
    if CHROMIUM.is_file():
        return
    message = f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"{message}; CI requires it (.ci/run installs it)")
    pytest.skip(f"{message} to run the browser tests")


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    _require_chromium()
    data_dir = tmp_path_factory.mktemp("e2e") / "var"
    port = free_port()
    env = {
        **os.environ,
        "LUNA_PROFILE": "test",
        "LUNA_DATA_DIR": str(data_dir),
        "LUNA_ENV_FILE": os.devnull,
        "API_PORT": str(port),
        "ADMIN_API_KEY": E2E_ADMIN_KEY,
        "JWT_SECRET": E2E_JWT_SECRET,
        "LUNA_WEB__REFRESH_SEC": "2",
        "LUNA_LEARNING__SCHEDULE_ENABLED": "false",
        "LUNA_API__START_WORKER": "true",
    }
    with luna_serve(str(port), data_dir.parent / "server.log", env=env, start_sec=START_SEC):
        server = WebServer(f"http://127.0.0.1:{port}", E2E_ADMIN_KEY, [])
        yield WebServer(server.base_url, E2E_ADMIN_KEY, _seed(server))


def _seed(server: WebServer) -> list[str]:
    """One document, and two days of two simulated meters with prices; returns the meter IDs."""
    # Two days ending two hours ago: a test may add the next hour, and that hour has passed too. Never at
    # a German midnight: the tests read partial first and last days, and from 02:00 to 02:59 (German
    # time) "two hours ago" is midnight, so every day bar was whole and no running day had data.
    anchor = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    if anchor.astimezone(BERLIN).hour == 0:
        anchor -= timedelta(hours=1)
    with server.admin() as admin:
        with SAMPLE.open("rb") as sample:
            uploaded = admin.post("/ingest/doc", files={"file": (SAMPLE.name, sample, "text/markdown")})
        assert uploaded.status_code == 201, uploaded.text
        params = {"start": (anchor - timedelta(days=2)).isoformat(), "end": anchor.isoformat(), "meters": 2}
        submitted = admin.post("/admin/jobs", json={"name": "sim.backfill", "params": params})
        assert submitted.status_code == 202, submitted.text
        wait_for_job(admin, submitted.json()["data"]["job_id"])
        meters = admin.get("/data/meters").json()["data"]["meters"]
    return [meter["meter_id"] for meter in meters]


def wait_for_job(admin: httpx.Client, job_id: str) -> dict[str, object]:
    """Poll the job through the API until it ended; fail unless it succeeded."""
    deadline = time.monotonic() + JOB_SEC
    while (job := admin.get(f"/admin/jobs/{job_id}").json()["data"])["status"] not in FINISHED:
        assert time.monotonic() < deadline, f"job did not finish within {JOB_SEC:g} s: {job}"
        time.sleep(0.2)
    assert job["status"] == "succeeded", job
    return dict(job)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright, web: WebServer) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
    )
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 720}, locale="de-DE", timezone_id="Europe/Berlin"
    )
    context.set_default_timeout(UI_MS)
    opened = context.new_page()
    yield opened
    context.close()


def shoot(page: Page, name: str) -> None:
    """A full-page screenshot of the current view, for people to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def log_in_customer(page: Page, web: WebServer) -> str:
    """Log in through the development user picker as a new user; returns the user ID."""
    page.goto(f"{web.base_url}/")
    page.get_by_role("button", name="Neue Benutzer-ID").click()
    user_field = page.get_by_label("Benutzer-ID (UUID)")
    expect(user_field).not_to_have_value("")
    user_id = user_field.input_value()
    page.get_by_role("button", name="Anmelden").last.click()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
    return user_id


def log_in_admin(page: Page, web: WebServer) -> None:
    page.goto(f"{web.base_url}/admin")
    # Before NiceGUI's handshake the browser holds each event in its own timer, so the key's value and
    # the Enter may reach the server in either order ("Bitte geben Sie den Admin-Schlüssel ein").
    page.wait_for_function("window.did_handshake === true")
    page.get_by_label("Admin-Schlüssel").fill(web.admin_key)
    page.get_by_label("Admin-Schlüssel").press("Enter")
    expect(page.get_by_role("heading", name="Übersicht & Gesundheit")).to_be_visible()
