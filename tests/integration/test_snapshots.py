"""Knowledge-base snapshots: ingest → snapshot → delete everything → restore → identical search results,
and a restore that puts back the knowledge base and nothing else (acknowledged data is never lost).

Runs on SQLite and PostgreSQL (the native dump by the online backup API or pg_dump, the knowledge rows as
JSON lines), each with the embedded vector index and the blob folder of the test profile; every
PostgreSQL test gets a database of its own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from luna.adapters.sql.backup import PostgresBackup, SqliteBackup
from luna.adapters.sql.knowledge_rows import SqlKnowledgeRows
from luna.container import Container, build_container
from luna.container_models import knowledge_locks
from luna.domain.errors import Conflict, InvalidInput, NotFound, Unavailable, Unprocessable
from luna.ports.sql_backup import SqlBackup
from luna.services.knowledge.ingest import IngestRequest
from luna.services.knowledge.ingest_rules import version_blob_stem
from luna.services.knowledge.restore_gate import RestoreGate
from luna.services.knowledge.snapshots import SnapshotService
from luna.settings import Settings
from tests.contracts.sql_support import BACKENDS, scratch_postgres_database
from tests.gate_support import write_under_way

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
DOCUMENTS = ("netzentgelte-2026.pdf", "stromtarife-und-lastverschiebung.md")
QUESTIONS = (
    "Wie hoch sind die Netzentgelte 2026?",
    "Wann lohnt sich die Lastverschiebung in günstige Stunden?",
    "Was kostet ein dynamischer Stromtarif?",
)

Hits = list[list[tuple[str, float]]]


@dataclass
class Env:
    settings: Settings
    container: Container
    backup: SqlBackup
    snapshots: SnapshotService


def _env(settings: Settings, backup: Callable[[Container], SqlBackup]) -> Env:
    container = build_container(settings)
    container.database.upgrade()
    sql_backup = backup(container)
    service = SnapshotService(
        container.database,
        container.vectors,
        container.blobs,
        sql_backup,
        SqlKnowledgeRows.of(container.database),
        settings.snapshots_path,
        container.services.knowledge.lexical.invalidate,
        container.services.knowledge.ingest.gate,
    )
    return Env(settings, container, sql_backup, service)


@pytest.fixture(params=BACKENDS)
def env(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Iterator[Env]:
    if request.param == "sqlite":
        settings = make_settings()
        built = _env(settings, lambda _: SqliteBackup(settings.database_url))
        yield built
        built.container.close()
        return
    with scratch_postgres_database(request.getfixturevalue("postgres_url")) as url:
        settings = make_settings(LUNA_DATABASE__KIND="postgresql", LUNA_DATABASE__URL=url)
        built = _env(settings, lambda _: PostgresBackup(url))
        yield built
        built.container.close()


def ingest_samples(env: Env) -> list[str]:
    kb = env.container.services.knowledge
    return [
        kb.ingest.ingest(IngestRequest((SAMPLES / name).read_bytes(), filename=name)).item_id
        for name in DOCUMENTS
    ]


def search_all(env: Env, **options: Any) -> Hits:
    retrieval = env.container.services.knowledge.retrieval
    return [
        [(c.chunk_id, c.score) for c in retrieval.search(question, 5, **options).citations]
        for question in QUESTIONS
    ]


def delete_all_items(env: Env) -> None:
    kb = env.container.services.knowledge
    with env.container.database.unit_of_work(read_only=True) as uow:
        item_ids = [item.item_id for item in uow.items.list(limit=1000)]
    for item_id in item_ids:
        kb.ingest.delete(item_id)


def item_rows(env: Env) -> list[tuple[str, str | None, str | None, str]]:
    with env.container.database.unit_of_work(read_only=True) as uow:
        items = uow.items.list(limit=1000)
        return sorted((i.item_id, i.title, i.sha256, str(i.status)) for i in items)


def blob_contents(env: Env) -> dict[str, bytes]:
    blobs = env.container.blobs
    return {key: blobs.get(key) for key in blobs.list("docs/")}


def point_count(env: Env) -> int:
    vectors = env.container.vectors
    return sum(vectors.count(name) for name in vectors.collections())


def test_restore_brings_back_identical_search_results(env: Env) -> None:
    ingest_samples(env)
    before = search_all(env)
    assert all(before), "every question finds something in the sample documents"
    items, blobs, points = item_rows(env), blob_contents(env), point_count(env)

    info = env.snapshots.create()
    assert info.parts == ("sql", "vectors", "blobs")
    with env.container.database.unit_of_work(read_only=True) as uow:
        chunks = uow.chunks.count(include_archived=True)
    assert info.counts == {"items": 2, "chunks": chunks, "points": points, "blobs": len(blobs)}
    assert info.revision == env.container.database.current_revision()
    assert info.size_bytes > sum(len(data) for data in blobs.values())

    delete_all_items(env)
    assert search_all(env) == [[], [], []]
    assert item_rows(env) == [] and blob_contents(env) == {} and point_count(env) == 0

    restored = env.snapshots.restore(info.snapshot_id)

    assert restored == info
    assert env.container.database.current_revision() == info.revision
    assert search_all(env) == before
    assert item_rows(env) == items
    assert blob_contents(env) == blobs
    assert point_count(env) == points


def test_a_restored_new_version_finds_the_files_its_chunks_name(env: Env) -> None:
    """A new version's files have names of its upload's own, which its chunks record: the restore brings
    back rows and files together, and verify finds nothing missing or left over."""
    kb = env.container.services.knowledge
    tariff = "# Tarif\n\nDer Arbeitspreis beträgt {} Cent je Kilowattstunde."
    first = IngestRequest(tariff.format(30).encode(), filename="tarif.md")
    item_id = kb.ingest.ingest(first).item_id
    kb.ingest.replace(item_id, IngestRequest(tariff.format(28).encode(), filename="tarif.md"))
    blobs = blob_contents(env)
    info = env.snapshots.create()
    delete_all_items(env)

    env.snapshots.restore(info.snapshot_id)

    with env.container.database.unit_of_work(read_only=True) as uow:
        (stem,) = {version_blob_stem(chunk) for chunk in uow.chunks.list_for_item(item_id)}
    assert blob_contents(env) == blobs
    assert blobs[f"docs/raw/{item_id}/{stem}.md"] == tariff.format(28).encode()
    assert kb.maintenance.verify().clean


def test_restore_replaces_what_was_added_after_the_snapshot(env: Env) -> None:
    kb = env.container.services.knowledge
    first = kb.ingest.ingest(IngestRequest((SAMPLES / DOCUMENTS[0]).read_bytes(), filename=DOCUMENTS[0]))
    info = env.snapshots.create()
    before = search_all(env)
    kb.ingest.ingest(IngestRequest((SAMPLES / DOCUMENTS[1]).read_bytes(), filename=DOCUMENTS[1]))
    assert search_all(env) != before

    env.snapshots.restore(info.snapshot_id)

    assert [row[0] for row in item_rows(env)] == [first.item_id]
    assert {key.split("/")[2] for key in blob_contents(env)} == {first.item_id}
    assert search_all(env) == before


def test_a_document_sent_during_a_restore_is_refused_and_nothing_of_it_stays(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upload acknowledged between the restore's rows and its files kept its row and lost its files
    (verify: missing raw and processed files). It is now refused while the restore runs."""
    kb = env.container.services.knowledge
    first = kb.ingest.ingest(IngestRequest((SAMPLES / DOCUMENTS[0]).read_bytes(), filename=DOCUMENTS[0]))
    info = env.snapshots.create()
    restore_rows = env.snapshots._rows.restore
    refused: list[Conflict] = []

    def upload_meanwhile(*args: Any) -> Any:
        changes = restore_rows(*args)
        with pytest.raises(Conflict, match="snapshot is being restored") as raised:
            kb.ingest.ingest(IngestRequest((SAMPLES / DOCUMENTS[1]).read_bytes(), filename=DOCUMENTS[1]))
        refused.append(raised.value)
        return changes

    monkeypatch.setattr(env.snapshots._rows, "restore", upload_meanwhile)
    env.snapshots.restore(info.snapshot_id)

    assert refused and [row[0] for row in item_rows(env)] == [first.item_id]
    assert kb.maintenance.verify().clean
    kb.ingest.ingest(IngestRequest((SAMPLES / DOCUMENTS[1]).read_bytes(), filename=DOCUMENTS[1]))
    assert len(item_rows(env)) == 2  # once the restore is done, the upload goes through


def test_a_restore_waits_for_a_document_being_written_or_is_refused(env: Env) -> None:
    gate = env.container.services.knowledge.ingest.gate
    info = env.snapshots.create()
    impatient = RestoreGate(wait_seconds=0.05)
    with impatient.write(), pytest.raises(Conflict, match="still being written"), impatient.restore():
        pass
    with impatient.restore():  # the refused restore left the gate open
        pass
    with write_under_way(gate) as finished:
        env.snapshots.restore(info.snapshot_id)
        assert finished.is_set()  # the restore began only once the write was done


def test_a_restore_and_the_writes_of_another_luna_process_exclude_each_other(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``luna worker`` elsewhere is another process: its gate shares only the installation's locks
    (flock files beside SQLite, advisory locks on PostgreSQL), built here as that process would."""
    info = env.snapshots.create()
    worker = RestoreGate(locks=knowledge_locks(env.container.settings))
    with write_under_way(worker) as finished:
        env.snapshots.restore(info.snapshot_id)
        assert finished.is_set()  # the restore began only once the other process's write was done

    restore_rows, refused = env.snapshots._rows.restore, []

    def write_meanwhile(*args: Any) -> Any:
        with pytest.raises(Conflict, match="snapshot is being restored") as raised, worker.write():
            pass
        refused.append(raised.value)
        return restore_rows(*args)

    monkeypatch.setattr(env.snapshots._rows, "restore", write_meanwhile)
    env.snapshots.restore(info.snapshot_id)
    assert refused
    with worker.write():  # and once it is done, the other process writes again
        pass


def test_snapshot_without_vectors_restores_only_sql_and_blobs(env: Env) -> None:
    ingest_samples(env)
    lexical_before = search_all(env, mode="lexical")
    items, blobs = item_rows(env), blob_contents(env)

    info = env.snapshots.create(vectors=False)
    assert info.parts == ("sql", "blobs")
    assert "points" not in info.counts
    assert not (env.settings.snapshots_path / info.snapshot_id / "vectors").exists()

    delete_all_items(env)
    env.snapshots.restore(info.snapshot_id)

    assert item_rows(env) == items
    assert blob_contents(env) == blobs
    assert point_count(env) == 0, "the vectors were not part of the snapshot and stay as they were"
    assert search_all(env, mode="lexical") == lexical_before
    assert search_all(env, mode="dense") == [[], [], []]


def adapter_blobs(env: Env) -> dict[str, bytes]:
    blobs = env.container.blobs
    return {key: blobs.get(key) for key in blobs.list("models/finetune/")}


def test_adapter_versions_come_back_with_the_registry_that_names_them(env: Env) -> None:
    blobs = env.container.blobs
    blobs.put("models/finetune/luna/v1/adapter_model.safetensors", b"v1 weights", "application/octet-stream")
    blobs.put("drops/readings/meter.csv", b"meter,kwh\n", "text/csv")  # not part of a snapshot
    info = env.snapshots.create(vectors=False)
    assert info.counts["blobs"] == 1
    blobs.put("models/finetune/luna/v2/adapter_model.safetensors", b"v2 weights", "application/octet-stream")
    blobs.delete("models/finetune/luna/v1/adapter_model.safetensors")
    blobs.put("drops/readings/meter.csv", b"meter,kwh\nm1,2\n", "text/csv")

    env.snapshots.restore(info.snapshot_id)

    assert adapter_blobs(env) == {"models/finetune/luna/v1/adapter_model.safetensors": b"v1 weights"}
    assert blobs.get("drops/readings/meter.csv") == b"meter,kwh\nm1,2\n"


def test_a_snapshot_from_before_adapters_were_kept_leaves_the_adapters_alone(env: Env) -> None:
    ingest_samples(env)
    info = env.snapshots.create(vectors=False, sql=False)
    folder = env.settings.snapshots_path / info.snapshot_id
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["blob_prefixes"]  # as older versions wrote it: documents only
    manifest["format"] = 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    docs = blob_contents(env)
    env.container.blobs.put("models/finetune/luna/v3/adapter_config.json", b"{}", "application/json")

    env.snapshots.restore(info.snapshot_id)

    assert blob_contents(env) == docs
    assert adapter_blobs(env) == {"models/finetune/luna/v3/adapter_config.json": b"{}"}


@pytest.mark.parametrize("damage", ["no vector manifest", "a collection missing", "a segment emptied"])
def test_a_snapshot_with_a_damaged_vector_part_is_refused_before_anything_changes(
    env: Env, damage: str
) -> None:
    """The rows were restored, then the vectors failed (500, or 400 naming the server's path): a new
    document lost its rows and left orphan points; an emptied segment file also wiped the live index."""
    kb = env.container.services.knowledge
    kb.ingest.ingest(IngestRequest((SAMPLES / DOCUMENTS[0]).read_bytes(), filename=DOCUMENTS[0]))
    info = env.snapshots.create()
    kb.ingest.ingest(IngestRequest((SAMPLES / DOCUMENTS[1]).read_bytes(), filename=DOCUMENTS[1]))
    vectors = env.settings.snapshots_path / info.snapshot_id / "vectors"
    if damage == "no vector manifest":
        (vectors / "manifest.json").unlink()
    elif damage == "a collection missing":
        shutil.rmtree(next(path for path in vectors.iterdir() if path.is_dir()))
    else:
        next(vectors.rglob("segment.json")).write_bytes(b"")
    rows, found = item_rows(env), search_all(env)

    with pytest.raises(
        Unprocessable, match=rf"Snapshot {info.snapshot_id} is damaged: the vector snapshot"
    ) as refused:
        env.snapshots.restore(info.snapshot_id)

    assert str(env.settings.data_dir) not in refused.value.message
    assert item_rows(env) == rows and search_all(env) == found
    env.snapshots.restore(env.snapshots.create().snapshot_id)  # and a good snapshot still restores
    assert search_all(env) == found


def test_a_snapshot_holding_a_blob_outside_its_prefixes_is_refused_before_anything_changes(env: Env) -> None:
    ingest_samples(env)
    info = env.snapshots.create(vectors=False, sql=False)
    stray = env.settings.snapshots_path / info.snapshot_id / "blobs" / "drops" / "injected.csv"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"x")
    delete_all_items(env)
    left = blob_contents(env)

    with pytest.raises(Unprocessable, match=r"stray blob 'drops/injected\.csv'"):
        env.snapshots.restore(info.snapshot_id)

    assert blob_contents(env) == left
    assert env.container.blobs.list("drops/") == []


@pytest.mark.parametrize("damage", ["emptied", "cut short"])
def test_a_snapshot_whose_files_changed_since_is_refused_before_anything_changes(
    env: Env, damage: str
) -> None:
    """An emptied docs/raw folder or a PDF cut to 100 bytes restored with exit 0, after the current files
    had been deleted."""
    ingest_samples(env)
    info = env.snapshots.create(vectors=False, sql=False)
    raw = env.settings.snapshots_path / info.snapshot_id / "blobs" / "docs" / "raw"
    files = sorted(path for path in raw.rglob("*") if path.is_file())
    if damage == "emptied":
        for path in files:
            path.unlink()
    else:
        files[0].write_bytes(files[0].read_bytes()[:100])
    left = blob_contents(env)

    with pytest.raises(Unprocessable, match=r"is damaged: .* nothing was restored"):
        env.snapshots.restore(info.snapshot_id)

    assert blob_contents(env) == left


def test_a_snapshot_without_its_rows_keeps_the_files_of_documents_uploaded_since(env: Env) -> None:
    """Its restore deleted every document file and put back its own: a document uploaded since kept its
    rows and its citations, and lost its file for good."""
    kb = env.container.services.knowledge
    kb.ingest.ingest(IngestRequest((SAMPLES / DOCUMENTS[0]).read_bytes(), filename=DOCUMENTS[0]))
    info = env.snapshots.create(sql=False, vectors=False)
    later = kb.ingest.ingest(IngestRequest((SAMPLES / DOCUMENTS[1]).read_bytes(), filename=DOCUMENTS[1]))
    files = blob_contents(env)

    env.snapshots.restore(info.snapshot_id)

    assert blob_contents(env) == files
    assert any(key.split("/")[2] == later.item_id for key in files)


def test_snapshots_are_readable_by_their_owner_alone(env: Env) -> None:
    """The whole-database dump holds users, conversations and meter data; it was world-readable."""
    info = env.snapshots.create(vectors=False, blobs=False)

    root = env.settings.snapshots_path
    assert (root.stat().st_mode & 0o777, (root / info.snapshot_id).stat().st_mode & 0o777) == (0o700, 0o700)


def test_restore_leaves_no_temporary_folders(env: Env) -> None:
    ingest_samples(env)
    info = env.snapshots.create()
    delete_all_items(env)
    vector_files = sorted(p.name for p in env.settings.vectors_path.iterdir() if p.name.startswith("."))

    env.snapshots.restore(info.snapshot_id)

    assert [p.name for p in env.settings.snapshots_path.iterdir()] == [info.snapshot_id]
    assert (
        sorted(p.name for p in env.settings.vectors_path.iterdir() if p.name.startswith(".")) == vector_files
    )
    assert [p for p in env.settings.blobs_path.rglob("*") if p.name.startswith(".")] == []


def test_list_is_newest_first_and_delete_removes(env: Env) -> None:
    assert env.snapshots.list() == []
    older = env.snapshots.create(vectors=False, blobs=False)
    newer = env.snapshots.create(sql=False)
    assert older.snapshot_id != newer.snapshot_id
    assert [info.snapshot_id for info in env.snapshots.list()] == [newer.snapshot_id, older.snapshot_id]
    assert env.snapshots.get(older.snapshot_id) == older

    env.snapshots.delete(older.snapshot_id)

    assert [info.snapshot_id for info in env.snapshots.list()] == [newer.snapshot_id]
    assert [p.name for p in env.settings.snapshots_path.iterdir()] == [newer.snapshot_id]
    with pytest.raises(NotFound):
        env.snapshots.get(older.snapshot_id)
    with pytest.raises(NotFound):
        env.snapshots.delete(older.snapshot_id)


@pytest.mark.parametrize(
    "snapshot_id",
    ["../../etc", "../outside", "", "20250101T000000Z-abcdef", "20250101T000000Z-abcdef/..", "/etc/passwd"],
)
def test_unknown_or_malicious_ids_are_not_found(
    make_settings: Callable[..., Settings], snapshot_id: str
) -> None:
    settings = make_settings()
    env = _env(settings, lambda _: SqliteBackup(settings.database_url))
    try:
        env.snapshots.create(vectors=False, blobs=False)
        outside = settings.snapshots_path.parent / "outside"
        outside.mkdir()
        (outside / "manifest.json").write_text(json.dumps({"format": 1}), encoding="utf-8")
        for action in (env.snapshots.get, env.snapshots.restore, env.snapshots.delete):
            with pytest.raises(NotFound):
                action(snapshot_id)
        assert (outside / "manifest.json").is_file()
        assert len(env.snapshots.list()) == 1
    finally:
        env.container.close()


def test_restore_makes_the_in_memory_indexes_rebuild(env: Env) -> None:
    restored: list[str] = []
    container = env.container
    service = SnapshotService(
        container.database,
        container.vectors,
        container.blobs,
        env.backup,
        SqlKnowledgeRows.of(container.database),
        env.settings.snapshots_path,
        lambda: restored.append("after_restore"),
    )
    info = service.create(vectors=False, blobs=False)
    assert restored == []

    service.restore(info.snapshot_id)

    assert restored == ["after_restore"]


def test_a_snapshot_needs_a_part(env: Env) -> None:
    with pytest.raises(InvalidInput):
        env.snapshots.create(sql=False, vectors=False, blobs=False)


def test_a_failed_snapshot_leaves_nothing_behind(env: Env) -> None:
    class BrokenBackup:
        tool = "broken"

        def dump(self, target: Path) -> str:
            target.mkdir(parents=True)
            (target / "half.dump").write_bytes(b"half")
            raise Unavailable("disk full")

    container = env.container
    broken = SnapshotService(
        container.database,
        container.vectors,
        container.blobs,
        BrokenBackup(),
        SqlKnowledgeRows.of(container.database),
        env.settings.snapshots_path,
        lambda: None,
    )
    with pytest.raises(Unavailable, match="disk full"):
        broken.create()
    assert broken.list() == []
    assert list(env.settings.snapshots_path.iterdir()) == []


def test_a_snapshot_of_another_schema_revision_is_refused(env: Env) -> None:
    ingest_samples(env)
    info = env.snapshots.create()
    manifest_file = env.settings.snapshots_path / info.snapshot_id / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest["revision"] = "0001"
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    delete_all_items(env)

    with pytest.raises(Conflict, match="revision 0001"):
        env.snapshots.restore(info.snapshot_id)
    assert item_rows(env) == [], "a refused restore changes nothing"
    assert blob_contents(env) == {}


def test_a_restore_into_a_database_without_tables_says_to_set_it_up_first(
    env: Env, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """A new machine given the snapshots folder: the refusal said "the database is at None"."""
    info = env.snapshots.create()
    settings = make_settings(
        LUNA_DATA_DIR=str(tmp_path / "new-machine"), LUNA_BACKUP__PATH=str(env.settings.snapshots_path)
    )
    container = build_container(settings)
    try:
        fresh = SnapshotService(
            container.database,
            container.vectors,
            container.blobs,
            SqliteBackup(settings.database_url),
            SqlKnowledgeRows.of(container.database),
            settings.snapshots_path,
            container.services.knowledge.lexical.invalidate,
        )
        with pytest.raises(
            Conflict, match=r"has none yet: set it up with `luna db upgrade` first"
        ) as refused:
            fresh.restore(info.snapshot_id)
        assert "None" not in refused.value.message
        assert container.database.current_revision() is None, "a refused restore changes nothing"
    finally:
        container.close()


def test_pg_backup_keeps_the_password_off_the_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def fake_run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append((args, kwargs["env"]))
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    backup = PostgresBackup("postgresql+psycopg://luna:s3cret@db.example:5433/luna")

    backup.dump(tmp_path)

    assert [args[0] for args, _ in calls] == ["/usr/bin/pg_dump"]
    for args, environment in calls:
        assert "--dbname=postgresql://luna@db.example:5433/luna" in args
        assert not any("s3cret" in arg for arg in args)
        assert environment["PGPASSWORD"] == "s3cret"


def test_pg_backup_reports_a_missing_tool(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    backup = PostgresBackup("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with pytest.raises(Unavailable, match="pg_dump was not found"):
        backup.dump(tmp_path / "out")


def test_pg_backup_reports_the_tool_error(postgres_url: str, tmp_path: Path) -> None:
    missing = postgres_url.rsplit("/", 1)[0] + "/luna_no_such_database"
    with pytest.raises(Unavailable, match=r"pg_dump failed \(exit code 1\).*luna_no_such_database"):
        PostgresBackup(missing).dump(tmp_path)


def test_a_restore_never_undoes_erasures_consent_or_the_audit_log(env: Env) -> None:
    """Issue #18, defect 3: an erasure and a consent withdrawal made after the snapshot stay in force,
    their audit entries and jobs created since survive (the restore touches none of those tables), and
    the restore itself is audited."""
    import uuid
    from datetime import UTC, datetime

    from luna.domain.conversations import Conversation
    from luna.domain.events import Event, EventType
    from luna.domain.flywheel.sessions import IncomingSession, SessionTurn
    from luna.domain.jobs import Job, JobStatus

    erased, withdrawn = str(uuid.uuid4()), str(uuid.uuid4())
    privacy = env.container.services.privacy
    with env.container.database.unit_of_work() as uow:
        for user in (erased, withdrawn):
            uow.users.get_or_create(user)
            uow.events.add_many(
                [Event(str(uuid.uuid4()), user, datetime.now(UTC), EventType("view")) for _ in range(3)]
            )
            now = datetime.now(UTC)
            uow.conversations.add(Conversation(str(uuid.uuid4()), user, "Was kostet Strom?", now, now))
        uow.commit()
    turn = SessionTurn("Was kostet Strom?", "30 ct/kWh", datetime.now(UTC))
    env.container.services.sessions.ingest([IncomingSession("s1", "luna", erased, True, (turn,))])
    privacy.set_consent(withdrawn, learning=True)
    info = env.snapshots.create()

    privacy.erase(erased, actor="user:" + erased)
    privacy.set_consent(withdrawn, learning=False)
    job = Job(
        job_id=str(uuid.uuid4()), name="kb.verify", status=JobStatus.RUNNING, created_at=datetime.now(UTC)
    )
    with env.container.database.unit_of_work() as uow:
        uow.jobs.add(job)
        uow.commit()
    env.snapshots.restore(info.snapshot_id, actor="admin")

    with env.container.database.unit_of_work(read_only=True) as uow:
        assert uow.events.count(user_id=erased) == 0
        assert uow.events.count(user_id=withdrawn) == 3
        assert (uow.conversations.count(user_id=erased), uow.conversations.count(user_id=withdrawn)) == (0, 1)
        assert uow.sessions.count() == 0  # the erased user's flywheel session stays erased
        assert uow.jobs.get(job.job_id) is not None
        actions = [entry.action for entry in uow.audit.list(limit=10)]
    assert privacy.consent(withdrawn).learning is False
    assert actions[:2] == ["snapshot.restore", "users.erase"]

    env.snapshots.delete(info.snapshot_id, actor="admin")
    with env.container.database.unit_of_work(read_only=True) as uow:
        assert uow.audit.list(limit=1)[0].target == f"snapshot:{info.snapshot_id}"


# -- a restore puts back the knowledge base and nothing else ------------------------------------------

KNOWLEDGE_TABLES = ("items", "item_chunks", "finetune_adapters")


def engine_of(env: Env) -> Any:
    from luna.adapters.sql.database import SqlDatabase

    database = env.container.database
    assert isinstance(database, SqlDatabase)
    return database.engine


def table_rows(env: Env, *, names: tuple[str, ...] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every row of the named tables (default: every table but the knowledge base's and the audit log)."""
    import sqlalchemy as sa

    from luna.adapters.sql.tables import DATA_TABLES

    engine = engine_of(env)
    wanted = [
        table
        for table in DATA_TABLES
        if (table.name in names if names else table.name not in {*KNOWLEDGE_TABLES, "audit_log"})
    ]
    with engine.connect() as connection:
        return {
            table.name: sorted(
                (dict(row) for row in connection.execute(sa.select(table)).mappings()), key=repr
            )
            for table in wanted
        }


def write_customer_and_operator_data(env: Env, item_id: str, chunk_id: str) -> dict[str, str]:
    """An event and a rating on the item, a conversation, a service account, meter readings and a price."""
    import uuid
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from luna.adapters.sql.tables import market_prices, meters, smart_meter_readings
    from luna.domain.conversations import Conversation
    from luna.domain.events import Event, EventType, RagFeedback
    from luna.domain.flywheel.accounts import Scope, ServiceAccount

    user, now = str(uuid.uuid4()), datetime.now(UTC)
    ids = {"user": user, "event": str(uuid.uuid4()), "account": str(uuid.uuid4())}
    with env.container.database.unit_of_work() as uow:
        uow.users.get_or_create(user)
        uow.events.add_many([Event(ids["event"], user, now, EventType("view"), item_id, chunk_id)])
        uow.feedback.add(RagFeedback(str(uuid.uuid4()), user, now, "Frage?", "Antwort.", True), [])
        uow.conversations.add(Conversation(str(uuid.uuid4()), user, "Was kostet Strom?", now, now))
        uow.service_accounts.add(
            ServiceAccount(
                ids["account"], "bi-tool", frozenset({Scope.KPI_READ}), "f" * 64, "abcd", now, "admin"
            )
        )
        uow.commit()
    engine = engine_of(env)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(meters),
            [{"meter_id": "m1", "kind": "household", "interval_s": 900, "source": "test"}],
        )
        connection.execute(
            sa.insert(smart_meter_readings),
            [
                {"meter_id": "m1", "ts": now - timedelta(minutes=15 * n), "consumption_kw": 0.5}
                for n in range(4)
            ],
        )
        connection.execute(
            sa.insert(market_prices),
            [{"market": "epex", "product": "da", "ts": now, "price_eur_mwh": 81.5, "volume": 10.0}],
        )
    return ids


def chunk_of(env: Env, item_id: str) -> str:
    with env.container.database.unit_of_work(read_only=True) as uow:
        return uow.chunks.list_for_item(item_id)[0].chunk_id


def test_a_restore_puts_back_the_knowledge_base_and_keeps_everything_written_since(env: Env) -> None:
    """The probe of issue #18's defect: take → change the knowledge base, write customer, operator and
    meter data → restore. The knowledge tables equal the snapshot's; every other row written since stays."""
    kept, deleted = ingest_samples(env)
    info = env.snapshots.create()
    snapshot_items = item_rows(env)
    snapshot_knowledge = table_rows(env, names=KNOWLEDGE_TABLES)
    before = search_all(env)
    kb = env.container.services.knowledge

    added = kb.ingest.ingest(
        IngestRequest((SAMPLES / "foerderung-heizungstausch.html").read_bytes(), filename="foerderung.html")
    ).item_id
    with env.container.database.unit_of_work() as uow:
        uow.items.update(kept, title="Umbenannt nach dem Snapshot")
        uow.commit()
    kb.ingest.delete(deleted)
    on_kept = write_customer_and_operator_data(env, kept, chunk_of(env, kept))
    from datetime import UTC, datetime

    from luna.domain.events import Event, EventType

    on_added = Event(
        "00000000-0000-4000-8000-00000000000a",
        on_kept["user"],
        datetime.now(UTC),
        EventType("view"),
        added,
        chunk_of(env, added),
    )
    with env.container.database.unit_of_work() as uow:
        uow.events.add_many([on_added])
        uow.commit()
    others = table_rows(env)

    env.snapshots.restore(info.snapshot_id, actor="admin")

    assert item_rows(env) == snapshot_items, "the added item is gone, the title is back, the deleted item too"
    assert table_rows(env, names=KNOWLEDGE_TABLES) == snapshot_knowledge
    assert search_all(env) == before, "the deleted item is searchable again"
    after = table_rows(env)
    events = {str(row["event_id"]): row for row in after.pop("events")}
    expected_events = {str(row["event_id"]): row for row in others.pop("events")}
    assert after == others, "users, ratings, conversations, accounts, meters, readings, prices: untouched"
    assert events.keys() == expected_events.keys(), "no event is lost"
    assert str(events[on_kept["event"]]["item_id"]) == kept, "an event keeps pointing at its item"
    assert events[on_kept["event"]] == expected_events[on_kept["event"]]
    on_added_row = events[on_added.event_id]
    assert (on_added_row["item_id"], on_added_row["chunk_id"]) == (None, None), "its item is gone (SET NULL)"
    with env.container.database.unit_of_work(read_only=True) as uow:
        assert uow.service_accounts.get(on_kept["account"]) is not None
        entry = uow.audit.list(limit=1)[0]
    assert (entry.action, entry.actor, entry.target) == (
        "snapshot.restore",
        "admin",
        f"snapshot:{info.snapshot_id}",
    )
    assert entry.details["completed"] is True
    assert entry.details["tables"]["items"] == {"inserted": 1, "updated": 1, "deleted": 1}


def test_adapter_registry_rows_follow_their_blobs_and_votes_on_removed_versions_go_with_them(
    env: Env,
) -> None:
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from luna.adapters.sql.tables_finetune import finetune_adapters, finetune_reviews

    def adapter(version: int, state: str) -> dict[str, Any]:
        return {
            "name": "luna",
            "version": version,
            "state": state,
            "created_at": datetime.now(UTC),
            "base_model": "base",
            "dataset": "ds",
            "run_id": f"run{version}",
            "blob_prefix": f"models/finetune/luna/v{version}/",
            "metrics": {"f1": 0.5},
            "gates": {},
            "promoted_at": None,
            "note": None,
        }

    def review(review_id: str, version: int) -> dict[str, Any]:
        return {
            "review_id": review_id,
            "name": "luna",
            "version": version,
            "pair_index": 0,
            "reviewer": "r",
            "vote": "tie",
            "comment": None,
            "created_at": datetime.now(UTC),
        }

    engine = engine_of(env)
    with engine.begin() as connection:
        connection.execute(sa.insert(finetune_adapters), [adapter(1, "champion")])
    info = env.snapshots.create(vectors=False)
    with engine.begin() as connection:
        connection.execute(sa.update(finetune_adapters).values(state="archived"))
        connection.execute(sa.insert(finetune_adapters), [adapter(2, "champion")])
        connection.execute(sa.insert(finetune_reviews), [review("on-v1", 1), review("on-v2", 2)])

    env.snapshots.restore(info.snapshot_id)

    with engine.connect() as connection:
        adapters = connection.execute(sa.select(finetune_adapters.c.version, finetune_adapters.c.state)).all()
        reviews = connection.execute(sa.select(finetune_reviews.c.review_id)).scalars().all()
    assert [tuple(row) for row in adapters] == [(1, "champion")]
    assert reviews == ["on-v1"], "the vote on a version the snapshot lacks goes with it; the other stays"


def test_a_snapshot_written_before_knowledge_rows_is_refused_with_how_to_restore_it_by_hand(
    env: Env,
) -> None:
    ingest_samples(env)
    info = env.snapshots.create()
    folder = env.settings.snapshots_path / info.snapshot_id
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["format"] = 1
    del manifest["rows"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    import shutil

    shutil.rmtree(folder / "rows")
    delete_all_items(env)
    assert [s.snapshot_id for s in env.snapshots.list()] == [info.snapshot_id], "it is still listed"

    with pytest.raises(Conflict, match=r"older Luna.*by hand.*sql/luna\.(sqlite3|pgdump)") as refused:
        env.snapshots.restore(info.snapshot_id)

    assert refused.value.details["dump"].startswith("sql/luna.")
    assert item_rows(env) == [] and blob_contents(env) == {}, "a refused restore changes nothing"
    with env.container.database.unit_of_work(read_only=True) as uow:
        assert uow.audit.list(limit=1)[0].action != "snapshot.restore"


def test_damaged_rows_are_refused_before_anything_changes(env: Env) -> None:
    ingest_samples(env)
    info = env.snapshots.create(vectors=False, blobs=False)
    rows_file = env.settings.snapshots_path / info.snapshot_id / "rows" / "item_chunks.jsonl"
    rows_file.write_text(rows_file.read_text(encoding="utf-8") + '{"chunk_id": "x"}\n', encoding="utf-8")
    delete_all_items(env)

    with pytest.raises(Unprocessable, match="rows of item_chunks"):
        env.snapshots.restore(info.snapshot_id)

    assert item_rows(env) == []
