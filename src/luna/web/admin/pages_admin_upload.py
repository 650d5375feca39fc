"""``/admin/upload``: documents in, by drag and drop or from a URL, each with its own progress and outcome.

Ingesting is slow (embedding runs at about ten passages a second), so each file gets a row that shows
what the ingest is doing now and ends in "indexed" with a link into the corpus, or in a German reason
why the file was refused (wrong type, too large, already there, no text). Files are ingested one after
the other: they share the CPU with every other request, and a queue that moves shows more than several
that crawl.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Final
from urllib.parse import quote

from nicegui import ui
from nicegui.events import GenericEventArguments, UploadEventArguments

from luna.container import Container
from luna.domain.documents import Unreadable
from luna.domain.errors import Conflict, InvalidInput, TooLarge, Unavailable, Unprocessable, UnsupportedType
from luna.domain.storable import without_direction_controls
from luna.ports.fetch import REASON_KEY
from luna.services.knowledge.ingest import IngestRequest, IngestResult
from luna.services.knowledge.ingest_rules import clean_tags
from luna.web.components.errors import german_message
from luna.web.components.formats import de_count
from luna.web.components.layout import AdminView, admin_page
from luna.web.components.offload import in_thread
from luna.web.components.tag_field import TagField
from luna.web.components.widgets import card_title

KIND_LABELS: Final = {"document": "Dokument", "regulation": "Vorschrift oder Gesetz", "note": "Notiz"}
ACCEPTED: Final = "PDF, DOCX, HTML, Markdown, Text, CSV, JSON und Gesetze als XML"
#: How often a running row shows the ingest's progress.
_PROGRESS_SEC: Final = 0.5

#: ``progress(fraction, message)`` as the ingest service reports it (German messages).
Progress = Callable[[float, str], None]


@dataclass
class _Progress:
    """Written by the ingest thread, read by the page's timer (plain attribute writes are atomic)."""

    fraction: float = 0.0
    message: str = "Wird vorbereitet …"

    def report(self, fraction: float, message: str) -> None:
        self.fraction = max(0.0, min(fraction, 1.0))
        self.message = message


class _Row:
    """One file or URL on its way into the knowledge base."""

    def __init__(self, name: str, icon: str) -> None:
        self.name = name
        self.progress = _Progress()
        with ui.card().classes("w-full gap-1 py-2").props("flat bordered").mark("upload-row") as self.card:
            with ui.row().classes("w-full items-center gap-2 no-wrap"):
                self.icon = ui.icon(icon, size="sm").classes("text-primary").props('aria-hidden="true"')
                ui.label(name).classes("font-medium break-all grow")
                self.state = ui.label("Wartet auf Verarbeitung").classes(
                    "text-sm luna-muted whitespace-nowrap"
                )
            self.bar = ui.linear_progress(value=0, show_value=False, size="6px").props("instant-feedback")
            self.bar.props["aria-label"] = f"Fortschritt: {name}"
            self.note = ui.label().classes("text-sm luna-muted")
            # Only the outcome is announced to screen readers, not every step of the progress.
            self.detail = ui.row().classes("items-center gap-2 text-sm").props('aria-live="polite"')
        self._timer: ui.timer | None = None

    def running(self) -> None:
        self.state.set_text("Wird verarbeitet")
        with self.card:
            self._timer = ui.timer(_PROGRESS_SEC, self._show)

    def _show(self) -> None:
        self.bar.set_value(self.progress.fraction)
        self.note.set_text(f"{self.progress.message} ({round(self.progress.fraction * 100)} %)")

    def _finish(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.note.set_visibility(False)

    def succeeded(self, result: IngestResult) -> None:
        self._finish()
        self.bar.set_value(1.0)
        self.bar.props('color="positive"')
        self.icon.props('name="check_circle"').classes(replace="text-positive")
        self.state.set_text("Indexiert").classes(
            replace="text-sm text-positive font-medium whitespace-nowrap"
        )
        self.detail.clear()
        with self.detail:
            ui.label(
                f"„{result.title}“: {de_count(result.chunks, 'Abschnitt', 'Abschnitte')}, "
                f"Version {result.version}"
            )
            ui.link("Im Korpus ansehen", f"/admin/corpus?item={quote(result.item_id)}")

    def failed(self, reason: str, existing_item: str | None = None) -> None:
        self._finish()
        self.bar.set_visibility(False)
        self.icon.props('name="error"').classes(replace="text-negative")
        self.state.set_text("Nicht übernommen").classes(
            replace="text-sm text-negative font-medium whitespace-nowrap"
        )
        self.detail.clear()
        with self.detail:
            ui.label(reason).classes("text-negative").props('role="alert"')
            if existing_item is not None:
                ui.link("Vorhandenes Dokument ansehen", f"/admin/corpus?item={quote(existing_item)}")


_UPLOAD_HEADER: Final = r"""
<div class="row no-wrap items-center q-pa-sm q-gutter-sm">
  <q-spinner v-if="props.isUploading" size="sm" />
  <div class="col">
    <div class="q-uploader__title">TITLE</div>
    <div v-if="props.isUploading" class="q-uploader__subtitle">
      {{ props.uploadSizeLabel }} · {{ props.uploadProgressLabel }}</div>
  </div>
  <div v-if="props.canAddFiles" class="relative-position">
    <q-btn unelevated no-caps color="white" text-color="primary" icon="folder_open"
           label="Dateien auswählen" @click="props.pickFiles" />
    <q-uploader-add-trigger />
  </div>
</div>
"""
#: The uploader's file input (Quasar renders it without a name) gets one whenever it appears; it lies
#: over the button beside it, not inside, so no control is nested in another (axe-core's rules).
_LABEL_FILE_INPUTS: Final = """
if (!window.lunaFileInputs) {
  window.lunaFileInputs = true;
  const name = () => document.querySelectorAll('.q-uploader__input:not([aria-label])')
    .forEach(input => input.setAttribute('aria-label', 'Dateien auswählen'));
  new MutationObserver(name).observe(document.body, {childList: true, subtree: true});
  name();
}
"""


def upload_field(title: str, max_mb: int, *, multiple: bool) -> ui.upload:
    """Quasar's uploader with a German header whose "choose files" button has a name, not just an icon."""
    field = (
        ui.upload(multiple=multiple, auto_upload=True, max_file_size=max_mb * 1024 * 1024)
        .props('flat bordered color="primary"')
        .classes("w-full")
    )
    field.add_slot("header", _UPLOAD_HEADER.replace("TITLE", title))
    ui.run_javascript(_LABEL_FILE_INPUTS)
    return field


#: Why Luna does not fetch an address, per reason of the fetcher (``ports.fetch.RefusedUrl``).
_URL_REFUSALS: Final[dict[str, str]] = {
    "invalid_url": "Das ist keine Adresse, die Luna abruft: bitte eine vollständige http(s)-Adresse angeben, "
    "z. B. https://www.example.de/preisblatt.pdf.",
    "unknown_host": "Diesen Servernamen gibt es nicht (er lässt sich nicht auflösen); "
    "bitte die Adresse prüfen.",
    "forbidden_address": "Diese Adresse zeigt auf ein internes oder reserviertes Netz; solche Adressen "
    "ruft Luna nur ab, wenn sie in der Einstellung ingest.url_allowlist freigegeben sind.",
    "too_many_redirects": "Diese Adresse leitet zu oft weiter; bitte die endgültige Adresse angeben.",
}


#: Why a file could not be read (``domain.documents.Unreadable``), in German.
_UNREADABLE: Final[dict[str, str]] = {
    Unreadable.EMPTY: "Die Datei ist leer oder enthält keinen Text.",
    Unreadable.DAMAGED: "Die Datei ist beschädigt und lässt sich nicht lesen.",
    Unreadable.ENCRYPTED: "Die PDF-Datei ist mit einem Passwort geschützt; bitte den Schutz entfernen und "
    "erneut hochladen.",
    Unreadable.NO_TEXT: "Darin ist kein auslesbarer Text (Scans ohne Texterkennung werden nicht "
    "unterstützt).",
}
#: File endings that promise a binary format, by the name the refusal gives it.
_NAMED_FORMATS: Final[dict[str, str]] = {".pdf": "PDF", ".docx": "DOCX"}
#: What a text file turned out to hold, by the ``detected`` of a broken promise (``domain.media_types``).
_TEXT_FOUND: Final[dict[str, str]] = {
    "HTML": "eine Webseite (HTML)",
    "Markdown text": "Text (Markdown)",
    "plain text": "reinen Text",
}
#: Words for the declared types people meet most; any other is named by its type alone.
_DECLARED_AS: Final[tuple[tuple[str, str], ...]] = (
    ("image/", "Bild"),
    ("audio/", "Audiodatei"),
    ("video/", "Video"),
    ("application/pdf", "PDF"),
)


def _broken_promise(details: dict[str, object], name: str | None, *, url: bool) -> str:
    """Text refused because its name or declared type promised a binary format: "not supported, text is
    allowed" would contradict itself, so this says what was promised, what came, and what to do.

    ``promised`` ends in the name's ending (``its name ends in .png``) or the declared type (``it was
    declared as image/png``); a browser declares what the name's ending suggests.
    """
    promised = str(details.get("promised", "")).rsplit(" ", 1)[-1]
    found = _TEXT_FOUND.get(str(details.get("detected")), "Text")
    if promised.startswith("."):
        promise = f"heißt wie eine {promised[1:].upper()}-Datei"
    else:
        word = next((word for prefix, word in _DECLARED_AS if promised.startswith(prefix)), None)
        declared = f"{word} ({promised})" if word else promised
        promise = f"wird vom Server als {declared} ausgegeben" if url else f"wurde als {declared} hochgeladen"
    file = "Die Datei unter dieser Adresse" if url else f"„{name}“" if name else "Die Datei"
    refused = f"{file} {promise}, enthält aber {found}"
    if url:
        return f"{refused}, oft eine Fehler- oder Anmeldeseite. Bitte die Adresse prüfen."
    return (
        f"{refused}. Soll dieser Text eingelesen werden, benennen Sie die Datei in .txt, .md oder .csv um "
        "und laden Sie sie erneut hoch."
    )


def refusal(
    error: BaseException, max_mb: int, *, url: bool = False, name: str | None = None
) -> tuple[str, str | None]:
    """Why a file (or the document at a URL) was not taken, in German, and the item it duplicates.

    ``name`` is the file's name, for the refusal to quote. Tags are checked before a URL is fetched, so
    for a URL an invalid input is the address itself.
    """
    if isinstance(error, UnsupportedType):
        if "promised" in error.details:
            return _broken_promise(error.details, name, url=url), None
        named = _NAMED_FORMATS.get(PurePath(name or "").suffix.lower())
        if named and not url:  # "Dateityp nicht unterstützt. Erlaubt sind PDF, …" for a file named .pdf
            return (
                f"„{name}“ heißt wie eine {named}-Datei, ist aber keine: beschädigt oder falsch benannt.",
                None,
            )
        return f"Dieser Dateityp wird nicht unterstützt. Erlaubt sind {ACCEPTED}.", None
    if isinstance(error, TooLarge):
        return f"Die Datei ist zu groß: höchstens {max_mb} MB sind erlaubt.", None
    if isinstance(error, Conflict):
        existing = error.details.get("item_id")
        if isinstance(existing, str):
            return "Dieses Dokument ist bereits im Korpus vorhanden.", existing
        return german_message(error), None
    if isinstance(error, Unprocessable):
        if url:
            return (
                "Unter dieser Adresse war kein auslesbarer Text (Fehlerseite, leere Antwort oder Scan).",
                None,
            )
        return _UNREADABLE.get(str(error.details.get("reason")), _UNREADABLE[Unreadable.NO_TEXT]), None
    if isinstance(error, InvalidInput):
        if url:
            return _URL_REFUSALS.get(str(error.details.get(REASON_KEY)), german_message(error)), None
        return "Bitte höchstens 20 Schlagwörter mit je bis zu 64 Zeichen angeben.", None
    if isinstance(error, Unavailable) and url:
        return "Der Server der Adresse ist nicht erreichbar oder hat nicht rechtzeitig geantwortet.", None
    return german_message(error), None


@admin_page("/admin/upload")
async def upload(view: AdminView) -> None:
    max_mb = view.web.settings.api.max_upload_mb
    kind, tags = _choices_card()
    with ui.row().classes("w-full gap-4 items-stretch"):
        uploader = _files_card(max_mb)
        url, fetch_button = _address_card()
    with ui.card().classes("w-full"):
        card_title("Verarbeitung", "pending_actions")
        rows = ui.column().classes("w-full gap-2").mark("upload-rows")
    uploads = _Uploads(view.web.container, max_mb, kind, tags, url, rows)
    uploader.on_upload(uploads.received)
    uploader.on(
        "rejected",
        uploads.rejected,
        js_handler="(entries) => emit(entries.map(e => ({name: e.file.name, "
        "reason: e.failedPropValidation})))",
    )
    uploader.on("finish", lambda: uploader.run_method("removeUploadedFiles"))
    fetch_button.on_click(uploads.from_url)
    url.on("keydown.enter", uploads.from_url)


def _choices_card() -> tuple[ui.select, TagField]:
    """What every new document is filed as: its kind and its tags."""
    with ui.card().classes("w-full"):
        card_title("Angaben für neue Dokumente", "tune")
        with ui.row().classes("w-full gap-4 items-start"):
            kind = (
                ui.select(KIND_LABELS, value="document", label="Art der Dokumente")
                .props("outlined")
                .classes("min-w-[14rem]")
            )
            tags = (
                TagField("Schlagwörter (Enter nach jedem)")
                .props("outlined")
                .classes("grow min-w-[18rem]")
                .mark("upload-tags")
            )
    return kind, tags


def _files_card(max_mb: int) -> ui.upload:
    with ui.card().classes("grow basis-[32rem]"):
        card_title("Dateien hochladen", "upload_file")
        ui.label(
            f"{ACCEPTED}, bis {max_mb} MB je Datei. Ziehen Sie Dateien in das Feld oder wählen Sie "
            "sie aus; jede wird sofort hochgeladen und eingelesen."
        ).classes("text-sm luna-muted")
        return upload_field("Dateien hierher ziehen", max_mb, multiple=True)


def _address_card() -> tuple[ui.input, ui.button]:
    with ui.card().classes("grow basis-[24rem]"):
        card_title("Von einer Adresse abrufen", "link")
        ui.label("Luna lädt die Seite oder Datei herunter und liest sie ein.").classes("text-sm luna-muted")
        url = ui.input("Adresse (URL)", placeholder="https://…").props("outlined type=url").classes("w-full")
        return url, ui.button("Abrufen und einlesen", icon="cloud_download").props("no-caps")


class _Uploads:
    """Files and addresses on their way in, one at a time, each with its row under "Verarbeitung"."""

    def __init__(
        self,
        container: Container,
        max_mb: int,
        kind: ui.select,
        tags: TagField,
        url: ui.input,
        rows: ui.column,
    ) -> None:
        self.container = container
        self.max_mb = max_mb
        self.kind, self.tags, self.url, self.rows = kind, tags, url, rows
        self.turn = asyncio.Lock()
        with rows:
            self.hint = ui.label("Noch nichts hochgeladen.").classes("luna-muted")

    def chosen(self) -> tuple[str, list[str]]:
        return str(self.kind.value or "document"), list(self.tags.value or [])

    async def ingest(self, row: _Row, work: Callable[[Progress], IngestResult], *, url: bool = False) -> None:
        async with self.turn:
            row.running()
            try:
                result = await in_thread(work, row.progress.report)
            except Exception as error:
                row.failed(*refusal(error, self.max_mb, url=url, name=row.name))
                return
            row.succeeded(result)

    def new_row(self, name: str, icon: str) -> _Row:
        self.hint.set_visibility(False)
        with self.rows:
            row = _Row(name, icon)
        row.card.move(self.rows, target_index=0)
        return row

    async def received(self, event: UploadEventArguments) -> None:
        name = without_direction_controls(event.file.name or "") or "Datei"  # shown, quoted in messages
        row = self.new_row(name, "description")
        data = await event.file.read()
        kind_value, tag_values = self.chosen()
        request = IngestRequest(
            data=data,
            filename=name,
            declared_type=event.file.content_type,
            kind=kind_value,
            source="upload",
            tags=tag_values,
            added_by="admin",
            added_via="dashboard",
        )
        container = self.container

        def work(progress: Progress) -> IngestResult:
            return container.services.knowledge.ingest.ingest(request, progress)

        await self.ingest(row, work)

    def rejected(self, event: GenericEventArguments) -> None:
        entries = event.args if isinstance(event.args, list) else []
        for entry in entries:
            name = str(entry.get("name") or "Datei") if isinstance(entry, dict) else "Datei"
            reason = entry.get("reason") if isinstance(entry, dict) else None
            row = self.new_row(name, "description")
            if reason == "max-file-size":
                row.failed(f"Die Datei ist zu groß: höchstens {self.max_mb} MB sind erlaubt.")
            else:
                row.failed("Diese Datei wurde nicht angenommen.")

    async def from_url(self) -> None:
        address = (self.url.value or "").strip()
        if not address:
            ui.notify("Bitte geben Sie eine Adresse ein.", type="warning", position="top")
            return
        row = self.new_row(address, "link")
        kind_value, tag_values = self.chosen()
        self.url.set_value("")
        try:
            tag_values = clean_tags(tag_values)
        except InvalidInput as error:
            row.failed(*refusal(error, self.max_mb))
            return
        container = self.container

        def work(progress: Progress) -> IngestResult:
            return container.services.knowledge.ingest.ingest_url(
                address,
                kind=kind_value,
                tags=tag_values,
                added_by="admin",
                added_via="dashboard",
                progress=progress,
            )

        await self.ingest(row, work, url=True)
