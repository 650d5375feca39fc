"""The repositories' behaviour, the same on SQLite, PostgreSQL and the in-memory fake.

Services are unit-tested on the fake (``tests/fakes.py``); this suite is what makes that trustworthy:
every test runs as ``[sqlite]`` (a file in a temporary directory), ``[postgresql]`` (a migrated database
of its own on the real server, emptied between tests) and ``[fake]``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from luna.domain.errors import Conflict, InvalidInput, NotFound
from luna.domain.items import Item, ItemChunk, ItemStatus
from luna.domain.jobs import Job, JobStatus
from luna.ports.sql import Database
from tests.contracts.sql_support import (
    rowless_database,
)
from tests.fakes import FakeDatabase

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
GARBAGE_IDS = ("", "not-a-uuid", "123", "'; DROP TABLE items; --")


@pytest.fixture(params=("sqlite", "postgresql", "fake"))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database without rows."""
    if request.param == "fake":
        yield FakeDatabase()
        return
    with rowless_database(request, request.param, tmp_path, pool_size=2) as db:
        yield db


def new_id() -> str:
    return str(uuid.uuid4())


def make_item(title: str = "Lastgang 2024", *, created_at: datetime = T0, **fields: Any) -> Item:
    fields.setdefault("item_id", new_id())
    fields.setdefault("kind", "document")
    return Item(title=title, created_at=created_at, **fields)


def make_chunks(item_id: str, count: int, **metadata: Any) -> list[ItemChunk]:
    return [
        ItemChunk(
            chunk_id=new_id(),
            item_id=item_id,
            chunk_idx=index,
            text=f"Abschnitt {index}",
            qdrant_id=new_id(),
            metadata=dict(metadata),
        )
        for index in range(count)
    ]


def add_items(database: Database, *items: Item) -> None:
    with database.unit_of_work() as uow:
        for item in items:
            uow.items.add(item)
        uow.commit()


def add_item_with_chunks(database: Database, count: int, **metadata: Any) -> tuple[Item, list[ItemChunk]]:
    item = make_item()
    chunks = make_chunks(item.item_id, count, **metadata)
    with database.unit_of_work() as uow:
        uow.items.add(item)
        uow.chunks.add_many(chunks)
        uow.commit()
    return item, chunks


# --- units of work ----------------------------------------------------------------------------------


def test_leaving_a_unit_of_work_without_commit_discards_its_writes(database: Database) -> None:
    item = make_item()
    with database.unit_of_work() as uow:
        uow.items.add(item)
        uow.chunks.add_many(make_chunks(item.item_id, 2))
        uow.jobs.add(Job(job_id=new_id(), name="ingest", status=JobStatus.QUEUED, created_at=T0))
        uow.users.get_or_create(new_id())
        assert uow.items.get(item.item_id) is not None  # a unit of work sees its own writes

    with database.unit_of_work() as uow:
        assert uow.items.get(item.item_id) is None
        assert uow.chunks.count(include_archived=True) == 0
        assert uow.jobs.count() == 0
        assert uow.users.count() == 0


def test_an_exception_rolls_back_what_came_after_the_last_commit(database: Database) -> None:
    kept, lost = make_item("kept"), make_item("lost")
    with pytest.raises(RuntimeError), database.unit_of_work() as uow:
        uow.items.add(kept)
        uow.commit()
        uow.items.add(lost)
        raise RuntimeError("the service failed half-way")

    with database.unit_of_work() as uow:
        assert uow.items.get(kept.item_id) is not None
        assert uow.items.get(lost.item_id) is None


# --- users and jobs ---------------------------------------------------------------------------------


def test_users_are_created_once_and_found_again(database: Database) -> None:
    user_id = new_id()
    with database.unit_of_work() as uow:
        first = uow.users.get_or_create(user_id, external_id="kc-7")
        again = uow.users.get_or_create(user_id)
        uow.commit()

    with database.unit_of_work() as uow:
        assert uow.users.get(user_id) == first == again
        assert uow.users.count() == 1
        assert all(uow.users.get(garbage) is None for garbage in GARBAGE_IDS)


def test_a_placeholder_uuid_names_no_new_user(database: Database) -> None:
    """An operator's event, rating or meter link for the nil UUID made one shared account of it."""
    with database.unit_of_work() as uow:
        for placeholder in ("00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"):
            with pytest.raises(InvalidInput, match="placeholder UUID"):
                uow.users.get_or_create(placeholder)
        assert uow.users.count() == 0


def test_jobs_are_stored_listed_newest_first_and_updated(database: Database) -> None:
    old = Job(job_id=new_id(), name="ingest", status=JobStatus.QUEUED, created_at=T0)
    new = Job(job_id=new_id(), name="reindex", status=JobStatus.QUEUED, created_at=T0 + timedelta(1))
    with database.unit_of_work() as uow:
        uow.jobs.add(old)
        uow.jobs.add(new)
        with pytest.raises(Conflict):
            uow.jobs.add(old)
        uow.jobs.update(old.job_id, status=JobStatus.RUNNING, progress=0.5)
        uow.commit()

    with database.unit_of_work() as uow:
        assert [job.job_id for job in uow.jobs.list()] == [new.job_id, old.job_id]
        stored = uow.jobs.get(old.job_id)
        assert stored is not None
        assert (stored.status, stored.progress) == (JobStatus.RUNNING, 0.5)
        assert uow.jobs.counts_by_status() == {
            "queued": 1,
            "running": 1,
            "succeeded": 0,
            "failed": 0,
            "cancelled": 0,
        }
        with pytest.raises(NotFound):
            uow.jobs.update(new_id(), progress=1.0)
        with pytest.raises(ValueError):
            uow.jobs.update(old.job_id, colour="red")
        assert all(uow.jobs.get(garbage) is None for garbage in GARBAGE_IDS)


def test_finished_jobs_before_the_cutoff_are_deleted_and_no_others(database: Database) -> None:
    def job(name: str, status: JobStatus, finished_minutes: int | None) -> Job:
        finished = None if finished_minutes is None else T0 + timedelta(minutes=finished_minutes)
        return Job(job_id=new_id(), name=name, status=status, created_at=T0, finished_at=finished)

    rows = [
        job("old-done", JobStatus.SUCCEEDED, 0),
        job("old-failed", JobStatus.FAILED, 1),
        job("old-cancelled", JobStatus.CANCELLED, 2),
        job("recent-done", JobStatus.SUCCEEDED, 10),
        job("running", JobStatus.RUNNING, None),
        job("queued", JobStatus.QUEUED, None),
    ]
    with database.unit_of_work() as uow:
        for row in rows:
            uow.jobs.add(row)
        assert uow.jobs.delete_finished_before(T0 + timedelta(minutes=5)) == 3
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        assert sorted(j.name for j in uow.jobs.list(limit=10)) == ["queued", "recent-done", "running"]


def test_queued_before_finds_the_jobs_queued_since_before_the_cutoff_oldest_first(database: Database) -> None:
    def job(name: str, status: JobStatus, minutes: int) -> Job:
        return Job(job_id=new_id(), name=name, status=status, created_at=T0 + timedelta(minutes=minutes))

    rows = [
        job("newer", JobStatus.QUEUED, 5),
        job("oldest", JobStatus.QUEUED, 0),
        job("at-the-cutoff", JobStatus.QUEUED, 10),
        job("after", JobStatus.QUEUED, 11),
        job("running", JobStatus.RUNNING, 1),
        job("done", JobStatus.SUCCEEDED, 1),
        job("cancelled", JobStatus.CANCELLED, 1),
    ]
    with database.unit_of_work() as uow:
        for row in rows:
            uow.jobs.add(row)
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        waiting = uow.jobs.queued_before(T0 + timedelta(minutes=10))
        assert uow.jobs.queued_before(T0) == []

    assert [found.name for found in waiting] == ["oldest", "newer"]
    assert waiting[0] == rows[1]


# --- items ------------------------------------------------------------------------------------------


def test_an_item_reads_back_as_it_was_added(database: Database) -> None:
    item = make_item(
        "Netzentgelte 2025",
        source="upload",
        tags=["netz", "tarif"],
        url="https://example.org/netz.pdf",
        sha256="a" * 64,
        version=2,
        status=ItemStatus.INDEXED,
    )
    add_items(database, item)

    with database.unit_of_work() as uow:
        stored = uow.items.get(item.item_id)
        by_hash = uow.items.get_by_sha256("a" * 64)

    assert stored == by_hash
    assert stored is not None
    assert stored.title == "Netzentgelte 2025"
    assert stored.tags == ["netz", "tarif"]
    assert (stored.source, stored.url, stored.version) == ("upload", "https://example.org/netz.pdf", 2)
    assert stored.status is ItemStatus.INDEXED
    assert stored.created_at == T0
    assert stored.updated_at == T0
    assert stored.archived_at is None


def test_a_new_item_is_pending_with_no_tags(database: Database) -> None:
    item = Item(item_id=new_id(), kind="note")
    add_items(database, item)

    with database.unit_of_work() as uow:
        stored = uow.items.get(item.item_id)

    assert stored is not None
    assert (stored.status, stored.tags, stored.version) == (ItemStatus.PENDING, [], 1)
    assert stored.created_at is not None
    assert stored.created_at.tzinfo is not None


def test_the_same_id_or_content_hash_cannot_be_added_twice(database: Database) -> None:
    first = make_item(sha256="b" * 64)
    add_items(database, first)

    with database.unit_of_work() as uow:
        with pytest.raises(Conflict):
            uow.items.add(make_item(item_id=first.item_id))
        with pytest.raises(Conflict):
            uow.items.add(make_item(sha256="b" * 64))
        with pytest.raises(InvalidInput):
            uow.items.add(make_item(item_id="not-a-uuid"))


def test_unknown_and_garbage_item_ids_find_nothing(database: Database) -> None:
    add_items(database, make_item(sha256="c" * 64))

    with database.unit_of_work() as uow:
        assert uow.items.get(new_id()) is None
        assert uow.items.get_by_sha256("d" * 64) is None
        for garbage in GARBAGE_IDS:
            assert uow.items.get(garbage) is None
            assert uow.items.delete(garbage) is False
            with pytest.raises(NotFound):
                uow.items.update(garbage, title="x")


def test_items_are_listed_newest_first_and_paged_without_gaps(database: Database) -> None:
    items = [make_item(f"Dokument {n}", created_at=T0 + timedelta(hours=n)) for n in range(5)]
    same_time = [make_item("Gleichzeitig", created_at=T0 + timedelta(hours=9)) for _ in range(3)]
    add_items(database, *items, *same_time)

    with database.unit_of_work() as uow:
        everything = [item.item_id for item in uow.items.list(limit=100)]
        paged = [item.item_id for offset in range(0, 8, 3) for item in uow.items.list(limit=3, offset=offset)]
        total = uow.items.count()

    assert total == 8
    assert paged == everything
    assert sorted(everything[:3]) == sorted(item.item_id for item in same_time)
    assert everything[3:] == [item.item_id for item in reversed(items)]


def test_a_corpus_search_finds_every_word_in_titles_urls_or_passage_text(database: Database) -> None:
    heat_pump = make_item("Wärmepumpe im Einfamilienhaus")
    tariffs = make_item("Preisblatt 2026", url="https://stadtwerke.example/netz")
    add_items(database, heat_pump, tariffs)
    passages = [
        ItemChunk(new_id(), heat_pump.item_id, 0, "Die HEIZLAST des Hauses bestimmt die Größe der Pumpe."),
        ItemChunk(new_id(), tariffs.item_id, 0, "Arbeitspreis 8,12 ct/kWh für Haushalte (100% Ökostrom)."),
    ]
    with database.unit_of_work() as uow:
        uow.chunks.add_many(passages)
        uow.commit()

    def ids(query: str) -> set[str]:
        with database.unit_of_work() as uow:
            found = {item.item_id for item in uow.items.list(query=query)}
            assert uow.items.count(query=query) == len(found)
            return found

    assert ids("Wärmepumpe Heizlast") == {heat_pump.item_id}  # title and passage, both words
    assert ids("heizlast") == {heat_pump.item_id}
    assert ids("Arbeitspreis stadtwerke") == {tariffs.item_id}  # passage and URL
    assert ids("Heizlast Arbeitspreis") == set()  # every word must occur in the same item
    assert ids("100%") == {tariffs.item_id} and ids("1_0%") == set()  # wildcards taken literally


def test_items_are_filtered_by_text_tag_and_status(database: Database) -> None:
    pv = make_item("Photovoltaik Ertrag", tags=["pv", "solar"], status=ItemStatus.INDEXED)
    wind = make_item(
        "Windpark", url="https://example.org/WIND-2024", tags=["wind"], status=ItemStatus.INDEXED
    )
    failed = make_item("PV-Anlage defekt", tags=["pv"], status=ItemStatus.FAILED)
    percent = make_item("Rabatt 100% Strom", tags=["pv_x"])
    overview = make_item("ÜBERSICHT Netzentgelte", tags=["netz"], status=ItemStatus.INDEXED)
    add_items(database, pv, wind, failed, percent, overview)

    def ids(**filters: Any) -> set[str]:
        with database.unit_of_work() as uow:
            found = {item.item_id for item in uow.items.list(**filters)}
            assert uow.items.count(**filters) == len(found)
            return found

    assert ids(query="pHoToVoLtAiK") == {pv.item_id}
    assert ids(query="wind-2024") == {wind.item_id}  # the URL counts too
    assert ids(query="pv") == {failed.item_id}
    assert ids(query="100%") == {percent.item_id}  # wildcards in the query are taken literally
    assert ids(query="1_0") == set()
    assert ids(tag="pv") == {pv.item_id, failed.item_id}
    assert ids(tag="p") == set()  # a whole tag, not a substring
    assert ids(tag="pv", status=ItemStatus.INDEXED) == {pv.item_id}
    assert ids(status=ItemStatus.PENDING) == {percent.item_id}
    assert ids(query="windpark", tag="pv") == set()
    assert ids(query="übersicht") == {overview.item_id}  # case folding beyond ASCII
    assert ids(query="") == {pv.item_id, wind.item_id, failed.item_id, percent.item_id, overview.item_id}


def test_update_sets_fields_and_moves_updated_at(database: Database) -> None:
    item = make_item(sha256="e" * 64)
    other = make_item(sha256="f" * 64)
    add_items(database, item, other)
    archived_at = T0 + timedelta(days=3)

    with database.unit_of_work() as uow:
        uow.items.update(
            item.item_id, status=ItemStatus.INDEXED, title="Neu", tags=["neu"], archived_at=archived_at
        )
        uow.commit()

    with database.unit_of_work() as uow:
        stored = uow.items.get(item.item_id)
        with pytest.raises(ValueError):
            uow.items.update(item.item_id, colour="red")
        with pytest.raises(NotFound):
            uow.items.update(new_id(), title="x")
        with pytest.raises(Conflict):
            uow.items.update(item.item_id, sha256="f" * 64)

    assert stored is not None
    assert (stored.status, stored.title, stored.tags) == (ItemStatus.INDEXED, "Neu", ["neu"])
    assert stored.archived_at == archived_at
    assert stored.updated_at is not None
    assert stored.updated_at > T0


def test_a_version_advances_only_from_the_version_it_was_made_from(database: Database) -> None:
    item = make_item(sha256="a1" * 32)
    add_items(database, item)

    with database.unit_of_work() as uow:
        first = uow.items.advance_version(item.item_id, 1, sha256="b2" * 32, title="Zweite")
        second = uow.items.advance_version(item.item_id, 1, sha256="c3" * 32, title="Auch zweite")
        uow.commit()

    with database.unit_of_work() as uow:
        stored = uow.items.get(item.item_id)
        with pytest.raises(NotFound):
            uow.items.advance_version(new_id(), 1, title="x")
    assert (first, second) == (True, False)
    assert stored is not None
    assert (stored.version, stored.sha256, stored.title) == (2, "b2" * 32, "Zweite")


def test_counts_by_status_names_every_status(database: Database) -> None:
    add_items(
        database, make_item(status=ItemStatus.INDEXED), make_item(status=ItemStatus.INDEXED), make_item()
    )

    with database.unit_of_work() as uow:
        assert uow.items.counts_by_status() == {"pending": 1, "indexed": 2, "failed": 0}


def test_deleting_an_item_deletes_its_chunks(database: Database) -> None:
    item, chunks = add_item_with_chunks(database, 3)
    _, kept = add_item_with_chunks(database, 2)

    with database.unit_of_work() as uow:
        assert uow.items.delete(item.item_id) is True
        assert uow.items.delete(item.item_id) is False
        uow.commit()

    with database.unit_of_work() as uow:
        assert uow.items.get(item.item_id) is None
        assert uow.chunks.list_for_item(item.item_id, include_archived=True) == []
        assert uow.chunks.get_many([c.chunk_id for c in chunks]) == []
        assert uow.chunks.count(include_archived=True) == len(kept)


# --- chunks -----------------------------------------------------------------------------------------


def test_chunks_of_an_item_come_back_in_chunk_order(database: Database) -> None:
    item = make_item()
    chunks = make_chunks(item.item_id, 4, page=1, heading="Einleitung")
    with database.unit_of_work() as uow:
        uow.items.add(item)
        uow.chunks.add_many(list(reversed(chunks)))
        uow.commit()

    with database.unit_of_work() as uow:
        listed = uow.chunks.list_for_item(item.item_id)

    assert [c.chunk_idx for c in listed] == [0, 1, 2, 3]
    assert [c.chunk_id for c in listed] == [c.chunk_id for c in chunks]
    assert listed[0].text == "Abschnitt 0"
    assert listed[0].qdrant_id == chunks[0].qdrant_id
    assert listed[0].metadata == {"page": 1, "heading": "Einleitung"}
    assert listed[0].created_at is not None
    assert not listed[0].archived


def test_chunks_need_an_existing_item_and_a_free_id(database: Database) -> None:
    item, chunks = add_item_with_chunks(database, 1)

    with database.unit_of_work() as uow:
        with pytest.raises(NotFound):
            uow.chunks.add_many(make_chunks(new_id(), 1))
        with pytest.raises(Conflict):
            uow.chunks.add_many(chunks)
        with pytest.raises(InvalidInput):
            uow.chunks.add_many([ItemChunk(chunk_id="nope", item_id=item.item_id, chunk_idx=0, text="x")])
        uow.chunks.add_many([])
        assert uow.chunks.count() == 1


def test_get_many_answers_in_the_order_asked_and_skips_unknown_ids(database: Database) -> None:
    _, chunks = add_item_with_chunks(database, 3)
    a, b, c = (chunk.chunk_id for chunk in chunks)

    with database.unit_of_work() as uow:
        found = uow.chunks.get_many([c, new_id(), a, "garbage", b, a])
        assert uow.chunks.get_many([]) == []

    assert [chunk.chunk_id for chunk in found] == [c, a, b]


def test_archiving_hides_an_items_chunks_unless_asked_for(database: Database) -> None:
    item, old = add_item_with_chunks(database, 3, page=7)
    _, other = add_item_with_chunks(database, 2)

    with database.unit_of_work() as uow:
        assert uow.chunks.archive_for_item(item.item_id) == 3
        assert uow.chunks.archive_for_item(item.item_id) == 0  # only current chunks count
        replacement = make_chunks(item.item_id, 2)
        uow.chunks.add_many(replacement)
        uow.commit()

    with database.unit_of_work() as uow:
        current = uow.chunks.list_for_item(item.item_id)
        everything = uow.chunks.list_for_item(item.item_id, include_archived=True)
        assert uow.chunks.count() == len(replacement) + len(other)
        assert uow.chunks.count(include_archived=True) == len(old) + len(replacement) + len(other)
        cited = uow.chunks.get_many([old[0].chunk_id])

    assert {c.chunk_id for c in current} == {c.chunk_id for c in replacement}
    assert len(everything) == 5
    assert cited[0].archived  # an old answer's source stays readable
    assert cited[0].metadata == {"page": 7, "archived": True}


def test_delete_for_item_removes_current_and_archived_chunks(database: Database) -> None:
    item, _ = add_item_with_chunks(database, 2)
    _, other = add_item_with_chunks(database, 1)

    with database.unit_of_work() as uow:
        uow.chunks.archive_for_item(item.item_id)
        uow.chunks.add_many(make_chunks(item.item_id, 1))
        assert uow.chunks.delete_for_item(item.item_id) == 3
        assert uow.chunks.delete_for_item(item.item_id) == 0
        uow.commit()

    with database.unit_of_work() as uow:
        assert uow.items.get(item.item_id) is not None
        assert uow.chunks.count(include_archived=True) == len(other)


def test_garbage_item_ids_have_no_chunks(database: Database) -> None:
    add_item_with_chunks(database, 2)

    with database.unit_of_work() as uow:
        for garbage in (*GARBAGE_IDS, new_id()):
            assert uow.chunks.list_for_item(garbage) == []
            assert uow.chunks.archive_for_item(garbage) == 0
            assert uow.chunks.delete_for_item(garbage) == 0
        assert uow.chunks.count() == 2


def test_all_active_yields_every_current_chunk_once_in_batches(database: Database) -> None:
    archived_item, _ = add_item_with_chunks(database, 3)
    _, first = add_item_with_chunks(database, 4)
    _, second = add_item_with_chunks(database, 3)
    with database.unit_of_work() as uow:
        uow.chunks.archive_for_item(archived_item.item_id)
        uow.commit()

    with database.unit_of_work() as uow:
        batches = list(uow.chunks.all_active(batch_size=3))
        assert list(uow.chunks.all_active(batch_size=7)) != []
        with pytest.raises(ValueError):
            list(uow.chunks.all_active(batch_size=0))

    assert [len(batch) for batch in batches] == [3, 3, 1]
    streamed = [chunk.chunk_id for batch in batches for chunk in batch]
    assert sorted(streamed) == sorted(c.chunk_id for c in first + second)


def test_all_active_on_an_empty_store_yields_nothing(database: Database) -> None:
    with database.unit_of_work() as uow:
        assert list(uow.chunks.all_active(batch_size=10)) == []


def test_the_fingerprint_changes_with_every_change_to_the_searchable_items(database: Database) -> None:
    with database.unit_of_work() as uow:
        empty = uow.items.fingerprint()
    assert empty[:2] == (0, 0)
    item = make_item(sha256="a" * 64)
    add_items(database, item)
    seen = [empty]
    for change in ({"status": ItemStatus.INDEXED}, {"version": 2}, {"title": "neu"}):
        with database.unit_of_work() as uow:
            uow.items.update(item.item_id, **change)
            uow.commit()
        with database.unit_of_work(read_only=True) as uow:
            seen.append(uow.items.fingerprint())
    with database.unit_of_work() as uow:
        uow.items.delete(item.item_id)
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        seen.append(uow.items.fingerprint())
    assert [f[:2] for f in seen] == [(0, 0), (1, 1), (1, 2), (1, 2), (0, 0)]
    assert len(set(seen[1:])) == len(seen) - 1  # a title change moves updated_at


def test_the_embedding_cache_keeps_the_first_vector_per_model_and_text(database: Database) -> None:
    with database.unit_of_work() as uow:
        uow.embedding_cache.put_many("e5", {"h1": [0.25, -0.5], "h2": [1.0, 0.0]})
        uow.embedding_cache.put_many("e5", {"h1": [9.0, 9.0]})
        uow.embedding_cache.put_many("other", {"h1": [0.5, 0.5]})
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.embedding_cache.get_many("e5", ["h1", "h3", "h2"]) == {
            "h1": [0.25, -0.5],
            "h2": [1.0, 0.0],
        }
        assert uow.embedding_cache.get_many("other", ["h1"]) == {"h1": [0.5, 0.5]}
        assert (uow.embedding_cache.count("e5"), uow.embedding_cache.count()) == (2, 3)
