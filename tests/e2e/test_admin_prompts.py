"""The "Prompts" view in a real browser: the operator edits the active prompt file, sees a broken edit
refused in German with its line, saves a new refusal text as version 1 (Luna's server answers with it at
once), looks at the diff to the packaged file and activates the packaged file again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from luna.container import Container, build_container
from luna.domain.prompt_versions import packaged_prompt_text
from luna.settings import load_settings
from tests.e2e.conftest import WebServer, log_in_admin, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PACKAGED = packaged_prompt_text()
NEW_REFUSAL = "Dazu schweigen meine Unterlagen, und raten wäre unredlich."
UNANSWERABLE = "Wie hoch ist die Kfz-Steuer für ein Elektroauto?"


def with_new_refusal(text: str) -> str:
    """The packaged file with a new one-line refusal (``no_context.answer`` and ``not_answered``)."""
    start, end = text.index("  answer: >-"), text.index("  # What the knowledge base covers")
    return f"{text[:start]}  answer: {NEW_REFUSAL}\n  not_answered: {NEW_REFUSAL}\n{text[end:]}"


def asked(web: WebServer) -> str:
    with web.admin() as admin:
        response = admin.post("/rag/ask", json={"question": UNANSWERABLE})
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["answer"])


@pytest.fixture
def server_container(web: WebServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """A container on the e2e server's data folder (its SQLite database)."""
    [data_dir] = tmp_path_factory.getbasetemp().glob("e2e[0-9]*/var")
    settings = load_settings(
        "test", environ={"LUNA_DATA_DIR": str(data_dir)}, env_file=data_dir.parent / "absent.env"
    )
    container = build_container(settings)
    yield container
    container.close()


def test_the_operator_edits_saves_compares_and_restores_the_prompts(
    page: Page, web: WebServer, server_container: Container
) -> None:
    assert not asked(web).startswith(NEW_REFUSAL)
    log_in_admin(page, web)
    page.get_by_role("link", name="Prompts", exact=True).click()
    expect(page.get_by_role("heading", name="Prompts", exact=True)).to_be_visible()
    editor = page.get_by_label("Prompt-Datei (YAML)")
    expect(editor).to_have_value(PACKAGED)
    expect(page.get_by_text("Luna antwortet mit der mitgelieferten Fassung (Version 0).")).to_be_visible()
    table = page.locator(".q-table")
    expect(table.locator("tbody tr")).to_have_count(1)

    # A broken edit is refused next to the editor, in German with its line and key; nothing is kept.
    editor.fill(PACKAGED.replace("  answer: >-", "  antwort: >-"))
    page.get_by_role("button", name="Als neue Version speichern").click()
    problems = page.get_by_role("alert").filter(has_text="Nicht gespeichert")
    section = PACKAGED.splitlines().index("no_context:") + 2  # the line its texts begin on
    expect(problems).to_contain_text(f"Zeile {section}, „no_context.answer“: Dieser Text fehlt.")
    expect(table.locator("tbody tr")).to_have_count(1)

    # The new refusal as version 1: active at once, also for the server's answers.
    editor.fill(with_new_refusal(PACKAGED))
    page.get_by_label("Notiz (optional)").fill("Ablehnung kürzer")
    page.get_by_role("button", name="Als neue Version speichern").click()
    expect(page.get_by_text("Version 1 gespeichert; Luna antwortet jetzt damit.")).to_be_visible()
    expect(page.get_by_text("Nicht gespeichert")).to_have_count(0)
    expect(page.get_by_text("Luna antwortet mit Version 1 von admin")).to_be_visible()
    row = table.locator("tbody tr").filter(has_text="Version 1")
    expect(row).to_contain_text("Ablehnung kürzer")
    expect(row.locator(".q-badge")).to_have_text("Aktiv")
    expect(table.locator("tbody tr").filter(has_text="Version 0").locator(".q-badge")).to_have_count(0)
    assert asked(web).startswith(NEW_REFUSAL)
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "admin-prompts")

    # The diff to the packaged file, in a dialog.
    page.get_by_role("button", name="Unterschied zur aktiven: Version 0 (mitgeliefert)").click()
    dialog = page.get_by_role("dialog").filter(has_text="Unterschied")
    expect(dialog).to_contain_text("Version 1 (aktiv) → Version 0 (mitgeliefert)")
    expect(dialog).to_contain_text(f"-  answer: {NEW_REFUSAL}")
    expect(dialog).to_contain_text("+  answer: >-")
    shoot(page, "admin-prompts-diff")
    dialog.get_by_role("button", name="Schließen").click()
    expect(dialog).to_have_count(0)

    # Back to the packaged file.
    page.get_by_role("button", name="Aktivieren: Version 0 (mitgeliefert)").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Luna antwortet ab der nächsten Frage mit Version 0 (mitgeliefert).")
    confirm.get_by_role("button", name="Aktivieren").click()
    expect(page.get_by_text("Luna antwortet jetzt mit Version 0 (mitgeliefert).")).to_be_visible()
    expect(editor).to_have_value(PACKAGED)
    expect(table.locator("tbody tr").filter(has_text="Version 0").locator(".q-badge")).to_have_text("Aktiv")
    expect(row.locator(".q-badge")).to_have_count(0)
    assert not asked(web).startswith(NEW_REFUSAL)
    with server_container.database.unit_of_work(read_only=True) as uow:
        entries = [e for e in uow.audit.list(limit=20) if e.action.startswith("prompt.")]
    assert [(e.action, e.actor, e.target) for e in entries] == [
        ("prompt.activate", "admin", "prompt:v0"),
        ("prompt.save", "admin", "prompt:v1"),
    ]
    assert f"+  answer: {NEW_REFUSAL}" in entries[1].details["diff"]
