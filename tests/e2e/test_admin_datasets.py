"""The "Daten" view in a real browser: the operator runs the meter pipeline, and the view shows the
new version with its quality, the steps' findings, its lineage and the energy store as its consumer."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import WebServer, log_in_admin, shoot, wait_for_job

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_pipeline_run_shows_its_version_quality_steps_and_consumer(page: Page, web: WebServer) -> None:
    log_in_admin(page, web)
    page.get_by_role("link", name="Daten", exact=True).click()
    expect(page.get_by_role("heading", name="Pipelines", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="feedback-sft", exact=True)).to_be_visible()

    page.get_by_role("button", name="Jetzt ausführen: energy-readings").click()
    expect(page.get_by_text("Pipeline „energy-readings“ gestartet")).to_be_visible()
    with web.admin() as admin:
        jobs = admin.get("/admin/jobs", params={"name": "datasets.run"}).json()["data"]["items"]
        wait_for_job(admin, jobs[0]["job_id"])

    version = page.locator(".q-card").filter(has_text="energy-readings · Version")
    expect(version.last).to_contain_text("verteilt")  # the view refreshes while a run runs
    expect(version.last).to_contain_text("Qualität")
    expect(version.last).to_contain_text("Herkunft: luna:readings")
    expect(version.last).to_contain_text("Abnehmer energy: Version 1, übergeben")
    version.last.get_by_text("Was die Schritte gefunden haben").click()
    expect(version.last).to_contain_text("Dubletten, gleich (dedup:strict): ")
    expect(version.last).not_to_contain_text("{'")  # an example as a dict
    version.last.get_by_text("Herkunft und Abnehmer als Graph").click()
    graph = version.last.locator("svg").filter(has_text="energy-readings · Version")
    expect(graph).to_contain_text("luna:readings")  # mermaid drew inputs → version → consumer
    expect(graph).to_contain_text("energy: übergeben")
    shoot(page, "admin-datasets")
