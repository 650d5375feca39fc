"""Stored documents read again with the current extractor: what an upgrade of Luna's readers brings to
documents ingested before it.

Luna keeps every upload's file (``docs/raw/<item>/<stem><ext>``), and reading improves between versions:
an invoice's amounts set apart from their labels, a law's official XML, a Word leaflet's bold headings.
A reindex only embeds the stored chunks again; a re-read extracts the stored file anew, and where the
chunks (text and section) or the extracted title differ, the item gets them as its next version, as an
upload of a new version would (old chunks archived, the previous version's files kept). An item whose
reading has not changed is left as it is. A title a person chose is kept: the title is replaced only
when it is the one the previous reading extracted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from luna.domain.errors import LunaError, Unprocessable
from luna.domain.items import Item
from luna.ports.blobs import BlobStore
from luna.ports.sql import Database
from luna.services.knowledge.ingest import MAX_TITLE_CHARS, IngestRequest, IngestService
from luna.services.knowledge.ingest_rules import processed_blob_prefix, raw_blob_prefix, version_blob_stem
from luna.services.knowledge.kb_maintenance import KnowledgeMaintenance

logger = logging.getLogger(__name__)
Progress = Callable[[float, str], None]


def _quiet(fraction: float, message: str) -> None:
    return None


@dataclass(slots=True)
class RereadReport:
    """What a re-read did: items read, those that got a new version, unchanged ones, and failures."""

    items: int = 0
    new_versions: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """For the job list: "12 Dokumente neu gelesen: 3 neue Versionen, 9 unverändert, 0 Fehler"."""
        return (
            f"{self.items} Dokumente neu gelesen: {len(self.new_versions)} neue Versionen, "
            f"{self.unchanged} unverändert, {len(self.failed)} Fehler"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "new_versions": len(self.new_versions),
            "unchanged": self.unchanged,
            "failed": self.failed,
            "item_ids": self.new_versions,
        }


class DocumentRereader:
    def __init__(
        self, database: Database, blobs: BlobStore, ingest: IngestService, maintenance: KnowledgeMaintenance
    ) -> None:
        self._database = database
        self._blobs = blobs
        self._ingest = ingest
        self._maintenance = maintenance

    def reread(
        self,
        item_ids: Sequence[str] | None = None,
        where: dict[str, Any] | None = None,
        progress: Progress = _quiet,
    ) -> RereadReport:
        """Read the chosen indexed items (``item_ids``, else all, filtered by ``where``) again. One that
        cannot be read (its file is missing, the reader refuses it) is reported and the rest go on."""
        chosen = self._maintenance.indexed_items(list(item_ids or []), where or {})
        report = RereadReport(items=len(chosen))
        for number, item in enumerate(chosen, start=1):
            try:
                changed = self.reread_item(item)
            except LunaError as error:
                report.failed.append({"item_id": item.item_id, "error": error.message})
                logger.warning("re-read of item %s failed: %s", item.item_id, error.message)
                changed = False
            if changed:
                report.new_versions.append(item.item_id)
            elif not any(f["item_id"] == item.item_id for f in report.failed):
                report.unchanged += 1
            progress(number / max(len(chosen), 1), f"{number} von {len(chosen)} Dokumenten neu gelesen")
        progress(1.0, report.summary())
        return report

    def reread_item(self, item: Item) -> bool:
        """Whether ``item`` got a new version from its stored file read again."""
        stem, current = self._current_reading(item.item_id)
        raw_key = self._raw_key(item.item_id, stem)
        before = self._previous_reading(item.item_id, stem)
        request = IngestRequest(
            data=self._blobs.get(raw_key),
            # The stored file is named by version ("v2-…"); a document without a title of its own is
            # named after its file, so it is read under the name it has now, with the file's type.
            filename=f"{(item.title or 'Dokument').replace('/', '-')}{PurePath(raw_key).suffix}",
            declared_type=_declared_type(raw_key, before),
            kind=item.kind,
            source=item.source or "upload",
            tags=list(item.tags),
            url=item.url,
            added_by="job:kb.reread",
            added_via="job",
        )
        title, chunks = self._ingest.extracted(request)
        extracted = before.get("title")
        extracted_title_kept = isinstance(extracted, str) and item.title == _as_title(extracted)
        new_title = _as_title(title) if title and extracted_title_kept else item.title
        if [(c.text, c.section) for c in chunks] == current and new_title == item.title:
            return False
        self._ingest.replace(item.item_id, replace(request, title=new_title), same_file=True)
        return True

    def _current_reading(self, item_id: str) -> tuple[str, list[tuple[str, str | None]]]:
        """The current version's file stem and its chunks (text, section) in order."""
        with self._database.unit_of_work(read_only=True) as uow:
            chunks = sorted(uow.chunks.list_for_item(item_id), key=lambda c: c.chunk_idx)
        stems = {version_blob_stem(c) for c in chunks}
        if len(stems) != 1:
            raise _unreadable(item_id, "its chunks do not name one file they were read from")
        return stems.pop(), [(c.text, c.metadata.get("section")) for c in chunks]

    def _raw_key(self, item_id: str, stem: str) -> str:
        found = [key for key in self._blobs.list(raw_blob_prefix(item_id)) if PurePath(key).stem == stem]
        if len(found) != 1:
            raise _unreadable(item_id, f"its stored file {stem}.* is missing")
        return found[0]

    def _previous_reading(self, item_id: str, stem: str) -> dict[str, Any]:
        """The previous reading (its processed JSON: title, blocks), empty when it is not there."""
        key = f"{processed_blob_prefix(item_id)}{stem}.json"
        if not self._blobs.exists(key):
            return {}
        reading = json.loads(self._blobs.get(key))
        return reading if isinstance(reading, dict) else {}


def _declared_type(raw_key: str, before: dict[str, Any]) -> str | None:
    """``text/csv`` for a CSV or TSV stored as ``.txt`` (as Luna did before it kept the name), known by
    its previous reading: plain text read as one table. Read as ``.txt`` alone, it would lose its table."""
    blocks = before.get("blocks")
    table = isinstance(blocks, list) and [b.get("kind") for b in blocks if isinstance(b, dict)] == ["table"]
    return "text/csv" if table and PurePath(raw_key).suffix == ".txt" else None


def _as_title(text: str) -> str:
    """A title as the ingest stores it (one line, at most the stored length)."""
    return " ".join(text.split())[:MAX_TITLE_CHARS]


def _unreadable(item_id: str, why: str) -> Unprocessable:
    return Unprocessable(f"Item {item_id} cannot be read again: {why}.", details={"item_id": item_id})
