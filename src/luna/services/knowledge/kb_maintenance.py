"""Keeping SQL, vectors and blobs in agreement: drift reports, repairs and reindexing.

SQL is the truth. ``verify`` compares the other stores with it; ``--fix`` makes them agree again:

* ``pending`` items older than the grace period belong to an ingest that died: their points, blobs and
  row are removed (a live ingest is younger than the grace period).
* points without an indexed, current chunk behind them are deleted;
* current chunks of indexed items without a point are embedded (from the cache when possible) again;
* blobs under ``docs/raw/`` or ``docs/processed/`` of items that do not exist are deleted;
* an item's blobs of an upload that did not become the version it was made for (killed between writing
  its files and the compare-and-set, see :mod:`~luna.services.knowledge.ingest`) are deleted once the
  item has reached that version: no chunk names them. A file for a version not reached yet may belong
  to an upload still running, so it stays (it is never read, and it goes with the item);
* indexed items whose current version's raw file (the upload) or processed file (its extracted text)
  is missing are reported, not repaired: nothing brings the upload back. The version's chunks name its
  files (``ingest_rules.version_blob_stem``), so an older version's files do not hide a missing one.

``reindex`` rebuilds vectors from the chunks in SQL: for a few items in place, for everything in a
shadow collection that replaces the active one in one alias swap (the previous one is kept).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import Any

from luna.domain.errors import InvalidInput, NotFound
from luna.domain.items import Item, ItemChunk, ItemStatus
from luna.ports.blobs import BlobStore
from luna.ports.sql import Database
from luna.ports.vectors import VectorIndex
from luna.services.knowledge.indexing import ChunkIndexer
from luna.services.knowledge.ingest_rules import (
    processed_blob_prefix,
    raw_blob_prefix,
    upload_version,
    version_blob_stem,
)
from luna.services.knowledge.retrieval import validate_filters

logger = logging.getLogger(__name__)

#: A pending item younger than this may belong to an ingest still running.
PENDING_GRACE = timedelta(minutes=15)
_BLOB_ROOTS = ("docs/raw/", "docs/processed/")
_ITEM_FILTER_KEYS = frozenset({"kind", "source", "tags", "item_id"})

Progress = Callable[[float, str], None]


def _quiet(fraction: float, message: str) -> None:
    return None


@dataclass(slots=True)
class DriftReport:
    stale_pending_items: list[str] = field(default_factory=list)
    #: Pending items younger than the grace period: an ingest that is (probably) still running. Shown
    #: at once, so an operator sees them right after a crash; ``--fix`` leaves them alone.
    pending_items_in_progress: list[str] = field(default_factory=list)
    orphan_points: list[str] = field(default_factory=list)
    missing_points: list[str] = field(default_factory=list)
    orphan_blob_items: list[str] = field(default_factory=list)
    #: Blob keys of uploads that did not become the version they were made for.
    orphan_version_files: list[str] = field(default_factory=list)
    #: Indexed items whose current version's uploaded file is missing.
    missing_raw_files: list[str] = field(default_factory=list)
    #: Indexed items whose current version's extracted text is missing.
    missing_processed_files: list[str] = field(default_factory=list)
    #: A repair ran and left nothing repairable behind (lost files stay: see ``lost_files``).
    fixed: bool = False

    @property
    def clean(self) -> bool:
        return not (self.repairable or self.lost_files)

    @property
    def repairable(self) -> bool:
        return bool(
            self.stale_pending_items
            or self.orphan_points
            or self.missing_points
            or self.orphan_blob_items
            or self.orphan_version_files
        )

    @property
    def lost_files(self) -> list[str]:
        """Items whose current upload or extracted text is gone: reported, never repaired."""
        return sorted(set(self.missing_raw_files) | set(self.missing_processed_files))

    def summary(self) -> dict[str, int]:
        return {
            "stale_pending_items": len(self.stale_pending_items),
            "pending_items_in_progress": len(self.pending_items_in_progress),
            "orphan_points": len(self.orphan_points),
            "missing_points": len(self.missing_points),
            "orphan_blob_items": len(self.orphan_blob_items),
            "orphan_version_files": len(self.orphan_version_files),
            "missing_raw_files": len(self.missing_raw_files),
            "missing_processed_files": len(self.missing_processed_files),
        }


@dataclass(slots=True)
class _SqlState:
    items: dict[str, Item]
    chunks: dict[str, ItemChunk]


class KnowledgeMaintenance:
    def __init__(
        self,
        database: Database,
        vectors: VectorIndex,
        blobs: BlobStore,
        indexer: ChunkIndexer,
    ) -> None:
        self._database = database
        self._vectors = vectors
        self._blobs = blobs
        self._indexer = indexer

    # -- verify ------------------------------------------------------------------------------------

    def verify(self, *, fix: bool = False, now: datetime | None = None) -> DriftReport:
        moment = now or datetime.now(UTC)
        state = self._sql_state()
        report = DriftReport()
        for item in state.items.values():
            created = item.created_at or moment
            if item.status == ItemStatus.PENDING and moment - created > PENDING_GRACE:
                report.stale_pending_items.append(item.item_id)
            elif item.status == ItemStatus.PENDING:
                report.pending_items_in_progress.append(item.item_id)
        collection = self._indexer.collections.active()
        points = set(self._vectors.point_ids(collection))
        searchable = {
            chunk_id
            for chunk_id, chunk in state.chunks.items()
            if state.items[chunk.item_id].status == ItemStatus.INDEXED
        }
        report.orphan_points = sorted(points - searchable)
        report.missing_points = sorted(searchable - points)
        item_blobs = [key for root in _BLOB_ROOTS for key in self._blobs.list(root) if key.count("/") >= 3]
        report.orphan_blob_items = sorted({key.split("/")[2] for key in item_blobs} - set(state.items))
        report.orphan_version_files = self._unnamed_version_files(state, item_blobs)
        report.missing_raw_files, report.missing_processed_files = _missing_current_files(state, item_blobs)
        if fix and report.repairable:
            self._repair(report, state, collection)
            report.fixed = True
        return report

    def _repair(self, report: DriftReport, state: _SqlState, collection: str) -> None:
        for item_id in report.stale_pending_items:
            self._indexer.remove_vectors([], item_id=item_id)
            with self._database.unit_of_work() as uow:
                uow.items.delete(item_id)
                uow.commit()
            self._delete_blobs(item_id)
        if report.orphan_points:
            self._vectors.delete(collection, report.orphan_points)
        by_item: dict[str, list[ItemChunk]] = {}
        for chunk_id in report.missing_points:
            chunk = state.chunks[chunk_id]
            by_item.setdefault(chunk.item_id, []).append(chunk)
        for item_id, chunks in by_item.items():
            self._indexer.write_vectors(state.items[item_id], chunks, collection=collection)
        for item_id in report.orphan_blob_items:
            self._delete_blobs(item_id)
        for key in report.orphan_version_files:
            self._blobs.delete(key)
        self._blobs.remove_empty_folders("docs/")
        self._indexer.lexical.invalidate()

    def _unnamed_version_files(self, state: _SqlState, keys: Sequence[str]) -> list[str]:
        """The ``keys`` of uploads for a version their item has reached that none of its chunks (the
        archived ones too) name. The SQL state is read before the keys are listed and versions only grow,
        so an upload that can still win is for a version above the state's and never among them; one for
        a version reached already has lost, and deletes the same files itself if it still runs."""
        candidates: dict[str, list[str]] = {}
        for key in keys:
            item = state.items.get(key.split("/")[2])
            version = upload_version(PurePath(key).stem)
            if item is not None and version is not None and version <= item.version:
                candidates.setdefault(item.item_id, []).append(key)
        unnamed: list[str] = []
        with self._database.unit_of_work(read_only=True) as uow:
            for item_id, item_keys in candidates.items():
                chunks = uow.chunks.list_for_item(item_id, include_archived=True)
                named = {version_blob_stem(chunk) for chunk in chunks}
                unnamed += [key for key in item_keys if PurePath(key).stem not in named]
        return sorted(unnamed)

    def _delete_blobs(self, item_id: str) -> None:
        self._blobs.delete_prefix(raw_blob_prefix(item_id))
        self._blobs.delete_prefix(processed_blob_prefix(item_id))

    def _sql_state(self) -> _SqlState:
        with self._database.unit_of_work(read_only=True) as uow:
            total = uow.items.count()
            items = {item.item_id: item for item in uow.items.list(limit=max(total, 1))}
            chunks = {chunk.chunk_id: chunk for batch in uow.chunks.all_active() for chunk in batch}
        return _SqlState(items, chunks)

    # -- reindex -----------------------------------------------------------------------------------

    def reindex(
        self,
        item_ids: Sequence[str] | None = None,
        where: Mapping[str, Any] | None = None,
        progress: Progress = _quiet,
    ) -> dict[str, Any]:
        """Rebuild vectors from SQL: the chosen items in place, or everything via a shadow collection."""
        state = self._sql_state()
        if item_ids or where:
            chosen = self._choose(state, item_ids or [], where or {})
            return self._reindex_in_place(state, chosen, progress)
        return self._reindex_all(state, progress)

    @staticmethod
    def refuse_empty_scope(item_ids: object, where: object, where_name: str) -> None:
        """An empty ``item_ids`` or filter given explicitly is a 400, not "every item": a client that
        found no items to reindex would otherwise rebuild the whole collection. Left out means all."""
        if isinstance(item_ids, list) and not item_ids:
            raise InvalidInput("item_ids: name at least one item, or leave item_ids out for every item.")
        if isinstance(where, dict) and not where:
            raise InvalidInput(
                f"{where_name}: name at least one field, or leave {where_name} out for every item."
            )

    def check_scope(self, item_ids: Sequence[str], where: Mapping[str, Any]) -> None:
        """Refuse a reindex request before it is queued: unknown filter keys or values of the wrong type
        (400, as a search would) or unknown items (404)."""
        if not isinstance(where, Mapping) or not isinstance(item_ids, list | tuple):
            raise InvalidInput("A reindex or re-read takes item_ids as a list and its filter as an object.")
        unknown_keys = sorted(str(key)[:70] for key in set(where) - _ITEM_FILTER_KEYS)
        if unknown_keys:
            raise InvalidInput(
                f"A reindex or re-read filters on {sorted(_ITEM_FILTER_KEYS)}; unknown: {unknown_keys[:20]}."
            )
        validate_filters(where)
        if not all(isinstance(item_id, str) for item_id in item_ids):
            raise InvalidInput("item_ids must be a list of item ids (texts).")
        with self._database.unit_of_work(read_only=True) as uow:
            missing = [item_id for item_id in item_ids if uow.items.get(item_id) is None]
        if len(missing) == 1:  # worded as every unknown ID is
            raise NotFound(f"No item with id {missing[0]!r}.", details={"item_ids": missing})
        if missing:
            raise NotFound(f"No items with ids {missing[:5]}.", details={"item_ids": missing})

    def indexed_items(self, item_ids: Sequence[str], where: Mapping[str, Any]) -> list[Item]:
        """The indexed items a maintenance job over ``item_ids`` (none: all) and ``where`` takes; checked
        as :meth:`check_scope` checks (400 for a bad filter, 404 for an unknown item)."""
        self.check_scope(item_ids, where)
        with self._database.unit_of_work(read_only=True) as uow:
            total = uow.items.count()
            items = [uow.items.get(i) for i in item_ids] if item_ids else uow.items.list(limit=max(total, 1))
        return [
            item
            for item in items
            if item is not None
            and item.status == ItemStatus.INDEXED
            and all(_matches(item, k, v) for k, v in where.items())
        ]

    def _choose(self, state: _SqlState, item_ids: Sequence[str], where: Mapping[str, Any]) -> list[Item]:
        self.check_scope(item_ids, where)
        candidates = [state.items[i] for i in item_ids] if item_ids else list(state.items.values())
        return [
            item
            for item in candidates
            if item.status == ItemStatus.INDEXED and all(_matches(item, k, v) for k, v in where.items())
        ]

    def _reindex_in_place(
        self, state: _SqlState, chosen: Sequence[Item], progress: Progress
    ) -> dict[str, Any]:
        collection = self._indexer.collections.active()
        done = 0
        for number, item in enumerate(chosen, start=1):
            chunks = [c for c in state.chunks.values() if c.item_id == item.item_id]
            self._vectors.delete_where(collection, {"item_id": item.item_id})
            self._indexer.write_vectors(item, chunks, collection=collection)
            done += len(chunks)
            progress(number / max(len(chosen), 1), f"{number} von {len(chosen)} Dokumenten neu indexiert")
        return {"mode": "in_place", "collection": collection, "items": len(chosen), "chunks": done}

    def _reindex_all(self, state: _SqlState, progress: Progress) -> dict[str, Any]:
        collections = self._indexer.collections
        shadow = collections.create_shadow()
        indexed = [item for item in state.items.values() if item.status == ItemStatus.INDEXED]
        total = sum(1 for c in state.chunks.values() if state.items[c.item_id].status == ItemStatus.INDEXED)
        done = 0
        try:
            for item in indexed:
                chunks = [c for c in state.chunks.values() if c.item_id == item.item_id]
                self._indexer.write_vectors(item, chunks, collection=shadow)
                done += len(chunks)
                progress(0.95 * done / max(total, 1), f"{done} von {total} Abschnitten in {shadow}")
            self._vectors.optimize(shadow)
        except BaseException:
            self._vectors.drop_collection(shadow)
            raise
        previous = collections.swap(shadow)
        caught_up = self._catch_up(shadow)
        progress(1.0, f"Neue Index-Version aktiv ({shadow}, {done} Abschnitte)")
        return {
            "mode": "full",
            "collection": shadow,
            "previous": previous,
            "items": len(indexed),
            "chunks": done + caught_up,
        }

    def _catch_up(self, collection: str) -> int:
        """Index what was ingested into the old collection while the shadow was being filled."""
        state = self._sql_state()
        points = set(self._vectors.point_ids(collection))
        missing: dict[str, list[ItemChunk]] = {}
        for chunk in state.chunks.values():
            if chunk.chunk_id not in points and state.items[chunk.item_id].status == ItemStatus.INDEXED:
                missing.setdefault(chunk.item_id, []).append(chunk)
        for item_id, chunks in missing.items():
            self._indexer.write_vectors(state.items[item_id], chunks, collection=collection)
        return sum(len(chunks) for chunks in missing.values())


def _missing_current_files(state: _SqlState, keys: Sequence[str]) -> tuple[list[str], list[str]]:
    """The indexed items whose current version has no raw file among the blob ``keys``, and those whose
    current version has no processed file. The chunks record the version's stem, not the raw file's
    ending (the detected type's), so a file counts by its folder and stem."""
    present = {(key.split("/")[1], key.split("/")[2], PurePath(key).stem) for key in keys}
    current = {(chunk.item_id, version_blob_stem(chunk)) for chunk in state.chunks.values()}
    indexed = {item_id for item_id, item in state.items.items() if item.status == ItemStatus.INDEXED}
    missing: dict[str, set[str]] = {"raw": set(), "processed": set()}
    for item_id, stem in current:
        for folder, items in missing.items():
            if item_id in indexed and (folder, item_id, stem) not in present:
                items.add(item_id)
    return sorted(missing["raw"]), sorted(missing["processed"])


def _matches(item: Item, key: str, wanted: Any) -> bool:
    values = wanted if isinstance(wanted, list) else [wanted]
    if key == "tags":
        return any(value in item.tags for value in values)
    return getattr(item, key) in values
