"""The customer dashboard in a real browser: log in, ask Luna, open a source, rate the answer, read
the meter and price charts and the recommendations, with a help card on every view."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import WebServer, log_in_customer, shoot, wait_for_job

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_customer_logs_in_and_sees_the_insight_panel_with_help(page: Page, web: WebServer) -> None:
    log_in_customer(page, web)

    expect(page.get_by_text("Alle Dienste laufen")).to_be_visible()
    expect(page.get_by_text("Dokumente", exact=True)).to_be_visible()
    shoot(page, "customer-overview")
    page.get_by_text("Hilfe zu dieser Ansicht").click()
    expect(page.get_by_text("Die Übersicht zeigt auf einen Blick")).to_be_visible()


def test_a_question_streams_an_answer_whose_source_opens_and_whose_rating_is_stored(
    page: Page, web: WebServer
) -> None:
    log_in_customer(page, web)
    page.get_by_role("link", name="Fragen an Luna").click()

    page.get_by_label("Ihre Frage an Luna").fill(
        "Wann lohnt sich Lastverschiebung mit einem dynamischen Tarif?"
    )
    page.get_by_role("button", name="Fragen").click()
    expect(page.get_by_text("War diese Antwort hilfreich?")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Quelle 1: "))).to_be_visible()
    shoot(page, "customer-ask")

    page.get_by_role("button", name=re.compile(r"^Quelle 1: ")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Stromtarife und Lastverschiebung")).to_be_visible()
    shoot(page, "customer-ask-source")
    dialog.get_by_role("button", name="Schließen").click()

    page.get_by_role("button", name="Hilfreich", exact=True).click()
    page.get_by_label("Anmerkung (optional)").fill("Gut erklärt, danke.")
    page.get_by_role("button", name="Bewertung senden").click()
    expect(page.get_by_text("Danke! Ihre Bewertung hilft Luna")).to_be_visible()
    with httpx.Client(base_url=web.api, headers={"X-Admin-Key": web.admin_key}) as admin:
        overview = admin.get("/metrics/overview").json()["data"]
    assert overview["feedback"]["overall"]["useful"] >= 1


def test_the_meter_view_charts_consumption_and_pv_and_follows_new_readings(
    page: Page, web: WebServer
) -> None:
    user_id = log_in_customer(page, web)
    page.get_by_role("link", name="Smart-Meter").click()
    expect(page.get_by_text("Ihrem Konto ist noch kein Zähler zugeordnet")).to_be_visible()
    with web.admin() as admin:
        linked = admin.put(f"/admin/users/{user_id}/meters", json={"meter_ids": web.meter_ids[:1]})
    assert linked.status_code == 200, linked.text
    page.reload()

    caption = page.get_by_text(re.compile(r"^\d+ Werte, Auflösung: "))
    expect(caption).to_be_visible()
    expect(page.locator(".nicegui-echart canvas").first).to_be_visible()
    expect(page.get_by_text("Typischer Tagesverlauf")).to_be_visible()
    shoot(page, "customer-energy")
    page.get_by_label("Auflösung").click()
    page.get_by_role("option", name="Messwerte").click()
    readings = int(caption.inner_text().split()[0])

    # New readings arrive while the page is open: the chart follows by itself.
    _backfill_hour_before_the_first_reading(web)
    expect(caption).to_have_text(f"{readings + 60} Werte, Auflösung: Messwerte")


def test_the_market_view_charts_base_and_peak_and_lists_the_cheapest_windows(
    page: Page, web: WebServer
) -> None:
    user_id = log_in_customer(page, web)
    with web.admin() as admin:  # the cheapest windows are computed for the customer's own meter
        linked = admin.put(f"/admin/users/{user_id}/meters", json={"meter_ids": web.meter_ids[:1]})
    assert linked.status_code == 200, linked.text
    page.get_by_role("link", name="Marktpreise").click()

    expect(page.get_by_text("Durchschnitt BASE")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Günstigstes Fenster")).to_be_visible()
    expect(page.locator(".nicegui-echart canvas").first).to_be_visible()
    shoot(page, "customer-market")


def test_recommendations_show_reasons_and_energy_advice_in_euros(page: Page, web: WebServer) -> None:
    user_id = log_in_customer(page, web)
    with web.admin() as admin:
        linked = admin.put(f"/admin/users/{user_id}/meters", json={"meter_ids": web.meter_ids[:1]})
    assert linked.status_code == 200, linked.text
    page.get_by_role("link", name="Empfehlungen").click()

    expect(page.get_by_text("Lesenswert für Sie")).to_be_visible()
    expect(page.get_by_role("button", name="Lesen").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"€")).first).to_be_visible()
    shoot(page, "customer-recommendations")

    page.get_by_role("button", name="Lesen").first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")

    dismissable = page.get_by_role("button", name="Nicht interessant")
    cards = page.locator(".luna-citation").filter(has=dismissable)
    before = cards.count()
    cards.first.get_by_role("button", name="Nicht interessant").click()
    expect(
        page.get_by_text("Verstanden: Luna schlägt Ihnen diesen Abschnitt nicht mehr vor.")
    ).to_be_visible()
    expect(page.get_by_text("Fehlernummer")).to_have_count(0)
    expect(cards).to_have_count(before - 1)


def _backfill_hour_before_the_first_reading(web: WebServer) -> None:
    """Readings arrive for the meters: an hour before their first (always in the past, whatever else the
    suite's simulator wrote after them)."""
    with web.admin() as admin:
        first = admin.get("/data/meters").json()["data"]["meters"][0]["first_ts"]
        end = datetime.fromisoformat(first)
        params = {"start": (end - timedelta(hours=1)).isoformat(), "end": end.isoformat(), "meters": 2}
        submitted = admin.post("/admin/jobs", json={"name": "sim.backfill", "params": params})
        assert submitted.status_code == 202, submitted.text
        wait_for_job(admin, submitted.json()["data"]["job_id"])


def test_unknown_pages_and_api_paths_answer_in_their_own_language(page: Page, web: WebServer) -> None:
    page.goto(f"{web.base_url}/gibt-es-nicht")
    expect(page.get_by_text("Diese Seite gibt es nicht")).to_be_visible()
    with httpx.Client(base_url=web.base_url) as client:
        missing = client.get("/api/v1/gibt-es-nicht")
        wrong_method = client.get("/api/v1/rag/ask")
        metrics = client.get("/metrics", headers={"Authorization": f"Bearer {web.admin_key}"})
        docs = client.get("/api/v1/docs")
    assert missing.status_code == 404 and missing.json()["data"]["code"] == "not_found"
    assert wrong_method.status_code == 405 and wrong_method.json()["data"]["code"] == "method_not_allowed"
    assert metrics.status_code == 200 and "luna_http_requests_total" in metrics.text
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
