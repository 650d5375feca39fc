"""The flywheel in a real browser: sessions arrive through the webhook, the operator starts the
evaluation, and the view shows the fired alert, the KPIs and the change in the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import JOB_SEC, WebServer, log_in_admin, shoot, wait_for_job

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def send_unhelpful_sessions(web: WebServer, count: int) -> None:
    """``count`` sessions from an n8n-style client, each with one answer rated not useful."""
    with web.admin() as admin:
        created = admin.post(
            "/admin/service-accounts", json={"name": "n8n-e2e", "scopes": ["sessions:write"]}
        )
        assert created.status_code == 201, created.text
        key = created.json()["data"]["key"]
    asked = (datetime.now(UTC) - timedelta(minutes=2)).isoformat()
    sessions = [
        {
            "session_id": f"e2e-{n}",
            "user_id": f"kunde-{n}@example.org",
            "consent": True,
            "source": "n8n",
            "turns": [
                {
                    "question": "Wie hoch ist die Einspeisevergütung?",
                    "answer": "Dazu habe ich nichts gefunden.",
                    "asked_at": asked,
                    "rating": -1,
                    "note": "Leider nicht hilfreich.",
                }
            ],
        }
        for n in range(count)
    ]
    with httpx.Client(base_url=web.api, headers={"X-Service-Key": key}, timeout=60) as client:
        response = client.post("/hooks/sessions", json={"sessions": sessions})
    assert response.status_code == 200, response.text


def test_an_alert_fires_after_the_operator_starts_the_evaluation(page: Page, web: WebServer) -> None:
    send_unhelpful_sessions(web, 25)
    log_in_admin(page, web)
    page.get_by_role("link", name="Schwungrad", exact=True).click()
    expect(page.get_by_role("heading", name="Daten-Schwungrad", exact=True)).to_be_visible()

    page.get_by_role("button", name="Jetzt auswerten").click()
    expect(page.get_by_text("Auswertung gestartet")).to_be_visible()
    with web.admin() as admin:
        [job] = admin.get("/admin/jobs", params={"name": "flywheel.hourly"}).json()["data"]["items"]
        wait_for_job(admin, job["job_id"])
    page.reload()

    expect(page.get_by_role("cell", name="Kritisch").first).to_be_visible(timeout=JOB_SEC * 1000)
    expect(
        page.get_by_role("cell", name="Zu wenige Antworten werden als hilfreich bewertet.").first
    ).to_be_visible()
    kpis = page.locator(".q-card").filter(has_text="Kennzahlen pro Tag")
    expect(kpis).to_contain_text("Hilfreich-Quote")
    expect(kpis).to_contain_text("0,0 %")
    expect(page.locator(".q-card").filter(has_text="Verlauf der Alarme")).to_contain_text(
        "alle Themen: in Ordnung → kritisch"
    )
    actions = page.locator(".q-card").filter(has_text="Maßnahmen").first
    expect(actions).to_contain_text("Wissenslücke schließen")
    expect(actions).to_contain_text("Wie hoch ist die Einspeisevergütung?")  # an example of the gap
    actions.get_by_role("button", name="Freigeben").first.click()
    expect(page.get_by_text("Maßnahme freigegeben.")).to_be_visible()
    expect(actions).to_contain_text("freigegeben")

    reports = page.locator(".q-card").filter(has_text="Berichte: Themen und Wissenslücken")
    expect(reports).to_contain_text("vector_ingest_report.md")
    reports.get_by_text("Neuester Bericht anzeigen").click()
    expect(reports).to_contain_text("Wissenslücken")
    shoot(page, "admin-flywheel")
