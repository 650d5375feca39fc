"""The admin's tag editors on a slow link, in a real browser: while the server's answers are held back,
tags typed one after another, a chip removed and the field cleared all count, on the upload page and in
the corpus's tag editor, and the document is filed and saved with exactly the tags the person saw.

The fault this guards against: the chips' list came back from the server, and an Enter before that echo
built on the old list, so ``strom⏎gas⏎`` left only ``gas``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.e2e.conftest import JOB_SEC, WebServer, log_in_admin, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TITLE = "Schlagwörter auf langsamer Leitung"
NOTE = f"""# {TITLE}

Ein Testdokument für den Schlagwort-Editor. Es wird nach dem Test wieder gelöscht.
"""
LABEL = "Schlagwörter (Enter nach jedem)"


class SlowLink:
    """Passes the browser's websocket frames to the server at once but holds the server's frames back
    while ``held`` is true, as a busy server or a slow link does."""

    def __init__(self, page: Page) -> None:
        self.held = False
        self.frames: list[tuple[WebSocketRoute, str | bytes]] = []
        page.route_web_socket("**/*", self.connect)

    def connect(self, browser_side: WebSocketRoute) -> None:
        server_side = browser_side.connect_to_server()
        server_side.on_message(lambda frame: self.from_server(browser_side, frame))
        browser_side.on_message(server_side.send)

    def from_server(self, browser_side: WebSocketRoute, frame: str | bytes) -> None:
        if self.held:
            self.frames.append((browser_side, frame))
        else:
            browser_side.send(frame)

    def release(self) -> None:
        """Deliver the held frames in order, then pass new ones through again."""
        while self.frames:
            browser_side, frame = self.frames.pop(0)
            browser_side.send(frame)
        self.held = False


@pytest.fixture
def cleanup(web: WebServer) -> Iterator[None]:
    """Deletes the test's document afterwards, so the other views in this server see the corpus unchanged."""
    yield
    with web.admin() as admin:
        items = admin.get("/admin/items", params={"query": TITLE}).json()["data"]["items"]
        for item in items:
            if item["title"] == TITLE:
                admin.delete(f"/admin/item/{item['item_id']}")


def _tags_of_the_document(web: WebServer) -> list[str]:
    with web.admin() as admin:
        items = admin.get("/admin/items", params={"query": TITLE}).json()["data"]["items"]
    return next(list(item["tags"]) for item in items if item["title"] == TITLE)


def _connected(page: Page) -> None:
    """Until the handshake, NiceGUI keeps events in the browser: holding frames then would test nothing."""
    page.wait_for_function("window.did_handshake === true")


def test_tags_typed_removed_and_cleared_while_the_server_is_slow_are_all_kept(
    page: Page, web: WebServer, cleanup: None
) -> None:
    log_in_admin(page, web)  # before the link is slowed: the login's own sockets go straight through
    slow_link = SlowLink(page)
    page.goto(f"{web.base_url}/admin/upload")
    tags = page.get_by_label(LABEL)
    expect(tags).to_be_visible()
    _connected(page)

    slow_link.held = True
    for tag in ("strom", "gas"):
        tags.fill(tag)
        tags.press("Enter")
    chips = page.locator(".q-chip__content")
    expect(chips).to_have_text(["strom", "gas"])  # at once, without waiting for the server
    page.locator(".q-chip").filter(has_text="strom").locator(".q-chip__icon--remove").click()
    tags.fill("wärme")
    tags.press("Enter")
    expect(chips).to_have_text(["gas", "wärme"])
    slow_link.release()
    expect(chips).to_have_text(["gas", "wärme"])  # the server's late answers change nothing

    page.locator(".q-uploader input[type=file]").set_input_files(
        {"name": "langsam.md", "mimeType": "text/markdown", "buffer": NOTE.encode()}
    )
    row = page.locator(".q-card--flat").filter(has_text="langsam.md")
    expect(row).to_contain_text("Indexiert", timeout=JOB_SEC * 1000)
    assert _tags_of_the_document(web) == ["gas", "wärme"]

    row.get_by_role("link", name="Im Korpus ansehen").click()
    card = page.locator(".q-card--flat", has=page.get_by_role("heading", name=TITLE))
    card.get_by_role("button", name=f"Schlagwörter bearbeiten: {TITLE}").click()
    editor = page.get_by_role("dialog")
    editor_chips = editor.locator(".q-chip__content")
    expect(editor_chips).to_have_text(["gas", "wärme"])

    slow_link.held = True
    editor.locator(".q-field__focusable-action").click()  # clear the field
    expect(editor_chips).to_have_count(0)
    field = editor.get_by_label(LABEL)
    for tag in ("netz", "speicher", "netz"):  # the repeated one stays single
        field.fill(tag)
        field.press("Enter")
    expect(editor_chips).to_have_text(["netz", "speicher"])
    shoot(page, "admin-tag-editor")
    slow_link.release()

    editor.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Schlagwörter gespeichert.")).to_be_visible()
    expect(card).to_contain_text("speicher")
    assert _tags_of_the_document(web) == ["netz", "speicher"]
