"""Leaving a view in the middle of something: no error in the browser's console, none in the server log.

A page that was just filled must not be refilled when its browser connects (the charts would be deleted
while echarts still draws them), and a dialog awaited by the server must close quietly when its tab is
gone (NiceGUI has deleted it with the page by then).
"""

from __future__ import annotations

import time

from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.e2e.conftest import UI_MS, WebServer, log_in_admin

#: NiceGUI deletes a page this long after its tab disconnected (``reconnect_timeout`` in luna.web.mount).
RECONNECT_SEC = 10.0


def test_leaving_the_chart_views_raises_no_error_in_the_browser(page: Page, web: WebServer) -> None:
    errors: list[str] = []
    page.on("console", lambda message: _collect(errors, message))
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in_admin(page, web)

    page.goto(f"{web.base_url}/admin/activity")
    expect(
        page.locator(".q-card", has_text="Einlesen von Dokumenten").locator("canvas").first
    ).to_be_visible()
    page.wait_for_timeout(1500)  # the browser has connected, and the page would have been refilled
    page.goto(f"{web.base_url}/admin/flywheel")
    expect(page.get_by_role("heading", name="Daten-Schwungrad")).to_be_visible()
    page.wait_for_timeout(1500)
    page.goto(f"{web.base_url}/admin/jobs")
    expect(page.get_by_role("heading", name="Jobs")).to_be_visible()

    assert errors == []


def test_closing_the_tab_of_an_open_document_view_logs_no_server_error(
    browser: Browser, web: WebServer
) -> None:
    viewer = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    viewer.set_default_timeout(UI_MS)
    reading = viewer.new_page()
    log_in_admin(reading, web)
    reading.goto(f"{web.base_url}/admin/corpus")
    reading.get_by_role("button", name="Dokument ansehen:").first.click()
    expect(reading.locator(".q-dialog").get_by_role("button", name="Schließen")).to_be_visible()
    viewer.close()  # the tab goes while the server awaits the dialog
    time.sleep(RECONNECT_SEC + 3)

    checking = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    checking.set_default_timeout(UI_MS)
    logs = checking.new_page()
    log_in_admin(logs, web)
    logs.goto(f"{web.base_url}/admin/logs")
    search = logs.get_by_label("Fehlernummer oder Trace-ID")
    search.fill("not in list")
    search.press("Enter")
    expect(logs.get_by_text("Kein Eintrag der letzten Zeit nennt „not in list“")).to_be_visible()
    checking.close()


def _collect(errors: list[str], message: ConsoleMessage) -> None:
    if message.type == "error":
        errors.append(message.text)
