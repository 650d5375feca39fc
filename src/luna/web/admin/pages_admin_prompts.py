"""``/admin/prompts`` ("Prompts"): Luna's prompt file under version control (seed 003 phase 6).

The editor holds the active version's YAML; "Als neue Version speichern" keeps the edit as a new version
that Luna answers with from the next question on (author ``admin``, the note, an audit entry with the
diff). A text that fails the checks is not kept: every problem is listed in German under the editor, by
line and key. The table lists every version (the packaged file as version 0) with its author, time, note
and the active one marked; "Unterschied zur aktiven" shows the diff in a dialog, "Aktivieren" answers with
that version again (a rollback, or forward). The service is the container's (``container.prompts``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from nicegui import ui
from nicegui.events import GenericEventArguments

from luna.domain.errors import Conflict
from luna.domain.prompt_versions import (
    MAX_NOTE_CHARS,
    MAX_PROMPT_CHARS,
    PACKAGED_VERSION,
    InvalidPrompts,
    ProblemKind,
    PromptProblem,
    PromptVersion,
    usable_placeholders,
)
from luna.web.components.dialogs import confirmed
from luna.web.components.errors import failure_shown
from luna.web.components.formats import de_datetime
from luna.web.components.layout import AdminView, admin_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, discard, loading

#: Who saves and activates: the dashboards' admin session knows no person, only the key.
ACTOR: Final = "admin"
#: A diff longer than this many lines is cut in the dialog (the API gives it whole).
MAX_DIFF_LINES: Final = 1500
_PROBLEMS: Final = {
    ProblemKind.YAML: "Das ist kein gültiges YAML ({detail}).",
    ProblemKind.TOO_LONG: "Der Text ist länger als {detail} Zeichen.",
    ProblemKind.NOT_A_MAPPING: "Hier wird eine Zuordnung von Schlüsseln erwartet („schlüssel: text“).",
    ProblemKind.DUPLICATE_KEY: "Dieser Schlüssel kommt mehrfach vor.",
    ProblemKind.MISSING: "Dieser Text fehlt.",
    ProblemKind.NOT_TEXT: "Hier muss ein nicht leerer Text stehen.",
    ProblemKind.UNKNOWN_PLACEHOLDER: "Unbekannte Platzhalter: {detail}.",
    ProblemKind.MISSING_PLACEHOLDER: "Der Platzhalter {detail} muss erhalten bleiben.",
    ProblemKind.PLACEHOLDER_FORMAT: "Platzhalter ohne Formatangabe schreiben: {detail}.",
    ProblemKind.BRACES: "Die geschweiften Klammern stimmen nicht; eine Klammer als Text schreiben Sie "
    "doppelt ({{{{ oder }}}}).",
}
_COLUMNS: Final = [
    {"name": name, "label": label, "field": name, "align": "left"}
    for name, label in (
        ("label", "Version"),
        ("status", "Status"),
        ("author", "Autor"),
        ("time", "Gespeichert"),
        ("note", "Notiz"),
        ("actions", "Aktionen"),
    )
]
_STATUS_SLOT: Final = r"""
<q-td :props="props"><q-badge v-if="props.row.active" color="positive" label="Aktiv" /></q-td>
"""
_ACTIONS_SLOT: Final = r"""
<q-td :props="props">
  <div v-if="!props.row.active" class="row items-center q-gutter-xs">
    <q-btn flat dense no-caps color="primary" icon="difference" label="Unterschied zur aktiven"
           :aria-label="'Unterschied zur aktiven: ' + props.row.label"
           @click="() => $parent.$emit('diff', props.row.version)" />
    <q-btn flat dense no-caps color="primary" icon="restore" label="Aktivieren"
           :aria-label="'Aktivieren: ' + props.row.label"
           @click="() => $parent.$emit('activate', props.row.version)" />
  </div>
</q-td>
"""


def problem_text(problem: PromptProblem) -> str:
    """One problem of an edited prompt text in German, with its line and key."""
    where = f"Zeile {problem.line}" + (f", „{problem.key}“" if problem.key else "")
    text = _PROBLEMS[problem.kind].format(detail=problem.detail)
    usable = usable_placeholders(problem.key)
    if problem.kind is ProblemKind.UNKNOWN_PLACEHOLDER and usable:
        text += f" Erlaubt sind hier: {usable}."
    return f"{where}: {text}"


def version_label(version: PromptVersion | int) -> str:
    number = version if isinstance(version, int) else version.version
    return "Version 0 (mitgeliefert)" if number == PACKAGED_VERSION else f"Version {number}"


@dataclass(frozen=True, eq=False)
class _Editor:
    status: ui.label
    editor: ui.textarea
    problems: ui.column
    note: ui.input
    saving: ui.button


def _editor_card() -> _Editor:
    """The active version's YAML in a monospace editor, the note, the save button and its problems."""
    with ui.card().classes("w-full gap-3"):
        card_title("Aktive Fassung bearbeiten", "edit_note")
        status = ui.label().classes("text-sm luna-muted").mark("prompt-status")
        editor = (
            ui.textarea("Prompt-Datei (YAML)")
            .props(
                'outlined spellcheck="false" input-class="font-mono text-sm" input-style="min-height: 26rem" '
                # The limit in the browser: a longer text (over about 1 MB) was dropped on its way to the
                # server, which then checked the previous text and showed its problems again.
                f'maxlength="{MAX_PROMPT_CHARS}" counter'
            )
            .classes("w-full")
            .mark("prompt-editor")
        )
        problems = ui.column().classes("w-full gap-1").props('role="alert"').mark("prompt-problems")
        with ui.row().classes("w-full items-center gap-3"):
            note = (
                ui.input("Notiz (optional)")
                .props(f'outlined dense maxlength="{MAX_NOTE_CHARS}"')
                .classes("grow min-w-[14rem]")
                .mark("prompt-note")
            )
            saving = ui.button("Als neue Version speichern", icon="save").props("no-caps")
    return _Editor(status, editor, problems, note, saving)


@admin_page("/admin/prompts")
async def prompts(view: AdminView) -> None:
    service = view.web.container.prompts.service
    shown: dict[str, Any] = {}
    edit = _editor_card()
    status, editor, problems, note, saving = edit.status, edit.editor, edit.problems, edit.note, edit.saving
    with ui.card().classes("w-full"):
        card_title("Versionen", "history")
        versions = ui.column().classes("w-full").mark("prompt-versions")
        with versions:
            loading()

    async def refresh(*, editor_too: bool = False) -> None:
        with failure_shown(versions, what="Die Prompt-Versionen"):
            listed: list[PromptVersion] = await in_thread(service.list)
            active = next(v for v in listed if v.active)
            status.set_text(_active_line(active))
            if editor_too:
                editor.set_value(active.text)
            if listed != shown.get("listed"):
                _table(versions, listed, show_diff, activate)
            shown.update(listed=listed, active=active)

    async def save() -> None:
        problems.clear()
        saving.disable()
        try:
            kept = await in_thread(service.save, editor.value or "", ACTOR, note.value)
        except InvalidPrompts as error:
            _problem_list(problems, [problem_text(p) for p in error.problems])
            return
        except Conflict as error:
            if "active" not in error.details:
                raise
            _problem_list(problems, ["Der Text entspricht der aktiven Version; es wurde nichts gespeichert."])
            return
        finally:
            saving.enable()
        note.set_value("")
        ui.notify(f"{version_label(kept)} gespeichert; Luna antwortet jetzt damit.", type="positive")
        await refresh(editor_too=True)

    async def show_diff(event: GenericEventArguments) -> None:
        active: PromptVersion | None = shown.get("active")
        if active is None or not isinstance(event.args, int):
            return
        with failure_shown(what="Der Unterschied"):
            diff = await in_thread(service.diff, active.version, event.args)
            await _diff_dialog(active.version, event.args, diff)

    async def activate(event: GenericEventArguments) -> None:
        if not isinstance(event.args, int):
            return
        label = version_label(event.args)
        if not await confirmed(
            f"{label} aktivieren?",
            f"Luna antwortet ab der nächsten Frage mit {label}. Nicht gespeicherte Änderungen im Editor "
            "gehen verloren.",
            "Aktivieren",
            icon="restore",
            danger=False,
        ):
            return
        problems.clear()
        with failure_shown(what="Das Aktivieren"):
            await in_thread(service.activate, event.args, ACTOR)
            ui.notify(f"Luna antwortet jetzt mit {label}.", type="positive")
        await refresh(editor_too=True)

    saving.on_click(save)
    await refresh(editor_too=True)
    ui.timer(max(view.web.settings.web.refresh_sec, 30.0), refresh, immediate=False)


def _active_line(active: PromptVersion) -> str:
    if active.version == PACKAGED_VERSION:
        return "Luna antwortet mit der mitgelieferten Fassung (Version 0)."
    saved = f", gespeichert am {de_datetime(active.created_at)}" if active.created_at else ""
    return f"Luna antwortet mit Version {active.version} von {active.author}{saved}."


def _problem_list(area: ui.column, lines: Sequence[str]) -> None:
    with area:
        ui.label("Nicht gespeichert:").classes("font-medium text-negative")
        for line in lines:
            with ui.row().classes("items-start gap-2 no-wrap"):
                ui.icon("error_outline", size="xs").classes("text-negative").props('aria-hidden="true"')
                ui.label(line).classes("text-sm").mark("prompt-problem")


_Handler = Callable[[GenericEventArguments], Awaitable[None]]


def _row(version: PromptVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "label": version_label(version),
        "active": version.active,
        "author": version.author,
        "time": de_datetime(version.created_at) if version.created_at else "mit Luna ausgeliefert",
        "note": version.note or "–",
    }


def _table(area: ui.column, listed: Sequence[PromptVersion], show_diff: _Handler, activate: _Handler) -> None:
    area.clear()
    with area:
        table = (
            ui.table(columns=_COLUMNS, rows=[_row(v) for v in listed], row_key="version")
            .props("flat dense wrap-cells")
            .classes("w-full")
            .mark("prompt-table")
        )
        table.add_slot("body-cell-status", _STATUS_SLOT)
        table.add_slot("body-cell-actions", _ACTIONS_SLOT)
        table.on("diff", show_diff)
        table.on("activate", activate)


async def _diff_dialog(active: int, other: int, diff: str) -> None:
    """The unified diff from the active version to ``other``: removed lines red, added ones green."""
    lines = diff.splitlines()
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-4xl gap-3"):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon("difference", size="md").classes("text-primary").props('aria-hidden="true"')
            ui.label(f"Unterschied: {version_label(active)} (aktiv) → {version_label(other)}").classes(
                "text-lg font-semibold"
            ).props('role="heading" aria-level="2"')
        if not lines:
            ui.label("Die beiden Versionen haben denselben Text.")
        else:
            ui.label(
                f"Mit „−“ markierte Zeilen stehen nur in der aktiven {version_label(active)}, mit „+“ "
                f"markierte nur in {version_label(other)}."
            ).classes("text-sm luna-muted")
            with (
                ui.scroll_area().classes("w-full h-[60vh] border rounded").mark("prompt-diff"),
                ui.column().classes("w-full gap-0"),
            ):
                for line in lines[:MAX_DIFF_LINES]:
                    shade = _shade(line)
                    ui.label(line or " ").classes(
                        f"w-full font-mono text-xs whitespace-pre-wrap px-2 {shade}"
                    )
            if len(lines) > MAX_DIFF_LINES:
                ui.label(f"Gekürzt: {len(lines) - MAX_DIFF_LINES} weitere Zeilen.").classes("text-sm")
        with ui.row().classes("w-full justify-end"):
            ui.button("Schließen", on_click=dialog.close).props("flat no-caps autofocus")
    dialog.open()
    await dialog
    discard(dialog)


def _shade(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "font-semibold"
    if line.startswith("+"):
        return "bg-green-1"
    if line.startswith("-"):
        return "bg-red-1"
    return "text-primary" if line.startswith("@@") else ""
