"""The customer's own say over their data in the dashboard ("Konto & Datenschutz"): consent to
learning, unlinking a meter and erasing what is stored, each as the API does it. Before, only the API
offered them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import WebServer, log_in_customer, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_consent_meters_and_erasure_are_the_customer_s_own(page: Page, web: WebServer) -> None:
    user_id = log_in_customer(page, web)
    meter = web.meter_ids[0]
    with web.admin() as admin:
        assert admin.put(f"/admin/users/{user_id}/meters", json={"meter_ids": [meter]}).is_success
    page.goto(f"{web.base_url}/account")
    expect(page.get_by_role("heading", name="Konto & Datenschutz", level=1)).to_be_visible()
    expect(page.get_by_text("Sie haben noch nicht entschieden; es gilt die Voreinstellung.")).to_be_visible()

    switch = page.get_by_role("switch", name="Luna darf aus meinen Bewertungen und Klicks lernen")
    before = switch.get_attribute("aria-checked")
    switch.click()
    expect(page.get_by_text(re.compile(r"^Einwilligung (erteilt|widerrufen)\.$"))).to_be_visible()
    page.reload()
    expect(
        page.get_by_text(re.compile(r"^Zuletzt geändert am \d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr\.$"))
    ).to_be_visible()
    expect(switch).not_to_have_attribute("aria-checked", before or "")
    with web.admin() as admin:
        stored = admin.get(f"/admin/users/{user_id}/meters").json()["data"]
    assert [m["meter_id"] for m in stored["meters"]] == [meter]
    shoot(page, "customer-account")

    page.get_by_role("button", name="Verknüpfung lösen").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Verknüpfung lösen").click()
    expect(page.get_by_text(f"Zähler {meter} ist nicht mehr mit Ihrem Konto verknüpft.")).to_be_visible()
    expect(page.get_by_text("Noch kein Zähler verknüpft")).to_be_visible()

    with page.expect_download() as downloading:
        page.get_by_role("button", name="Meine Daten herunterladen").click()
    download = downloading.value
    assert download.suggested_filename == "luna-meine-daten.json"
    exported = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert exported["user"]["user_id"] == user_id and len(exported["consent"]) == 1

    page.get_by_role("button", name="Alle meine Daten löschen").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Endgültig löschen").click()
    expect(page.get_by_text("Gelöscht: 1 Eintrag.")).to_be_visible()  # the consent record
    if before == "true":  # the click withdrew consent: a no stays a no (the default would learn again)
        expect(switch).to_have_attribute("aria-checked", "false")
        expect(page.get_by_text(re.compile(r"^Zuletzt geändert am "))).to_be_visible()
    else:  # the click granted it: erased, the customer has not decided
        expect(
            page.get_by_text("Sie haben noch nicht entschieden; es gilt die Voreinstellung.")
        ).to_be_visible()
    with web.admin() as admin:
        assert admin.get(f"/admin/users/{user_id}/meters").json()["data"]["meters"] == []
