"""A cited source in its place, in a real browser: the seeded guide has sections, and the passage with its
table of appliances opens with its document and section, the passage before and after it, and the table
as a table (header cells, one row per appliance), not as Markdown pipes, on a laptop and on a phone
(where axe-core finds nothing serious in the open dialog)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import WebServer, log_in_customer, shoot
from tests.e2e.test_accessibility import serious_violations

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION = (
    "Welche Geräte lassen sich verschieben, und wie viel Energie braucht eine Waschmaschine je Einsatz?"
)


def test_a_cited_table_opens_with_its_section_its_neighbours_and_as_a_real_table(
    page: Page, web: WebServer
) -> None:
    log_in_customer(page, web)
    page.goto(f"{web.base_url}/ask")
    page.get_by_label("Ihre Frage an Luna").fill(QUESTION)
    page.get_by_label("Ihre Frage an Luna").press("Enter")
    expect(page.get_by_text("War diese Antwort hilfreich?")).to_be_visible()

    table_source = page.locator(".luna-citation", has_text="Waschmaschine (40 °C): Leistung 2,0 kW").first
    expect(table_source).to_contain_text("Lastverschiebung im Haushalt")  # the card names the section
    table_source.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Stromtarife und Lastverschiebung")).to_be_visible()
    expect(dialog.get_by_text("Abschnitt", exact=True)).to_be_visible()
    expect(dialog.get_by_text("Lastverschiebung im Haushalt", exact=True)).to_be_visible()
    expect(dialog.locator(".luna-source-before")).to_contain_text("Nicht jeder Verbraucher")
    expect(dialog.locator(".luna-source-after")).to_contain_text("Die größte Wirkung hat das Laden")

    table = dialog.get_by_role("table")
    for header in ("Gerät", "Leistung", "Energie je Einsatz", "verschiebbar"):
        expect(table.get_by_role("columnheader", name=header, exact=True)).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(7)  # the header and six appliances
    expect(
        table.get_by_role("row", name=re.compile(r"^Wallbox \(11 kW\) 11,0 kW 20 bis 40 kWh"))
    ).to_be_visible()
    expect(dialog.locator(".luna-cited-passage")).not_to_contain_text("|")
    shoot(page, "customer-ask-source-table")

    page.set_viewport_size({"width": 414, "height": 896})
    expect(table.get_by_role("cell", name="Kühlschrank", exact=True)).to_be_visible()
    width: int = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width == 0, "the dialog with its table is wider than the phone"
    assert serious_violations(page) == []  # the table's scrolling region takes the keyboard focus
    shoot(page, "customer-ask-source-table-414")
    dialog.get_by_role("button", name="Schließen").click()
    expect(dialog).to_have_count(0)


LONG_TITLE = "Merkblatt zu Netzanschlussbedingungen und Einspeisemanagement für steckerfertige Anlagen " * 3


def test_a_source_with_a_long_title_stays_within_a_phone_and_cuts_its_title(
    page: Page, web: WebServer
) -> None:
    """A title of 250 characters ran out of its card and made the page scroll sideways at 390 px."""
    document = f"# {LONG_TITLE}\n\nDer Hofladentarif der Genossenschaft kostet 31 Cent je Kilowattstunde.\n"
    with web.admin() as admin:
        uploaded = admin.post(
            "/ingest/doc", files={"file": ("hofladen.md", document.encode(), "text/markdown")}
        )
        assert uploaded.is_success, uploaded.text
    log_in_customer(page, web)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{web.base_url}/ask")
    page.get_by_label("Ihre Frage an Luna").fill("Was kostet der Hofladentarif der Genossenschaft?")
    page.get_by_label("Ihre Frage an Luna").press("Enter")

    source = page.locator(".luna-citation", has_text="Hofladentarif").first
    expect(source).to_be_visible()
    shoot(page, "customer-ask-long-title-390")
    width: int = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width == 0, "a source's long title made the answer wider than the phone"
    title = source.locator(".ellipsis").first
    assert title.evaluate("label => label.scrollWidth > label.clientWidth")  # cut with an ellipsis
