"""The snapshot card of the jobs view: back up the knowledge base (SQL, vectors, files) and restore it.

Snapshots are written and restored synchronously by the snapshot service (no job), so the card shows
a busy button while one runs; restoring and deleting ask first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from nicegui import ui

from luna.services.knowledge.snapshots import SnapshotInfo, SnapshotService
from luna.web.admin.pages_admin_corpus_parts import action_button
from luna.web.components.clicks import one_at_a_time
from luna.web.components.dialogs import confirmed
from luna.web.components.errors import failure_shown
from luna.web.components.formats import de_datetime, de_int, de_number
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state

_PARTS: Final = {"sql": "Datenbank", "vectors": "Vektorindex", "blobs": "Dateien"}
#: What a snapshot counts, singular and plural.
_COUNTS: Final = {
    "items": ("Dokument", "Dokumente"),
    "chunks": ("Abschnitt", "Abschnitte"),
    "points": ("Vektor", "Vektoren"),
    "blobs": ("Datei", "Dateien"),
}


def _size(size_bytes: int) -> str:
    if size_bytes >= 1024 * 1024:
        return f"{de_number(size_bytes / (1024 * 1024), 1)} MB"
    return f"{de_number(size_bytes / 1024, 1)} KB"


def _contents(info: SnapshotInfo) -> str:
    parts = ", ".join(_PARTS.get(part, part) for part in info.parts)
    counts = ", ".join(
        f"{de_int(value)} {_COUNTS.get(key, (key, key))[0 if value == 1 else 1]}"
        for key, value in info.counts.items()
    )
    return f"{parts} ({counts})" if counts else parts


async def snapshot_card(snapshots: SnapshotService) -> None:
    """The card: a button to take a snapshot and the list of snapshots, each restorable and deletable."""
    await _SnapshotCard(snapshots).refresh()


class _SnapshotCard:
    def __init__(self, snapshots: SnapshotService) -> None:
        self.snapshots = snapshots
        with ui.card().classes("w-full"):
            with ui.row().classes("w-full items-center gap-2"):
                card_title("Snapshots", "backup")
                ui.space()
                self.create = (
                    ui.button("Snapshot erstellen", icon="add_a_photo", on_click=self.take)
                    .props("no-caps")
                    .mark("snapshot-create")
                )
            ui.label(
                "Ein Snapshot sichert die Wissensbasis (Dokumente, Abschnitte, Vektorindex, Adapter) "
                "gemeinsam. Beim Wiederherstellen wird nur sie ersetzt; Nutzer, Ereignisse, Bewertungen, "
                "Gespräche, Konten und Messwerte bleiben, wie sie sind."
            ).classes("text-sm luna-muted")
            self.listing = ui.column().classes("w-full gap-1").mark("snapshot-list")

    async def refresh(self) -> None:
        with failure_shown(self.listing, what="Die Liste der Snapshots") as attempt:
            found = await in_thread(self.snapshots.list)
        if not attempt.failed:
            self.show(found)

    def show(self, found: Sequence[SnapshotInfo]) -> None:
        self.listing.clear()
        with self.listing:
            if not found:
                empty_state("Noch kein Snapshot", "Erstellen Sie einen, bevor Sie größere Änderungen machen.")
                return
            for info in found:
                self._row(info)

    def _row(self, info: SnapshotInfo) -> None:
        with (
            ui.row()
            .classes("w-full items-center gap-3 py-2")
            .style("border-bottom: 1px solid #E5E7EB")
            .mark("snapshot-row")
        ):
            with ui.column().classes("gap-0 grow"):
                ui.label(de_datetime(info.created_at)).classes("font-medium")
                ui.label(f"{_contents(info)} · {_size(info.size_bytes)}").classes("text-sm luna-muted")
                ui.label(info.snapshot_id).classes("text-xs luna-muted font-mono")
            action_button(
                "Wiederherstellen",
                "settings_backup_restore",
                f"Wiederherstellen: Snapshot vom {de_datetime(info.created_at)}",
                lambda: self.restore(info),
            )
            action_button(
                "Löschen",
                "delete",
                f"Löschen: Snapshot vom {de_datetime(info.created_at)}",
                lambda: self.delete(info),
                danger=True,
            )

    async def restore(self, info: SnapshotInfo) -> None:
        if not await confirmed(
            "Snapshot wiederherstellen?",
            f"Der aktuelle Stand ({', '.join(_PARTS.get(p, p) for p in info.parts)}) wird durch den "
            f"Snapshot vom {de_datetime(info.created_at)} ersetzt. Dokumente, die seitdem eingelesen oder "
            "geändert wurden, gehen verloren; Ereignisse, Bewertungen, Gespräche, Konten und Messwerte "
            "bleiben.",
            "Wiederherstellen",
            icon="settings_backup_restore",
        ):
            return
        note = ui.notification(
            "Snapshot wird wiederhergestellt …", spinner=True, timeout=None, position="top"
        )
        with failure_shown() as attempt:
            await in_thread(self.snapshots.restore, info.snapshot_id)
        note.dismiss()
        if attempt.failed:
            return
        ui.notify(
            f"Snapshot vom {de_datetime(info.created_at)} wiederhergestellt.",
            type="positive",
            position="top",
        )
        await self.refresh()

    async def delete(self, info: SnapshotInfo) -> None:
        if not await confirmed(
            "Snapshot löschen?",
            f"Der Snapshot vom {de_datetime(info.created_at)} wird endgültig gelöscht.",
            "Endgültig löschen",
            icon="delete_forever",
        ):
            return
        with failure_shown() as attempt:
            await in_thread(self.snapshots.delete, info.snapshot_id)
        if attempt.failed:
            return
        ui.notify("Snapshot gelöscht.", type="positive", position="top")
        await self.refresh()

    @one_at_a_time
    async def take(self) -> None:
        self.create.props("loading")
        with failure_shown() as attempt:
            info = await in_thread(self.snapshots.create)
        self.create.props(remove="loading")
        if attempt.failed:
            return
        ui.notify(f"Snapshot erstellt ({_size(info.size_bytes)}).", type="positive", position="top")
        await self.refresh()
