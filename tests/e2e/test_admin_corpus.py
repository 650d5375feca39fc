"""The admin dashboard's way in and its knowledge base views, in a real browser: the admin key (a wrong
one refused in German), the health details in German, logging out, an upload box without size or
progress before anything is sent, uploading several files at once (one indexed, one of a wrong type,
one of text under a picture's name, one already known), an internal URL refused, finding the new
document in the corpus, tagging it, giving it a second version and deleting it after confirming."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.e2e.conftest import JOB_SEC, SAMPLE, WebServer, log_in_admin, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TITLE = "Netzdienliches Laden im Quartier"
NOTE = f"""# {TITLE}

Ein Quartiersspeicher nimmt mittags Solarstrom auf und gibt ihn abends an die Wallboxen ab.
So sinkt die Spitzenlast am Ortsnetztransformator, und die Netzentgelte nach § 14a EnWG bleiben niedrig.

## Steuerung

Die Ladeleistung folgt dem Preissignal des Vortags und der Prognose der Erzeugung.
"""
NOTE_V2 = NOTE.replace("niedrig", "niedrig, auch an kalten Winterabenden")
#: The first bytes of a PNG: content Luna does not take, whatever the name says.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
#: Text under a picture's name: refused for the name, which the refusal says, not as a type Luna cannot read.
RENAMED_NOTE = b"# Notiz\n\nNur Text.\n"


def test_a_wrong_admin_key_is_refused_in_german_and_logging_out_ends_the_session(
    page: Page, web: WebServer
) -> None:
    page.goto(f"{web.base_url}/admin/jobs")
    page.get_by_label("Admin-Schlüssel").fill("falscher-schluessel")
    page.get_by_label("Admin-Schlüssel").press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Der Admin-Schlüssel ist nicht korrekt.")
    shoot(page, "admin-login-refused")

    log_in_admin(page, web)
    expect(page.get_by_text("Alle Dienste laufen")).to_be_visible()
    expect(page.get_by_role("cell", name="Datenbank", exact=True)).to_be_visible()
    details = page.locator("td", has_text="belegten Sätzen aus den gefundenen Textstellen")
    expect(details).to_be_visible()  # the extractive answer model's detail, in German
    embeddings = page.get_by_role("cell", name=re.compile(r"· (noch nicht )?geladen"))
    expect(embeddings).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile(r"keine Texterkennung \(OCR\)$"))).to_be_visible()
    # The index holds the configured model's vectors (or holds none yet), said in German.
    expect(page.get_by_role("cell", name="Suchindex passt zum Suchmodell", exact=True)).to_be_visible()
    index = re.compile(r"passt zu .+ \(\d Stichproben?\)|^noch keine indexierten Textabschnitte$")
    expect(page.get_by_role("cell", name=index)).to_be_visible()
    for english in (
        "answers with cited",
        "documents in memory",
        "no OCR",
        "loaded",
        "schema not created",
        "sampled chunks",
        "no indexed chunks",
    ):
        expect(page.locator("main.luna-main")).not_to_contain_text(english)
    details.hover()  # the adapter's own words stay at hand for a support request
    expect(page.get_by_role("tooltip")).to_contain_text("Original: answers with cited sentences")
    shoot(page, "admin-home")
    # A link to a document deleted since replaced the whole list with "konnte nicht geladen werden".
    page.goto(f"{web.base_url}/admin/corpus?item=00000000-0000-4000-8000-000000000000")
    expect(page.get_by_text("Das verlinkte Dokument gibt es nicht (mehr): hier sind alle.")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Dokument")).to_be_visible()
    expect(page.get_by_text("konnte nicht geladen werden")).to_have_count(0)

    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_label("Admin-Schlüssel")).to_be_visible()
    page.goto(f"{web.base_url}/admin/corpus")
    expect(page.get_by_label("Admin-Schlüssel")).to_be_visible()
    expect(page.get_by_role("heading", name="Korpus")).to_have_count(0)


def test_uploaded_files_each_show_their_outcome_and_the_new_one_is_tagged_and_deleted_in_the_corpus(
    page: Page, web: WebServer
) -> None:
    log_in_admin(page, web)
    page.get_by_role("link", name="Hochladen", exact=True).click()
    expect(page.get_by_role("heading", name="Dokumente hochladen")).to_be_visible()
    uploader = page.locator(".q-uploader").first
    expect(uploader.locator("button", has_text="Dateien auswählen")).to_be_visible()
    for before_any_upload in ("0.0B", "0.00%", "0 %"):  # no size or progress before anything is sent
        expect(uploader).not_to_contain_text(before_any_upload)

    files: list[FilePayload] = [
        {"name": "quartier.md", "mimeType": "text/markdown", "buffer": NOTE.encode()},
        {"name": "bild.png", "mimeType": "image/png", "buffer": PNG},
        {"name": "notiz.png", "mimeType": "image/png", "buffer": RENAMED_NOTE},
        {"name": SAMPLE.name, "mimeType": "text/markdown", "buffer": SAMPLE.read_bytes()},
    ]
    page.locator(".q-uploader input[type=file]").set_input_files(files)
    rows = page.locator(".q-card--flat")
    new = rows.filter(has_text="quartier.md")
    expect(new).to_contain_text("Indexiert", timeout=JOB_SEC * 1000)
    expect(new).to_contain_text(f"„{TITLE}“")
    expect(rows.filter(has_text="bild.png")).to_contain_text("Dieser Dateityp wird nicht unterstützt")
    renamed = rows.filter(has_text="notiz.png")
    expect(renamed).to_contain_text("„notiz.png“ wurde als Bild (image/png) hochgeladen, enthält aber Text")
    expect(renamed).not_to_contain_text("nicht unterstützt")
    known = rows.filter(has_text=SAMPLE.name)
    expect(known).to_contain_text("Dieses Dokument ist bereits im Korpus vorhanden.")
    expect(known.get_by_role("link", name="Vorhandenes Dokument ansehen")).to_be_visible()
    for address, why in (  # three different mistakes, three different answers
        ("http://127.0.0.1:9/intern.pdf", "internes oder reserviertes Netz"),
        ("kein-link", "Das ist keine Adresse, die Luna abruft"),
        ("https://gibt-es-nicht.invalid/preise.pdf", "Diesen Servernamen gibt es nicht"),
    ):
        page.get_by_label("Adresse (URL)").fill(address)
        page.get_by_role("button", name="Abrufen und einlesen").click()
        expect(rows.filter(has_text=address)).to_contain_text(why)
    shoot(page, "admin-upload")

    new.get_by_role("link", name="Im Korpus ansehen").click()
    card = page.locator(".q-card--flat", has=page.get_by_role("heading", name=TITLE))
    expect(card).to_contain_text("Indexiert")
    expect(card).to_contain_text("Version 1")
    expect(card).to_contain_text("Keine Schlagwörter")

    card.get_by_role("button", name=f"Schlagwörter bearbeiten: {TITLE}").click()
    editor = page.get_by_role("dialog")
    tags = editor.get_by_label("Schlagwörter (Enter nach jedem)")
    tags.fill("quartier")
    tags.press("Enter")
    # the chip shows at once: the field keeps its list in the browser (a slow link: test_tag_editor_latency)
    expect(editor.locator(".q-chip").filter(has_text="quartier")).to_be_visible()
    tags.fill("x" * 70)  # too long: the dialog says so and keeps the edits
    tags.press("Enter")
    expect(editor.locator(".q-chip").filter(has_text="x" * 70)).to_be_visible()
    editor.get_by_role("button", name="Speichern").click()
    expect(editor.get_by_text(re.compile(r"ist zu lang\. Höchstens 20 Schlagwörter"))).to_be_visible()
    expect(editor).to_contain_text("quartier")
    editor.locator(".q-chip").filter(has_text="x" * 70).locator(".q-chip__icon--remove").click()
    editor.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Schlagwörter gespeichert.")).to_be_visible()
    expect(card).to_contain_text("quartier")
    with web.admin() as admin:
        tagged = admin.get("/admin/items", params={"tag": "quartier"}).json()["data"]
    assert [item["title"] for item in tagged["items"]] == [TITLE]

    card.get_by_role("button", name=f"Neue Version hochladen: {TITLE}").click()
    page.get_by_role("dialog").locator("input[type=file]").set_input_files(
        {"name": "quartier.md", "mimeType": "text/markdown", "buffer": NOTE_V2.encode()}
    )
    expect(page.get_by_text(f"Version 2 von „{TITLE}“ eingelesen")).to_be_visible(timeout=JOB_SEC * 1000)
    expect(card).to_contain_text("Version 2")
    expect(card).to_contain_text("quartier")
    card.get_by_role("button", name=f"Versionen: {TITLE}").click()
    history = page.get_by_role("dialog")
    expect(history.get_by_role("cell", name="aktuell (durchsuchbar)")).to_be_visible()
    expect(history.get_by_role("cell", name="archiviert", exact=True)).to_be_visible()
    history.get_by_role("button", name="Schließen").click()
    expect(history).to_have_count(0)

    page.get_by_role("button", name="Alle Dokumente anzeigen").click()
    page.wait_for_url(re.compile(r"/admin/corpus$"))  # a new page: typing before it loads is lost
    expect(page.get_by_text(re.compile(r"^2 Dokumente$"))).to_be_visible()
    page.get_by_label("Suche in Titel, Adresse und Text").fill("Wallboxen Winterabenden")  # passage text
    expect(page.get_by_text(re.compile(r"^1 Dokument$"))).to_be_visible(
        timeout=JOB_SEC * 1000
    )  # search runs in a thread
    shoot(page, "admin-corpus")
    card.get_by_role("button", name=f"Dokument ansehen: {TITLE}").click()
    viewer = page.get_by_role("dialog")
    expect(viewer.get_by_text("Steuerung", exact=True)).to_be_visible()  # its sections, in order
    expect(viewer.get_by_text(re.compile("auch an kalten Winterabenden"))).to_be_visible()
    shoot(page, "admin-corpus-document")
    viewer.get_by_role("button", name="Schließen").click()
    expect(viewer).to_have_count(0)

    page.get_by_role("button", name=f"Löschen: {TITLE}").dblclick()  # opened two dialogs, one over the other
    expect(page.get_by_role("dialog")).to_contain_text("Dokument löschen?")
    page.wait_for_timeout(500)  # a second dialog would be on its way by now
    expect(page.get_by_role("dialog")).to_have_count(1)
    shoot(page, "admin-corpus-delete")
    page.get_by_role("button", name="Abbrechen").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()

    page.get_by_role("button", name=f"Löschen: {TITLE}").click()
    page.get_by_role("button", name="Endgültig löschen").click()
    expect(page.get_by_text(f"„{TITLE}“ wurde gelöscht")).to_be_visible()
    expect(page.get_by_text("Keine Dokumente gefunden")).to_be_visible()
    with web.admin() as admin:
        left = admin.get("/admin/items", params={"query": "Quartier"}).json()["data"]
    assert left["total"] == 0
