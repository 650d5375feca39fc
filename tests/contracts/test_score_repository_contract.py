"""The score and audit repositories, the same on SQLite and PostgreSQL.

What the learning job, retrieval's boost and the recommender rely on: a version lands with all its
scores or not at all, "newest" means the highest version, lookups leave unscored IDs out, and the audit
log reads newest first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.tables import score_versions, scores
from luna.domain.scores import AuditEntry, Score, ScoreTarget, ScoreVersion
from tests.contracts.sql_support import BACKENDS, rowless_database

T0 = datetime(2025, 3, 1, 3, 0, tzinfo=UTC)
CHUNK, ITEM = ScoreTarget.CHUNK, ScoreTarget.ITEM


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=2) as db:
        yield db


def new_id(n: int | None = None) -> str:
    return str(uuid.UUID(int=n)) if n is not None else str(uuid.uuid4())


def version_record(sha: str = "a" * 64, **fields: object) -> ScoreVersion:
    values: dict[str, object] = {
        "version": 0,
        "computed_at": T0,
        "as_of": T0 - timedelta(hours=3),
        "actor": "schedule",
        "inputs_sha256": sha,
        "chunks": 2,
        "items": 1,
        "params": {"half_life_days": 14.0, "event_weights": {"view": 1.0}},
        **fields,
    }
    return ScoreVersion(**values)  # type: ignore[arg-type]


def score(target: ScoreTarget, target_id: str, popularity: float, quality: float = 0.5) -> Score:
    return Score(target, target_id, popularity, quality, events=3, positives=2, negatives=1)


def store(database: SqlDatabase, record: ScoreVersion, scored: list[Score]) -> int:
    with database.unit_of_work() as uow:
        number = uow.scores.add_version(record, scored)
        uow.commit()
    return number


def test_versions_are_numbered_upwards_and_read_back_newest_first_with_every_field(
    database: SqlDatabase,
) -> None:
    job_id = new_id()
    first = store(database, version_record(), [score(CHUNK, new_id(1), 1.0)])
    second = store(database, version_record("b" * 64, job_id=job_id, computed_at=T0 + timedelta(days=1)), [])

    with database.unit_of_work(read_only=True) as uow:
        latest = uow.scores.latest_version()
        listed = uow.scores.versions(limit=10)
        only_one = uow.scores.versions(limit=1)

    assert second > first
    assert latest == version_record(
        "b" * 64, version=second, job_id=job_id, computed_at=T0 + timedelta(days=1)
    )
    assert latest is not None and latest.as_of.tzinfo is not None
    assert [v.version for v in listed] == [second, first] and only_one == [latest]
    assert listed[1].params == {"half_life_days": 14.0, "event_weights": {"view": 1.0}}


def test_lookups_read_the_newest_version_unless_told_and_leave_unscored_ids_out(
    database: SqlDatabase,
) -> None:
    a, b, unscored = new_id(1), new_id(2), new_id(3)
    old = store(database, version_record(), [score(CHUNK, a, 0.2), score(CHUNK, b, 1.0)])
    store(database, version_record("b" * 64), [score(CHUNK, a, 0.9, 0.75), score(ITEM, b, 0.4)])

    with database.unit_of_work(read_only=True) as uow:
        newest = uow.scores.get_many(CHUNK, [a, b, unscored, "not-a-uuid"])
        older = uow.scores.get_many(CHUNK, [a, b], version=old)
        items = uow.scores.get_many(ITEM, [a, b])
        nowhere = uow.scores.get_many(CHUNK, [a], version=old + 99)

    assert newest == {a: Score(CHUNK, a, 0.9, 0.75, events=3, positives=2, negatives=1)}
    assert {k: s.popularity for k, s in older.items()} == {a: 0.2, b: 1.0}
    assert list(items) == [b] and items[b].target is ITEM
    assert nowhere == {}


def test_many_ids_are_looked_up_in_one_call(database: SqlDatabase) -> None:
    scored = [score(CHUNK, new_id(n), n / 1200) for n in range(1, 1201)]
    store(database, version_record(), scored)

    with database.unit_of_work(read_only=True) as uow:
        found = uow.scores.get_many(CHUNK, [s.target_id for s in scored])

    assert len(found) == 1200 and found[new_id(600)].popularity == pytest.approx(0.5)


def test_top_ranks_by_popularity_or_quality_with_ties_by_id(database: SqlDatabase) -> None:
    ids = [new_id(n) for n in range(1, 5)]
    store(
        database,
        version_record(),
        [
            score(CHUNK, ids[0], 0.5, 0.9),
            score(CHUNK, ids[1], 1.0, 0.2),
            score(CHUNK, ids[2], 0.5, 0.6),
            score(ITEM, ids[3], 2.0, 1.0),
        ],
    )

    with database.unit_of_work(read_only=True) as uow:
        popular = uow.scores.top(CHUNK, 3)
        useful = uow.scores.top(CHUNK, 2, by="quality")
        with pytest.raises(ValueError, match="popularity or quality"):
            uow.scores.top(CHUNK, 3, by="events; DROP TABLE scores")

    assert [s.target_id for s in popular] == [ids[1], ids[0], ids[2]]
    assert [s.target_id for s in useful] == [ids[0], ids[2]]


def test_a_whole_version_streams_in_id_order_in_batches(database: SqlDatabase) -> None:
    scored = [score(CHUNK, new_id(n), 0.1) for n in (5, 1, 4, 2, 3)]
    number = store(database, version_record(), [*scored, score(ITEM, new_id(9), 0.3)])

    with database.unit_of_work(read_only=True) as uow:
        batches = list(uow.scores.scores_of(number, CHUNK, batch_size=2))

    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert [s.target_id for batch in batches for s in batch] == [new_id(n) for n in range(1, 6)]


def test_an_empty_store_has_no_version_and_no_scores(database: SqlDatabase) -> None:
    with database.unit_of_work(read_only=True) as uow:
        assert uow.scores.latest_version() is None
        assert uow.scores.versions() == []
        assert uow.scores.get_many(CHUNK, [new_id(1)]) == {}
        assert uow.scores.top(ITEM, 10) == []


def test_a_version_without_commit_leaves_neither_the_version_nor_its_scores(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.scores.add_version(version_record(), [score(CHUNK, new_id(1), 1.0)])

    with database.engine.connect() as connection:
        stored = [
            connection.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in (score_versions, scores)
        ]
    assert stored == [0, 0]


def test_a_score_for_a_garbage_id_is_refused_and_nothing_is_kept(database: SqlDatabase) -> None:
    with pytest.raises(Exception, match="UUID"), database.unit_of_work() as uow:
        uow.scores.add_version(version_record(), [score(CHUNK, "chunk-7", 1.0)])
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        assert uow.scores.latest_version() is None


def entry(action: str, ts: datetime, **details: object) -> AuditEntry:
    return AuditEntry(new_id(), ts, "admin-api", action, target="scores:v1", details=dict(details))


def test_the_audit_log_reads_newest_first_filtered_by_action(database: SqlDatabase) -> None:
    oldest = entry("learn.run", T0, counts={"events": 3}, unchanged=False)
    other = entry("privacy.erase", T0 + timedelta(minutes=1))
    newest = entry("learn.run", T0 + timedelta(minutes=2), changes={"top_movers": [{"chunk_id": "x"}]})
    with database.unit_of_work() as uow:
        for record in (oldest, other, newest):
            uow.audit.add(record)
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        everything = uow.audit.list()
        learning = uow.audit.list(action="learn.run")
        one = uow.audit.list(limit=1)
        none = uow.audit.list(action="nothing.like.this")
        paged = [uow.audit.list(limit=2, offset=offset) for offset in (0, 2, 3)]
        older_learning = uow.audit.list(action="learn.run", offset=1)

    assert everything == [newest, other, oldest]
    assert learning == [newest, oldest] and one == [newest] and none == []
    assert paged == [[newest, other], [oldest], []] and older_learning == [oldest]
    assert learning[1].details == {"counts": {"events": 3}, "unchanged": False}
