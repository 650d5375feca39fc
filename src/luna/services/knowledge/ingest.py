"""Ingest: a document's bytes in, an indexed, searchable item out, or nothing at all.

The order of the steps is what keeps the stores consistent (issue #3, "Consistency"):

1. Everything that can refuse the upload runs before anything is stored: size, kind/source/tags,
   duplicate content (409 with the existing item), the content-decided type (415), extraction and
   chunking (422 when there is no text: Luna has no OCR).
2. The item row is committed as ``pending`` (its sha256 is unique, so a concurrent upload of the same
   file gets 409), then the raw file goes to ``docs/raw/`` and the extracted text to ``docs/processed/``.
3. Vectors are written (the slow part, with progress), then one SQL transaction adds the chunks and
   marks the item ``indexed``: search reads hits back from SQL, so the item becomes visible at once
   and completely. The lexical index follows.
4. Any failure on the way removes what steps 2–3 wrote (points, rows, blobs) before the error is
   raised. A process killed mid-way leaves a ``pending`` item that ``luna admin verify --fix`` removes.

A document from an address (:meth:`IngestService.ingest_url`) is fetched first (the fetcher's limits
apply) and then ingested like an upload, with the address the fetch ended at as its ``url``.

A new version of an item (:meth:`IngestService.replace`) writes the new chunks' vectors and then its
files, under names of this upload's own (``v<n>-<12 hex>``, see
:mod:`~luna.services.knowledge.ingest_rules`), and only then, in one short transaction, advances
``version`` by compare-and-set, archives the old chunks and adds the new ones, which record the files'
name. No blob is written while that transaction is open: on SQLite it holds the database-wide write
lock, and writing an upload of up to ``api.max_upload_mb`` inside it made every other writer wait. An
upload that loses the compare-and-set, or fails, deletes its own files and points. The old version stays
searchable until the commit. A process killed between writing the files and the commit leaves files that
no chunk names: ``luna admin verify --fix`` deletes them once the item has reached their version (before
that they may be an upload still running); they are never read, and they go with the item.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import PurePath

from luna.domain.chunking import Chunk, chunk_document
from luna.domain.documents import ExtractedDocument
from luna.domain.errors import Conflict, InvalidInput, NotFound, Unprocessable
from luna.domain.items import Item, ItemChunk, ItemStatus
from luna.domain.media_types import detect_media_type, stored_extension
from luna.domain.storable import one_line, shows_something, storable_text, without_direction_controls
from luna.ports.blobs import BlobStore
from luna.ports.extract import Extractor
from luna.ports.fetch import Fetcher
from luna.ports.sql import Database
from luna.services.knowledge.indexing import ChunkIndexer, item_chunks
from luna.services.knowledge.ingest_rules import (
    KINDS,
    SOURCES,
    choice,
    clean_tags,
    duplicate_conflict,
    plain_blob_stem,
    processed_blob_prefix,
    raw_blob_prefix,
    too_large,
    upload_blob_stem,
)
from luna.services.knowledge.item_provenance import (
    ITEM_ADDED_ACTION,
    ITEM_DELETED_ACTION,
    item_entry,
    left_behind_by,
)

logger = logging.getLogger(__name__)

MAX_TITLE_CHARS = 300

#: ``(fraction 0…1, what is happening)``; the API ignores it, jobs and the CLI show it.
Progress = Callable[[float, str], None]


def _no_progress(fraction: float, message: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class IngestRequest:
    data: bytes
    filename: str | None = None
    declared_type: str | None = None
    kind: str = "document"
    source: str = "upload"
    tags: Sequence[str] = ()
    title: str | None = None
    url: str | None = None
    #: Provenance, stored on the item and in the audit log: the actor (``admin``, ``job:<name>``,
    #: ``system`` …) and the way in (``api``, ``url``, ``dashboard``, ``cli``, ``job``, ``demo``).
    added_by: str = "system"
    added_via: str = "api"


@dataclass(frozen=True, slots=True)
class IngestResult:
    item_id: str
    chunks: int
    sha256: str
    title: str
    version: int
    media_type: str
    pages: int | None = None
    archived_chunks: int = 0
    #: Where the document was fetched from (after redirects), for one that came from an address.
    url: str | None = None


@dataclass(slots=True)
class _Prepared:
    sha256: str
    media_type: str
    document: ExtractedDocument
    chunks: list[Chunk]
    title: str
    tags: list[str] = field(default_factory=list)


def _title(request: IngestRequest, document: ExtractedDocument) -> str:
    for candidate in (request.title, document.title, PurePath(request.filename or "").stem, request.url):
        if candidate and shows_something(candidate):
            return one_line(candidate)[:MAX_TITLE_CHARS]
    return "Unbenanntes Dokument"


def _processed_json(document: ExtractedDocument) -> bytes:
    return json.dumps(asdict(document), ensure_ascii=False, indent=1).encode("utf-8")


class IngestService:
    def __init__(
        self,
        database: Database,
        blobs: BlobStore,
        extractor: Extractor,
        indexer: ChunkIndexer,
        fetcher: Fetcher,
        *,
        max_bytes: int,
        chunk_tokens: int,
        overlap_tokens: int,
    ) -> None:
        self._database = database
        self._blobs = blobs
        self._extractor = extractor
        self._indexer = indexer
        self._fetcher = fetcher
        self._max_bytes = max_bytes
        self._chunk_tokens = chunk_tokens
        self._overlap_tokens = overlap_tokens

    # -- new items ---------------------------------------------------------------------------------

    def ingest(self, request: IngestRequest, progress: Progress = _no_progress) -> IngestResult:
        """Store and index a new document; see the module docstring for the guarantees."""
        prepared = self._prepare(request, progress)
        with self._database.unit_of_work(read_only=True) as uow:
            existing = uow.items.get_by_sha256(prepared.sha256)
        if existing is not None and left_behind_by(existing, request):
            logger.warning("replacing pending item %s left by %s", existing.item_id, request.added_by)
            self._discard(existing.item_id)
        elif existing is not None:
            raise duplicate_conflict(existing)
        item = Item(
            item_id=str(uuid.uuid4()),
            kind=request.kind,
            source=request.source,
            title=prepared.title,
            tags=prepared.tags,
            url=request.url,
            sha256=prepared.sha256,
            version=1,
            status=ItemStatus.PENDING,
            added_by=request.added_by,
            added_via=request.added_via,
        )
        with self._database.unit_of_work() as uow:
            try:
                uow.items.add(item)
            except Conflict:
                clash = uow.items.get_by_sha256(prepared.sha256)
                if clash is not None:
                    raise duplicate_conflict(clash) from None
                raise
            uow.commit()
        try:
            stem = plain_blob_stem(item.version)
            self._store_files(_blob_keys(item.item_id, stem, prepared, request), request, prepared)
            chunks = item_chunks(item, prepared.chunks, stem)
            self._embed(item, chunks, progress)
            with self._database.unit_of_work() as uow:
                uow.chunks.add_many(chunks)
                uow.items.update(item.item_id, status=ItemStatus.INDEXED)
                details = {"via": item.added_via, "sha256": item.sha256, "chunks": len(chunks)}
                uow.audit.add(item_entry(ITEM_ADDED_ACTION, item.added_by or "system", item, details))
                uow.commit()
        except BaseException:
            self._discard(item.item_id)
            raise
        indexed = replace(item, status=ItemStatus.INDEXED)
        self._indexer.lexical.apply(add=self._indexer.lexical_documents(indexed, chunks))
        progress(1.0, f"{len(chunks)} Abschnitte indexiert")
        logger.info("ingested item %s: %d chunks", item.item_id, len(chunks))
        return IngestResult(
            item_id=item.item_id,
            chunks=len(chunks),
            sha256=prepared.sha256,
            title=prepared.title,
            version=1,
            media_type=prepared.media_type,
            pages=prepared.document.pages,
            url=item.url,
        )

    # -- new versions ------------------------------------------------------------------------------

    def ingest_url(
        self,
        url: str,
        *,
        kind: str = "document",
        source: str = "crawler",
        tags: Sequence[str] = (),
        title: str | None = None,
        added_by: str,
        added_via: str,
        progress: Progress = _no_progress,
    ) -> IngestResult:
        """Fetch ``url``, then ingest it as :meth:`ingest` does; the item keeps the final address."""
        progress(0.0, "Adresse wird abgerufen")
        fetched = self._fetcher.fetch(url)
        request = IngestRequest(
            data=fetched.data,
            filename=fetched.filename,
            declared_type=fetched.content_type,
            kind=kind,
            source=source,
            tags=tags,
            title=title,
            url=fetched.final_url,
            added_by=added_by,
            added_via=added_via,
        )
        return self.ingest(request, progress)

    def replace(
        self,
        item_id: str,
        request: IngestRequest,
        progress: Progress = _no_progress,
        *,
        same_file: bool = False,
    ) -> IngestResult:
        """Make ``request`` the next version of ``item_id``: new chunks indexed, old ones archived.
        ``same_file``: the item's own file read again (a re-read), which is no duplicate of it."""
        with self._database.unit_of_work(read_only=True) as uow:
            current = uow.items.get(item_id)
        if current is None:
            raise NotFound(f"No item with id {item_id!r}.")
        if current.status != ItemStatus.INDEXED:
            raise Conflict(
                f"Item {item_id} is {current.status.value}; only an indexed item can get a new version."
            )
        prepared = self._prepare(request, progress)
        with self._database.unit_of_work(read_only=True) as uow:
            existing = uow.items.get_by_sha256(prepared.sha256)
        if existing is not None and not (same_file and existing.item_id == item_id):
            raise duplicate_conflict(existing)
        version = current.version + 1
        updated = replace(
            current,
            version=version,
            sha256=prepared.sha256,
            title=prepared.title if request.title else current.title,
            tags=prepared.tags or current.tags,
            url=request.url or current.url,
        )
        stem = upload_blob_stem(version)
        chunks = item_chunks(updated, prepared.chunks, stem)
        files = _blob_keys(item_id, stem, prepared, request)
        try:
            self._embed(updated, chunks, progress)
            # Before the transaction, never inside it: writing a large upload there would make every
            # other writer wait on SQLite's lock (module docstring).
            self._store_files(files, request, prepared)
            with self._database.unit_of_work() as uow:
                # Compare-and-set: of two uploads made from the same version, one becomes the next
                # and the other is refused; the new chunks record which files are the version's.
                fields = {"sha256": prepared.sha256, "title": updated.title, "tags": updated.tags}
                if not uow.items.advance_version(item_id, current.version, **fields, url=updated.url):
                    raise Conflict(
                        f"Item {item_id} got another new version while this upload was processed; "
                        "this upload changed nothing. Send it again to make it the next version.",
                        details={"item_id": item_id},
                    )
                old = [chunk.chunk_id for chunk in uow.chunks.list_for_item(item_id)]
                archived = uow.chunks.archive_for_item(item_id)
                uow.chunks.add_many(chunks)
                uow.commit()
        except BaseException:
            self._discard_version(item_id, version, chunks, files)
            raise
        try:
            self._indexer.remove_vectors(old)
        except Exception:
            logger.warning(
                "old vectors of item %s stay until `luna admin verify --fix`", item_id, exc_info=True
            )
        self._indexer.lexical.apply(add=self._indexer.lexical_documents(updated, chunks), remove=old)
        progress(1.0, f"Version {version}: {len(chunks)} Abschnitte indexiert, {archived} archiviert")
        return IngestResult(
            item_id=item_id,
            chunks=len(chunks),
            sha256=prepared.sha256,
            title=updated.title or prepared.title,
            version=version,
            media_type=prepared.media_type,
            pages=prepared.document.pages,
            archived_chunks=archived,
            url=updated.url,
        )

    def extracted(self, request: IngestRequest) -> tuple[str | None, list[Chunk]]:
        """The document's own title (None: it has none) and the chunks ``request`` would get; nothing is
        stored (a re-read compares them first)."""
        prepared = self._prepare(request, _no_progress)
        return prepared.document.title, prepared.chunks

    # -- removal -----------------------------------------------------------------------------------

    def delete(self, item_id: str, actor: str = "admin") -> int:
        """Remove the item with its chunks (archived ones too), vectors and blobs; return the chunk count.

        The deletion is audited (``item.delete``) in the transaction that removes the rows; of two at
        once, the one that finds the row gone is NotFound and audits nothing."""
        with self._database.unit_of_work(read_only=True) as uow:
            item = uow.items.get(item_id)
            chunk_ids = [c.chunk_id for c in uow.chunks.list_for_item(item_id, include_archived=True)]
        if item is None:
            raise NotFound(f"No item with id {item_id!r}.")
        self._indexer.remove_vectors(chunk_ids, item_id=item_id)
        with self._database.unit_of_work() as uow:
            if not uow.items.delete(item_id):
                raise NotFound(f"No item with id {item_id!r}.")
            uow.audit.add(item_entry(ITEM_DELETED_ACTION, actor, item, {"chunks": len(chunk_ids)}))
            uow.commit()
        self._blobs.delete_prefix(raw_blob_prefix(item_id))
        self._blobs.delete_prefix(processed_blob_prefix(item_id))
        self._indexer.lexical.apply(remove=chunk_ids)
        return len(chunk_ids)

    # -- steps -------------------------------------------------------------------------------------

    def check_size(self, size: int) -> None:
        """TooLarge above ``api.max_upload_mb``: asked before a file on disk is read (5 GB: MemoryError)."""
        if size > self._max_bytes:
            raise too_large(size, self._max_bytes)

    def _prepare(self, request: IngestRequest, progress: Progress) -> _Prepared:
        # A direction override in a file name reverses every message that quotes it (_title cleans titles).
        request = replace(request, filename=request.filename and without_direction_controls(request.filename))
        self.check_size(len(request.data))
        choice("kind", request.kind, KINDS)
        choice("source", request.source, SOURCES)
        tags = [storable_text(tag, "tags") for tag in clean_tags(request.tags)]
        if request.title is not None:
            storable_text(request.title, "title")
        if request.title is not None and len(request.title) > MAX_TITLE_CHARS:
            raise InvalidInput(f"The title may have at most {MAX_TITLE_CHARS} characters.")
        sha256 = hashlib.sha256(request.data).hexdigest()
        media_type = detect_media_type(request.data, request.filename, request.declared_type)
        progress(0.02, "Text wird extrahiert")
        # The declared type, not the detected one: the hint that reads a nameless text/csv as a table.
        hint = request.declared_type or media_type
        document = self._extractor.extract(request.data, hint, request.filename)
        chunks = chunk_document(document, max_tokens=self._chunk_tokens, overlap_tokens=self._overlap_tokens)
        if not chunks:
            raise Unprocessable("No text found in the document (OCR is not available).")
        return _Prepared(sha256, media_type, document, chunks, _title(request, document), tags)

    def _store_files(self, keys: tuple[str, str], request: IngestRequest, prepared: _Prepared) -> None:
        """The uploaded file and its extracted text under ``keys`` (:func:`_blob_keys`)."""
        raw, processed = keys
        self._blobs.put(raw, request.data, prepared.media_type)
        self._blobs.put(processed, _processed_json(prepared.document), "application/json")

    def _embed(self, item: Item, chunks: Sequence[ItemChunk], progress: Progress) -> None:
        total = len(chunks)

        def embedded(done: int, missing: int) -> None:
            share = 1.0 if missing == 0 else done / missing
            progress(
                0.05 + 0.9 * share, f"{done} von {missing} neuen Abschnitten eingebettet ({total} gesamt)"
            )

        self._indexer.write_vectors(item, chunks, embedded)

    def _discard(self, item_id: str) -> None:
        """Undo a failed first version: points, rows and blobs. Best effort; verify --fix finishes it."""
        steps: list[tuple[str, Callable[[], object]]] = [
            ("vectors", lambda: self._indexer.remove_vectors([], item_id=item_id)),
            ("raw blobs", lambda: self._blobs.delete_prefix(raw_blob_prefix(item_id))),
            ("processed blobs", lambda: self._blobs.delete_prefix(processed_blob_prefix(item_id))),
            ("rows", lambda: self._delete_row(item_id)),
        ]
        self._run_cleanup(item_id, steps)

    def _discard_version(
        self, item_id: str, version: int, chunks: Sequence[ItemChunk], files: tuple[str, str]
    ) -> None:
        """Undo a failed new version: its points and its files, which are this upload's own (a version
        another upload won has files of other names); the previous version stays as it was. Verify keeps
        files of a version the item has not reached (an upload may still be writing them)."""
        raw, processed = files
        steps: list[tuple[str, Callable[[], object]]] = [
            ("vectors", lambda: self._indexer.remove_vectors([c.chunk_id for c in chunks])),
            ("raw blob", lambda: self._blobs.delete(raw)),
            ("processed blob", lambda: self._blobs.delete(processed)),
        ]
        files_gone = f"the files once the item has reached version {version}, or with the item"
        self._run_cleanup(item_id, steps, f"`luna admin verify --fix` removes them ({files_gone})")

    def _delete_row(self, item_id: str) -> None:
        with self._database.unit_of_work() as uow:
            uow.items.delete(item_id)
            uow.commit()

    @staticmethod
    def _run_cleanup(
        item_id: str,
        steps: Sequence[tuple[str, Callable[[], object]]],
        remedy: str = "`luna admin verify --fix` removes them",
    ) -> None:
        for name, step in steps:
            try:
                step()
            except Exception:
                logger.warning(
                    "cleanup of %s after a failed ingest left %s; %s", item_id, name, remedy, exc_info=True
                )


def _blob_keys(item_id: str, stem: str, prepared: _Prepared, request: IngestRequest) -> tuple[str, str]:
    """The keys of the uploaded file and of its extracted text, for blobs named ``stem``."""
    extension = stored_extension(prepared.media_type, request.filename, request.declared_type)
    return f"{raw_blob_prefix(item_id)}{stem}{extension}", f"{processed_blob_prefix(item_id)}{stem}.json"
