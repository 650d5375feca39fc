"""The admin dashboard's operations in a real browser: a reindex followed to its end in the live job list,
the simulator started and stopped, a learning run that leaves a score version and an audit entry, a
snapshot taken and restored after confirming, and the activity and log views (where the Fehlernummer a
user was shown finds its entry)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import JOB_SEC, WebServer, log_in_admin, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

JOB_MS = JOB_SEC * 1000


def open_jobs(page: Page, web: WebServer) -> None:
    log_in_admin(page, web)
    page.get_by_role("link", name="Jobs", exact=True).click()
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()


def newest_job(page: Page, name: str) -> Locator:
    """The newest row of the job list for the job called ``name`` (the list is newest first)."""
    return page.locator("tbody tr", has=page.get_by_role("cell", name=name, exact=True)).first


def test_a_reindex_started_in_the_jobs_view_is_followed_to_its_end(page: Page, web: WebServer) -> None:
    open_jobs(page, web)

    page.get_by_role("button", name="Gesamten Korpus neu indexieren").click()
    expect(page.get_by_text("Neuindexierung gestartet.")).to_be_visible()
    expect(newest_job(page, "Neuindexierung")).to_contain_text("Erfolgreich", timeout=JOB_MS)
    expect(newest_job(page, "Neuindexierung")).to_contain_text("100 %")
    expect(newest_job(page, "Neuindexierung")).to_contain_text("Administration")
    expect(newest_job(page, "Neuindexierung")).to_contain_text("Neue Index-Version aktiv")
    shoot(page, "admin-jobs")


def test_on_a_phone_the_job_list_keeps_its_names_whole_and_scrolls_inside_its_card(
    page: Page, web: WebServer
) -> None:
    """At 390 px the names wrapped one letter a line ("N e u i n d e x i e r u n g"), rows hundreds of
    pixels high."""
    with web.admin() as admin:
        assert admin.post("/admin/jobs", json={"name": "kb.verify", "params": {}}).is_success
    open_jobs(page, web)
    page.set_viewport_size({"width": 390, "height": 844})
    name = newest_job(page, "Speicherabgleich").get_by_role("cell").first
    expect(name).to_be_visible()
    shoot(page, "admin-jobs-390")

    line_height = float(name.evaluate("cell => parseFloat(getComputedStyle(cell).lineHeight) || 20"))
    assert name.bounding_box()["height"] <= 3 * line_height + 16  # type: ignore[index]
    wider: int = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wider == 0


def test_stored_documents_are_read_again_from_the_jobs_view(page: Page, web: WebServer) -> None:
    open_jobs(page, web)

    page.get_by_role("button", name="Alle Dokumente neu lesen").click()
    expect(page.get_by_text("Neu lesen gestartet.")).to_be_visible()
    expect(newest_job(page, "Dokumente neu lesen")).to_contain_text("Erfolgreich", timeout=JOB_MS)
    expect(newest_job(page, "Dokumente neu lesen")).to_contain_text(
        re.compile(r"Dokumente neu gelesen: \d+ neue")
    )


def test_the_simulator_starts_and_stops_from_the_jobs_view(page: Page, web: WebServer) -> None:
    open_jobs(page, web)
    expect(page.get_by_text("Die Live-Simulation läuft nicht.")).to_be_visible()

    page.get_by_role("button", name="Simulation starten").click()
    expect(page.get_by_text("Die Live-Simulation läuft.")).to_be_visible(timeout=JOB_MS)
    expect(page.get_by_role("button", name="Simulation starten")).to_be_disabled()
    expect(newest_job(page, "Live-Simulation")).to_contain_text("Läuft")

    page.get_by_role("button", name="Simulation stoppen").click()
    expect(page.get_by_text("Die Live-Simulation läuft nicht.")).to_be_visible(timeout=JOB_MS)
    expect(newest_job(page, "Live-Simulation")).to_contain_text("Gestoppt")
    expect(newest_job(page, "Live-Simulation")).not_to_contain_text("0 %")
    with web.admin() as admin:
        status = admin.get("/sim/status").json()["data"]
    assert status["live"] is None


def test_a_learning_run_started_in_the_jobs_view_shows_up_as_version_and_audit_entry(
    page: Page, web: WebServer
) -> None:
    open_jobs(page, web)

    page.get_by_role("button", name="Lernlauf starten").click()
    expect(newest_job(page, "Lernlauf")).to_contain_text("Erfolgreich", timeout=JOB_MS)
    expect(page.get_by_text("Aktuelle Version")).to_be_visible()
    with web.admin() as admin:
        learned = admin.get("/admin/learn").json()["data"]
    version = learned["latest"]["version"]

    page.get_by_role("link", name="Aktivität", exact=True).click()
    expect(page.get_by_role("heading", name="Ereignisse, Feedback & Metriken")).to_be_visible()
    versions = page.locator(".q-card", has_text="Lernen: Versionen der Bewertungen")
    # the newest version first; its number in the first column (other columns count, and may say the same)
    expect(versions.locator("tbody tr td:first-child").first).to_have_text(str(version))
    audit = page.locator(".q-card", has_text="Protokoll der Lernläufe")
    expect(audit.get_by_role("cell", name=f"Version {version}").first).to_be_visible()
    expect(audit.get_by_role("cell", name="Administration").first).to_be_visible()
    expect(page.get_by_text("Einlesezeit je Dokument")).to_be_visible()
    expect(page.get_by_text("Tage nach deutscher Zeit (0 bis 24 Uhr).").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"\bUTC\b"))).to_have_count(0)
    shoot(page, "admin-activity-learning")


def test_a_snapshot_is_taken_and_restored_only_after_confirming(page: Page, web: WebServer) -> None:
    open_jobs(page, web)

    page.get_by_role("button", name="Snapshot erstellen").click()
    expect(page.get_by_text("Snapshot erstellt")).to_be_visible(timeout=JOB_MS)
    restore = page.get_by_role("button", name="Wiederherstellen:").first
    restore.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Snapshot wiederherstellen?")
    dialog.get_by_role("button", name="Wiederherstellen").click()
    expect(page.get_by_text("wiederhergestellt.")).to_be_visible(timeout=JOB_MS)
    with web.admin() as admin:
        items = admin.get("/admin/items").json()["data"]
    assert items["total"] >= 1
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "admin-jobs-snapshots")


def provoke_unexpected_error(page: Page) -> str:
    """Make the open view fail unexpectedly and return the Fehlernummer its message shows.

    No control fails on purpose, so the browser sends what no control expects: a choice that is not
    among a list's options. The server's handler of that event fails, and the dashboards' handler of
    every unexpected failure logs it with a reference and tells the user that Fehlernummer.
    """
    page.locator(".q-select").first.evaluate(
        "field => getElement(field.querySelector('.q-field__native[id]'))"
        ".$emit('update:modelValue', {value: 9999, label: 'keine Option'})"
    )
    toast = page.locator(".q-notification", has_text="Fehlernummer")
    expect(toast).to_contain_text("Es ist ein unerwarteter Fehler aufgetreten")
    found = re.search(r"Fehlernummer ([0-9a-f]{8})", toast.inner_text())
    assert found, toast.inner_text()
    close = toast.locator(".q-btn").first
    expect(close).to_be_visible()
    label, toast_colour = close.evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(b.closest('.q-notification')).backgroundColor]"
    )
    assert label == "rgb(255, 255, 255)" != toast_colour  # the close button reads on the red toast
    return found[1]


def test_the_logs_view_counts_errors_and_finds_the_fehlernummer_a_user_was_shown(
    page: Page, web: WebServer
) -> None:
    open_jobs(page, web)
    reference = provoke_unexpected_error(page)
    # by its address: under CI's load a click on the menu link while the error's toast is still
    # coming in left the page on /admin/jobs once; the menu's links have their own tests
    page.goto(f"{web.base_url}/admin/logs")

    expect(page.get_by_text("Fehler, letzte Stunde")).to_be_visible()
    expect(page.get_by_text("Warnungen, letzte 24 Stunden")).to_be_visible()
    expect(page.get_by_text("Erfasst seit")).to_be_visible()
    expect(page.get_by_role("tab", name="Neueste Fehler")).to_be_visible()
    search = page.get_by_label("Fehlernummer oder Trace-ID")
    search.fill("0badc0de")
    search.press("Enter")
    expect(page.get_by_text("Kein Eintrag der letzten Zeit nennt „0badc0de“")).to_be_visible()
    search.fill(reference)
    search.press("Enter")
    found = page.locator(".q-card", has_text="Nach Fehlernummer suchen")
    expect(found.get_by_text(f"web_unexpected_error reference={reference}")).to_be_visible()
    expect(found.get_by_role("cell", name="Fehler", exact=True)).to_be_visible()
    expect(found.get_by_role("cell", name="luna.web", exact=True)).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")  # the fixed header at the top of the full-page shot
    shoot(page, "admin-logs")


def test_a_note_of_one_endless_word_breaks_instead_of_widening_the_activity_view(
    page: Page, web: WebServer
) -> None:
    """A 1,500-character word in a customer's note made the page 17,504 px wide."""
    rating = {"question": "Warum " + "y" * 1_500 + "?", "answer": "-", "useful": False, "notes": "x" * 1_500}
    customer = {"X-Dev-User": "2b3c4d5e-6f70-4a81-9b2c-3d4e5f607183"}
    with httpx.Client(base_url=web.api) as client:
        assert client.post("/feedback/rag", json=rating, headers=customer).status_code == 201
    log_in_admin(page, web)
    page.set_viewport_size({"width": 414, "height": 896})
    page.goto(f"{web.base_url}/admin/activity")
    expect(page.get_by_text("Anmerkung: xxxx", exact=False).first).to_be_visible()

    wider: int = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wider == 0


def test_the_activity_view_lists_unhelpful_answers_with_their_notes(page: Page, web: WebServer) -> None:
    rating = {
        "question": "Wie hoch ist der Grundpreis für Gewerbe?",
        "answer": "Dazu habe ich keine passende Stelle gefunden.",
        "useful": False,
        "notes": "Der Grundpreis steht doch im Preisblatt.",
    }
    customer = {"X-Dev-User": "2b3c4d5e-6f70-4a81-9b2c-3d4e5f607182"}
    with httpx.Client(base_url=web.api) as client:
        assert client.post("/feedback/rag", json=rating, headers=customer).status_code == 201
    log_in_admin(page, web)
    page.get_by_role("link", name="Aktivität", exact=True).click()

    unhelpful = page.locator(".nicegui-column").filter(has_text="Wie hoch ist der Grundpreis für Gewerbe?")
    expect(unhelpful.first).to_be_visible()
    expect(page.get_by_text("Anmerkung: Der Grundpreis steht doch im Preisblatt.")).to_be_visible()
    shoot(page, "admin-activity-unhelpful")
