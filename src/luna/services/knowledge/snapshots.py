"""Knowledge-base snapshots: the knowledge base's rows, vectors and blobs under one ID, and the way back
(issue #3, item 8).

A snapshot is a folder ``<root>/<id>/`` holding ``manifest.json``, ``rows/`` (the knowledge-base tables'
rows, :class:`~luna.ports.sql_backup.KnowledgeRows`), ``sql/`` (the database's own whole dump, for an
operator who must restore by hand), ``vectors/`` (:meth:`VectorIndex.snapshot`) and ``blobs/`` (every
blob under ``docs/`` and ``models/finetune/``, keys as relative paths: the documents, and the adapter
versions whose registry rows ``rows/`` holds). It is written into a hidden temporary folder and renamed
into place at the end, so a listed snapshot is always complete; a failed one is removed.

The parts are written in the order that keeps a snapshot taken during ingestion usable: SQL first,
then vectors, then blobs. An item that finishes indexing after the SQL part then only leaves extra
points and blobs, which searches never show (they are read back from SQL) and ``luna admin verify
--fix`` removes; the other order could capture chunks whose vectors are missing.

Restoring puts back the knowledge base and only that ("acknowledged data is never lost"): the
knowledge-base rows are merged back in place, in one transaction, and every other table (users, events,
ratings, conversations, accounts, consent, the audit log, jobs, meter readings and prices, …) stays
exactly as it is, so nothing written since the snapshot is lost and no erasure or consent change is
undone. Vectors (but the flywheel's collection) and blobs are replaced as the snapshot holds them; the
vectors first, checked whole before anything changes. Only a snapshot of the database's
current schema revision is restored. A snapshot written before ``rows/`` existed (manifest format 1) holds
only the whole-database dump; its restore is refused (409) with how to restore the dump by hand, since
Luna must not delete what was written since on its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import re
import secrets
import shutil
import threading
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from luna import __version__
from luna.domain.blobs import check_blob_key
from luna.domain.errors import Conflict, InvalidInput, NotFound, Unprocessable
from luna.domain.scores import AuditEntry
from luna.ports.blobs import BlobStore
from luna.ports.sql import Database
from luna.ports.sql_backup import KnowledgeRows, RowChanges, SqlBackup
from luna.ports.vectors import VectorIndex
from luna.services.knowledge.restore_gate import RestoreGate
from luna.services.operations.jobs import active_job

logger = logging.getLogger(__name__)

SNAPSHOT_ID: Final = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")
MANIFEST_FILE: Final = "manifest.json"
#: Format 2 added ``rows/``; an older Luna refuses to read it, so none can restore it the old way (the
#: whole database). Format 1 snapshots are still listed and their vectors and blobs restored.
MANIFEST_FORMAT: Final = 2
_READABLE_FORMATS: Final = frozenset({1, MANIFEST_FORMAT})
RESTORE_ACTION: Final = "snapshot.restore"
DELETE_ACTION: Final = "snapshot.delete"
#: The blobs a snapshot holds: the documents (raw and processed) and the fine-tuned adapter versions,
#: not CSV drops or other snapshots. Its manifest names them; one without the list holds ``docs/`` only.
BLOB_PREFIXES: Final = ("docs/", "models/finetune/")
_OLDER_BLOB_PREFIXES: Final = ["docs/"]
SQL_DIR: Final = "sql"
ROWS_DIR: Final = "rows"
VECTORS_DIR: Final = "vectors"
BLOBS_DIR: Final = "blobs"
#: Folders below the root that are not snapshots: being written, or being deleted.
#: The job that swaps vector collections (see :mod:`luna.workers.knowledge`).
REINDEX_JOB: Final = "kb.reindex"
_TEMP_PREFIX: Final = ".tmp-"
_TRASH_PREFIX: Final = ".deleting-"


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    snapshot_id: str
    created_at: datetime
    #: Which of ``sql``, ``vectors``, ``blobs`` the snapshot holds.
    parts: tuple[str, ...]
    #: ``items`` and ``chunks`` (with SQL), ``points`` (with vectors), ``blobs`` (with blobs).
    counts: dict[str, int] = field(default_factory=dict)
    #: What it takes on disk: a sparse file (the vector index's preallocated storage) counts its data.
    size_bytes: int = 0
    luna_version: str = ""
    #: The database's schema revision when the snapshot was taken.
    revision: str | None = None


class SnapshotService:
    def __init__(
        self,
        database: Database,
        vectors: VectorIndex,
        blobs: BlobStore,
        sql_backup: SqlBackup,
        knowledge_rows: KnowledgeRows,
        root: Path,
        after_restore: Callable[[], None],
        gate: RestoreGate | None = None,
        kept_collections: Collection[str] = (),
    ) -> None:
        """``kept_collections``: vector collections a restore leaves as they are (the flywheel's, derived
        from sessions that a restore does not touch either)."""
        self._database = database
        self._gate = gate or RestoreGate()  # the knowledge base's, so writes wait (restore_gate.py)
        self._vectors = vectors
        self._blobs = blobs
        self._sql_backup = sql_backup
        self._rows = knowledge_rows
        self._root = root
        self._after_restore = after_restore
        self._kept = frozenset(kept_collections)
        self._lock = threading.Lock()

    # -- writing -----------------------------------------------------------------------------------

    def create(self, *, vectors: bool = True, sql: bool = True, blobs: bool = True) -> SnapshotInfo:
        """Write a new snapshot of the chosen parts; it is listed only once it is complete."""
        parts = tuple(
            name for name, wanted in (("sql", sql), ("vectors", vectors), ("blobs", blobs)) if wanted
        )
        if not parts:
            raise InvalidInput(
                "A snapshot needs at least one part: the SQL dump (pg_dump; --sql), the vectors (qdrant; "
                "--vectors) or the documents (blobs; --blobs)."
            )
        created_at = datetime.now(UTC)
        snapshot_id = f"{created_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        with self._lock:
            # The owner's alone: the whole-database dump holds users, conversations and meter data.
            self._root.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._root.chmod(0o700)
            temp = self._root / f"{_TEMP_PREFIX}{snapshot_id}"
            temp.mkdir(mode=0o700)
            try:
                manifest = self._write_parts(temp, snapshot_id, created_at, parts)
                (temp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
                temp.rename(self._root / snapshot_id)
            except BaseException:
                shutil.rmtree(temp, ignore_errors=True)
                raise
        logger.info("snapshot %s written: %s", snapshot_id, ", ".join(parts))
        return self.get(snapshot_id)

    def _write_parts(
        self, folder: Path, snapshot_id: str, created_at: datetime, parts: tuple[str, ...]
    ) -> dict[str, Any]:
        counts: dict[str, int] = {}
        sql_part: dict[str, str] | None = None
        rows_part: dict[str, Any] | None = None
        revision = self._database.current_revision()
        if "sql" in parts:
            # The rows first: they are what a restore puts back, so they come before vectors and blobs.
            rows = self._rows.export(folder / ROWS_DIR)
            rows_part = {"dir": ROWS_DIR, "tables": dict(self._rows.tables), "counts": rows}
            counts["items"], counts["chunks"] = rows.get("items", 0), rows.get("item_chunks", 0)
            file_name = self._sql_backup.dump(folder / SQL_DIR)
            sql_part = {"tool": self._sql_backup.tool, "file": file_name, "dialect": self._database.dialect}
        if "vectors" in parts:
            self._vectors.snapshot(folder / VECTORS_DIR)
            counts["points"] = sum(self._vectors.count(name) for name in self._vectors.collections())
        checksums: dict[str, str] = {}
        if "blobs" in parts:
            checksums = self._copy_blobs_out(folder / BLOBS_DIR)
            counts["blobs"] = len(checksums)
        return {
            "format": MANIFEST_FORMAT,
            "id": snapshot_id,
            "created_at": created_at.isoformat(),
            "parts": list(parts),
            "sql": sql_part,
            "rows": rows_part,
            "counts": counts,
            "blob_prefixes": list(BLOB_PREFIXES) if "blobs" in parts else [],
            "blob_sha256": checksums,
            "luna_version": __version__,
            "revision": revision,
        }

    def _copy_blobs_out(self, target: Path) -> dict[str, str]:
        """Copy every blob out; returns each key's SHA-256, which a restore checks before it deletes."""
        target.mkdir(parents=True)
        keys = [key for prefix in BLOB_PREFIXES for key in self._blobs.list(prefix)]
        checksums: dict[str, str] = {}
        for key in keys:
            path = target / check_blob_key(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            data = self._blobs.get(key)
            path.write_bytes(data)
            checksums[key] = hashlib.sha256(data).hexdigest()
        return checksums

    # -- reading -----------------------------------------------------------------------------------

    def list(self) -> list[SnapshotInfo]:
        """Every complete snapshot, newest first; a folder with an unreadable manifest is skipped."""
        if not self._root.is_dir():
            return []
        found: list[SnapshotInfo] = []
        for folder in self._root.iterdir():
            if not (SNAPSHOT_ID.match(folder.name) and (folder / MANIFEST_FILE).is_file()):
                continue
            try:
                found.append(self._info(folder, self._manifest(folder)))
            except Unprocessable:
                logger.warning("snapshot folder %s has an unreadable manifest; skipped", folder)
        return sorted(found, key=lambda info: (info.created_at, info.snapshot_id), reverse=True)

    def get(self, snapshot_id: str) -> SnapshotInfo:
        folder = self._folder(snapshot_id)
        return self._info(folder, self._manifest(folder))

    def delete(self, snapshot_id: str, actor: str = "admin") -> None:
        """Remove a snapshot; it disappears from the list at once, then its files are deleted (audited)."""
        with self._lock:
            folder = self._folder(snapshot_id)
            trash = self._root / f"{_TRASH_PREFIX}{snapshot_id}-{secrets.token_hex(3)}"
            folder.rename(trash)
            with self._database.unit_of_work() as uow:
                uow.audit.add(_audit(actor, DELETE_ACTION, snapshot_id, {}))
                uow.commit()
            shutil.rmtree(trash)
        logger.info("snapshot %s deleted", snapshot_id)

    # -- restoring ---------------------------------------------------------------------------------

    def restore(self, snapshot_id: str, actor: str = "admin") -> SnapshotInfo:
        """Put back the knowledge base the snapshot holds (rows, vectors, blobs); nothing else changes.

        The restore is audited under ``actor`` with what each table's merge changed, also when a part
        failed half-way (``completed`` false), because even then it may have changed data.
        """
        with self._lock:
            folder = self._folder(snapshot_id)
            manifest = self._manifest(folder)
            info = self._info(folder, manifest)
            self._check_restorable(folder, info, manifest)
            self._refuse_during_reindex()
            changes: dict[str, RowChanges] = {}
            completed = False
            with self._gate.restore():  # no document is written meanwhile (restore_gate.py)
                try:
                    # Vectors first: their part is checked whole (each shard opened from a copy) before
                    # anything changes, so a damaged one is refused before the rows are touched.
                    if "vectors" in info.parts:
                        self._restore_vectors(folder / VECTORS_DIR, info.snapshot_id)
                    if "sql" in info.parts:
                        changes = self._rows.restore(folder / ROWS_DIR, manifest["rows"]["tables"])
                    if "blobs" in info.parts:
                        self._restore_blobs(folder / BLOBS_DIR, _blob_prefixes(manifest), "sql" in info.parts)
                    completed = True
                finally:
                    # Even a restore that failed half-way changed what the in-memory indexes mirror.
                    self._after_restore()
                    self._audit_restore(actor, info, changes, completed)
        logger.info("snapshot %s restored: %s", snapshot_id, ", ".join(info.parts))
        return info

    def _audit_restore(
        self, actor: str, info: SnapshotInfo, changes: Mapping[str, RowChanges], completed: bool
    ) -> None:
        tables = {
            name: {"inserted": c.inserted, "updated": c.updated, "deleted": c.deleted}
            | ({"dependants_deleted": c.dependants_deleted} if c.dependants_deleted else {})
            for name, c in changes.items()
        }
        details = {"parts": list(info.parts), "completed": completed, "tables": tables}
        with self._database.unit_of_work() as uow:
            uow.audit.add(_audit(actor, RESTORE_ACTION, info.snapshot_id, details))
            uow.commit()

    def _check_restorable(self, folder: Path, info: SnapshotInfo, manifest: Mapping[str, Any]) -> None:
        """Refuse before anything changes, so a snapshot that cannot be restored leaves everything as is."""
        if "sql" in info.parts:
            _check_rows_part(info, manifest)
            current = self._database.current_revision()
            if current is None:
                raise Conflict(
                    f"Snapshot {info.snapshot_id} holds tables, and the database has none yet: set it up "
                    "with `luna db upgrade` first, then restore."
                )
            if info.revision != current:
                raise Conflict(
                    f"Snapshot {info.snapshot_id} was taken at schema revision {info.revision}, the "
                    f"database is at {current}: only a snapshot of the same revision can be restored "
                    "(use the Luna version that wrote it, or migrate the database to its revision first)."
                )
        for part, directory in (("sql", ROWS_DIR), ("vectors", VECTORS_DIR), ("blobs", BLOBS_DIR)):
            if part in info.parts and not (folder / directory).is_dir():
                raise Unprocessable(
                    f"Snapshot {info.snapshot_id} is damaged: its {directory}/ folder is missing."
                )
        if "blobs" in info.parts:
            prefixes = _blob_prefixes(manifest)
            if not set(prefixes) <= set(BLOB_PREFIXES):
                raise Unprocessable(f"Snapshot {info.snapshot_id}: its manifest names unknown blob prefixes.")
            stray = next(
                (key for key in _blob_keys(folder / BLOBS_DIR) if not key.startswith(tuple(prefixes))), None
            )
            if stray is not None:
                raise Unprocessable(
                    f"Snapshot {info.snapshot_id} is damaged: it holds the stray blob {stray!r}."
                )
            _check_blob_files(folder / BLOBS_DIR, info, manifest)

    def _refuse_during_reindex(self) -> None:
        """A reindex swaps vector collections that a restore replaces: never both at once (409)."""
        with self._database.unit_of_work(read_only=True) as uow:
            running = active_job(uow, REINDEX_JOB)
        if running is not None:
            raise Conflict(
                f"A reindex is {running.status.value} ({running.job_id}); restore after it has finished.",
                details={"job_id": running.job_id},
            )

    def _restore_vectors(self, source: Path, snapshot_id: str) -> None:
        try:
            self._vectors.restore(source, keep=self._kept)
        except Unprocessable as damaged:
            raise Unprocessable(f"Snapshot {snapshot_id} is damaged: {damaged.message}") from None

    def _restore_blobs(self, source: Path, prefixes: Sequence[str], with_rows: bool) -> None:
        """Replace the blobs under the snapshot's prefixes. Without its rows (no SQL part) only put them back:
        deleting the rest lost the files of documents uploaded since, whose rows stay."""
        for prefix in prefixes if with_rows else ():
            self._blobs.delete_prefix(prefix)
        for key in _blob_keys(source):
            content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
            self._blobs.put(key, (source / key).read_bytes(), content_type)

    # -- helpers -----------------------------------------------------------------------------------

    def _folder(self, snapshot_id: str) -> Path:
        """The snapshot's folder; anything but a well-formed, existing ID is NotFound (no path games)."""
        if not isinstance(snapshot_id, str) or not SNAPSHOT_ID.match(snapshot_id):
            raise NotFound(f"No snapshot with id {str(snapshot_id)[:80]!r}.")
        folder = self._root / snapshot_id
        if not (folder / MANIFEST_FILE).is_file():
            raise NotFound(f"No snapshot with id {snapshot_id!r}.")
        return folder

    @staticmethod
    def _manifest(folder: Path) -> dict[str, Any]:
        try:
            manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise Unprocessable(f"Snapshot {folder.name}: the manifest cannot be read ({error}).") from error
        if not isinstance(manifest, dict) or manifest.get("format") not in _READABLE_FORMATS:
            raise Unprocessable(f"Snapshot {folder.name}: unknown manifest format.")
        return manifest

    @staticmethod
    def _info(folder: Path, manifest: Mapping[str, Any]) -> SnapshotInfo:
        try:
            return SnapshotInfo(
                snapshot_id=folder.name,
                created_at=datetime.fromisoformat(manifest["created_at"]),
                parts=tuple(str(part) for part in manifest["parts"]),
                counts={str(key): int(value) for key, value in manifest.get("counts", {}).items()},
                size_bytes=sum(_disk_bytes(path) for path in folder.rglob("*") if path.is_file()),
                luna_version=str(manifest.get("luna_version", "")),
                revision=manifest.get("revision"),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise Unprocessable(f"Snapshot {folder.name}: the manifest is incomplete ({error}).") from error


def _check_rows_part(info: SnapshotInfo, manifest: Mapping[str, Any]) -> None:
    """A snapshot's SQL part is restorable only through its knowledge-base rows, never its whole dump."""
    rows_part = manifest.get("rows")
    if rows_part is None:
        sql_part = manifest.get("sql")
        dump = f"sql/{sql_part.get('file')}" if isinstance(sql_part, dict) else "its sql/ dump"
        raise Conflict(
            f"Snapshot {info.snapshot_id} was written by an older Luna: its SQL part is only a dump of the "
            "whole database, and restoring that would delete every event, rating, conversation, account "
            "and meter reading written since. Luna restores only snapshots that hold the knowledge base's "
            "rows: take a new snapshot. To restore this one by hand anyway (everything written since is "
            f"lost), stop Luna and load {dump} from the snapshot folder with the database's own tool "
            "(copy the SQLite file over the database and delete its -wal and -shm files; pg_restore "
            "--clean --if-exists --single-transaction for PostgreSQL).",
            details={"snapshot_id": info.snapshot_id, "dump": dump},
        )
    tables = rows_part.get("tables") if isinstance(rows_part, dict) else None
    if (
        not isinstance(rows_part, dict)
        or not isinstance(rows_part.get("dir"), str)
        or rows_part["dir"] != ROWS_DIR
        or not isinstance(tables, dict)
        or not all(isinstance(columns, list) for columns in tables.values())
    ):
        raise Unprocessable(f"Snapshot {info.snapshot_id}: the manifest names its rows wrongly.")


def _audit(actor: str, action: str, snapshot_id: str, details: dict[str, Any]) -> AuditEntry:
    """Restores and deletions of snapshots are destructive acts: each is audited."""
    return AuditEntry(str(uuid.uuid4()), datetime.now(UTC), actor, action, f"snapshot:{snapshot_id}", details)


def _blob_prefixes(manifest: Mapping[str, Any]) -> list[str]:
    prefixes = manifest.get("blob_prefixes", _OLDER_BLOB_PREFIXES)
    if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
        raise Unprocessable("The snapshot's manifest names its blob prefixes wrongly.")
    return prefixes


def _check_blob_files(source: Path, info: SnapshotInfo, manifest: Mapping[str, Any]) -> None:
    """Refuse a snapshot whose files are not the ones it was written with: a restore deletes the current
    files first, and a folder emptied or a PDF cut short since was restored as "done" (exit 0)."""
    keys = _blob_keys(source)
    expected = manifest.get("blob_sha256")
    if isinstance(expected, dict) and expected:
        missing = sorted(set(expected) - set(keys))
        changed = [key for key in keys if key in expected and _sha256(source / key) != expected[key]]
        if missing or changed:
            named = ", ".join(repr(key) for key in [*missing, *changed][:3])
            raise Unprocessable(
                f"Snapshot {info.snapshot_id} is damaged: {len(missing)} file(s) missing, {len(changed)} "
                f"changed since it was written ({named}); nothing was restored."
            )
    elif "blobs" in info.counts and info.counts["blobs"] != len(keys):  # written before checksums
        raise Unprocessable(
            f"Snapshot {info.snapshot_id} is damaged: it was written with {info.counts['blobs']} file(s) "
            f"and holds {len(keys)}; nothing was restored."
        )


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _blob_keys(source: Path) -> list[str]:
    """The blob keys of a snapshot's ``blobs/`` folder (each checked like any key written to the store)."""
    return sorted(
        check_blob_key(path.relative_to(source).as_posix()) for path in source.rglob("*") if path.is_file()
    )


def _disk_bytes(path: Path) -> int:
    """The bytes ``path`` takes on disk, at most its size (its size where the OS counts no blocks)."""
    info = path.stat()
    blocks = getattr(info, "st_blocks", None)
    return info.st_size if blocks is None else min(info.st_size, blocks * 512)
