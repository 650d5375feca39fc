"""Service accounts in a real browser: made with chosen scopes, the key shown once and working,
then revoked so that the same key is refused."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import WebServer, log_in_admin, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_an_account_is_made_its_key_works_once_shown_and_revoking_ends_it(page: Page, web: WebServer) -> None:
    log_in_admin(page, web)
    page.get_by_role("link", name="Dienstkonten", exact=True).click()
    expect(page.get_by_role("heading", name="Dienstkonten", exact=True).first).to_be_visible()

    page.get_by_label("Name (z. B. n8n oder grafana)").fill("grafana-e2e")
    page.get_by_role("button", name="Dienstkonto anlegen").click()
    expect(page.get_by_text("Wählen Sie mindestens eine Berechtigung.")).to_be_visible()  # nothing made
    page.get_by_role("checkbox", name="kpi:read: Kennzahlen und Sitzungszahlen lesen").click()
    page.get_by_role("button", name="Dienstkonto anlegen").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("zeigt ihn nie wieder")
    key = dialog.locator("code").inner_text().strip()
    assert key.startswith("luna_sa_")
    shoot(page, "admin-accounts-key")
    dialog.get_by_role("button", name="Schließen").click()
    expect(dialog).to_have_count(0)  # closing takes a round trip: act on the page after it

    rows = page.locator(".q-card").filter(has_text="grafana-e2e")
    expect(rows.last).to_contain_text("kpi:read")
    expect(rows.last).to_contain_text("zuletzt benutzt noch nie")
    expect(page.get_by_text(key)).to_have_count(0)  # the list never shows the key again
    with httpx.Client(base_url=web.api, headers={"X-Service-Key": key}, timeout=30) as client:
        assert client.get("/flywheel/kpis").status_code == 200
        page.reload()
        expect(rows.last).not_to_contain_text("zuletzt benutzt noch nie")
        shoot(page, "admin-accounts")

        page.get_by_role("button", name="Sperren: grafana-e2e").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Sperren").click()
        expect(page.get_by_text("Dienstkonto „grafana-e2e“ gesperrt.")).to_be_visible()
        expect(rows.last).to_contain_text("gesperrt")
        assert client.get("/flywheel/kpis").status_code == 401


def test_a_tab_left_open_after_logging_out_elsewhere_can_do_nothing(page: Page, web: WebServer) -> None:
    """The login was checked only when a page was built: a second tab created a service account and
    showed its key after the operator had logged out in the first."""
    log_in_admin(page, web)
    other_tab = page.context.new_page()
    other_tab.goto(f"{web.base_url}/admin/accounts")
    expect(other_tab.get_by_role("heading", name="Dienstkonten", exact=True).first).to_be_visible()
    other_tab.get_by_label("Name (z. B. n8n oder grafana)").fill("nach-dem-abmelden")
    other_tab.get_by_role("checkbox", name="kpi:read: Kennzahlen und Sitzungszahlen lesen").click()
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_label("Admin-Schlüssel")).to_be_visible()

    other_tab.get_by_role("button", name="Dienstkonto anlegen").click()

    expect(other_tab.get_by_role("alert")).to_contain_text("Ihre Anmeldung ist abgelaufen")
    expect(other_tab).to_have_url(f"{web.base_url}/admin/login?next=/admin/accounts&ended=1")
    shoot(other_tab, "admin-login-ended")
    with httpx.Client(base_url=web.api, headers={"X-Admin-Key": web.admin_key}, timeout=30) as client:
        names = [
            account["name"] for account in client.get("/admin/service-accounts").json()["data"]["accounts"]
        ]
    assert "nach-dem-abmelden" not in names


def test_enter_creates_an_account_and_a_taken_name_is_named(page: Page, web: WebServer) -> None:
    log_in_admin(page, web)
    page.goto(f"{web.base_url}/admin/accounts")
    name = page.get_by_label("Name (z. B. n8n oder grafana)")
    scope = page.get_by_role("checkbox", name="kpi:read: Kennzahlen und Sitzungszahlen lesen")
    for attempt in range(2):
        name.fill("n8n-doppelt")
        scope.click()
        name.press("Enter")
        if attempt == 0:
            dialog = page.get_by_role("dialog")
            expect(dialog).to_contain_text("zeigt ihn nie wieder")
            dialog.get_by_role("button", name="Schließen").click()
            expect(dialog).to_have_count(0)

    expect(page.get_by_text("Ein Dienstkonto „n8n-doppelt“ gibt es bereits")).to_be_visible()
