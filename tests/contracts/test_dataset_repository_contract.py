"""Dataset runs, versions, lineage and deliveries behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from luna.adapters.sql.database import SqlDatabase
from luna.domain.datasets.versions import DatasetRun, DatasetVersion, InputKind, LineageEdge
from luna.domain.errors import Conflict, NotFound
from luna.ports.sql import UnitOfWork
from tests.contracts.sql_support import rowless_database

T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)


@pytest.fixture(params=("sqlite", "postgresql"))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=2) as db:
        yield db


def run(run_id: str, *, pipeline: str = "feedback.yaml", minutes: int = 0) -> DatasetRun:
    return DatasetRun(run_id, pipeline, "running", T0 + timedelta(minutes=minutes), job_id="job-1")


def version(dataset: str, number: int, *, minutes: int = 0) -> DatasetVersion:
    return DatasetVersion(
        version_id=f"{dataset}-v{number}",
        dataset=dataset,
        number=number,
        content_sha256=f"sha-{dataset}-{number}",
        run_id="r1",
        record_type="feedback",
        blob_key=f"datasets/{dataset}/{number}.parquet",
        records=10 * number,
        created_at=T0 + timedelta(minutes=minutes),
        code_version="1.4.0",
        quality={"completeness": 0.98, "score": 0.9, "by_field": {"text": 1.0}},
        steps=[{"step": "dedupe", "params": {"on": ["text"]}, "removed": 2}],
        gate_failures=("min_records",),
    )


def edge(version_id: str, ref: str, *, kind: InputKind = "source") -> LineageEdge:
    return LineageEdge(version_id, kind, ref, f"hash-of-{ref}", 7)


def add(uow: UnitOfWork, *versions: DatasetVersion) -> None:
    for each in versions:
        uow.datasets.add_version(each, [])


def test_a_run_comes_back_and_is_finished(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.datasets.add_run(run("r1"))
        uow.datasets.finish_run(
            "r1",
            status="succeeded",
            finished_at=T0 + timedelta(minutes=3),
            report={"steps": [{"kept": 8}]},
            version_id="feedback-v1",
        )
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.datasets.get_run("r1") == replace(
            run("r1"),
            status="succeeded",
            finished_at=T0 + timedelta(minutes=3),
            version_id="feedback-v1",
            report={"steps": [{"kept": 8}]},
        )
        assert uow.datasets.get_run("nope") is None


def test_finishing_an_unknown_run_is_not_found(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        uow.datasets.finish_run("nope", status="failed", finished_at=T0, report={}, error="boom")


def test_runs_are_listed_newest_first_and_by_pipeline(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.datasets.add_run(run("old"))
        uow.datasets.add_run(run("new", minutes=5))
        uow.datasets.add_run(run("other", pipeline="meters.yaml", minutes=9))
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert [r.run_id for r in uow.datasets.list_runs()] == ["other", "new", "old"]
        assert [r.run_id for r in uow.datasets.list_runs(pipeline="feedback.yaml")] == ["new", "old"]
        assert [r.run_id for r in uow.datasets.list_runs(limit=1)] == ["other"]
        assert uow.datasets.run_counts() == {("feedback.yaml", "running"): 2, ("meters.yaml", "running"): 1}


def test_a_version_comes_back_whole_by_number_id_and_content(database: SqlDatabase) -> None:
    made = version("feedback", 1)
    with database.unit_of_work() as uow:
        add(uow, made, replace(version("feedback", 2), gate_failures=()))
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.datasets.version("feedback", 1) == made
        assert uow.datasets.version_by_id("feedback-v1") == made
        assert uow.datasets.version_by_content("feedback", "sha-feedback-1") == made
        assert uow.datasets.version_by_content("meters", "sha-feedback-1") is None
        assert uow.datasets.version_by_id("feedback-v2") == replace(version("feedback", 2), gate_failures=())
        assert uow.datasets.version("feedback", 3) is None


@pytest.mark.parametrize(
    "clash",
    [
        replace(version("feedback", 1), version_id="another", content_sha256="new content"),
        replace(version("feedback", 2), content_sha256="sha-feedback-1"),
    ],
    ids=["number", "content"],
)
def test_a_taken_number_or_content_is_a_conflict(database: SqlDatabase, clash: DatasetVersion) -> None:
    with database.unit_of_work() as uow:
        add(uow, version("feedback", 1))
        uow.commit()
    with database.unit_of_work() as uow:
        with pytest.raises(Conflict):
            uow.datasets.add_version(clash, [edge(clash.version_id, "file:a.csv")])
        add(uow, replace(clash, dataset="meters", version_id="meters-v1"))  # the transaction goes on
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.datasets.lineage_of(clash.version_id) == []
        assert len(uow.datasets.versions("meters")) == 1


def test_numbers_count_per_dataset_and_versions_list_newest_first(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        assert uow.datasets.next_number("feedback") == 1
        add(uow, version("feedback", 1), version("feedback", 2, minutes=1), version("meters", 1, minutes=2))
        assert uow.datasets.next_number("feedback") == 3
        assert uow.datasets.next_number("meters") == 2
        assert [v.number for v in uow.datasets.versions("feedback")] == [2, 1]
        assert uow.datasets.datasets() == [
            ("feedback", 2, T0 + timedelta(minutes=1)),
            ("meters", 1, T0 + timedelta(minutes=2)),
        ]


def test_lineage_reads_both_ways(database: SqlDatabase) -> None:
    first, second = version("feedback", 1), version("feedback", 2, minutes=1)
    training = version("training", 1, minutes=2)
    with database.unit_of_work() as uow:
        uow.datasets.add_version(
            second, [edge(second.version_id, "url:b"), edge(second.version_id, "file:a")]
        )
        uow.datasets.add_version(first, [edge(first.version_id, "file:a")])
        uow.datasets.add_version(training, [edge(training.version_id, "feedback", kind="dataset")])
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert [e.input_ref for e in uow.datasets.lineage_of(second.version_id)] == ["url:b", "file:a"]
        assert uow.datasets.uses_of("file:a") == [
            edge(first.version_id, "file:a"),
            edge(second.version_id, "file:a"),
        ]
        assert uow.datasets.uses_of("feedback") == [edge(training.version_id, "feedback", kind="dataset")]
        assert uow.datasets.uses_of("file:never") == []


def test_a_delivery_counts_attempts_per_version(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        first = uow.datasets.put_delivery(
            consumer="trainer", dataset="feedback", version_id="v1", status="failed", at=T0, error="disk full"
        )
        again = uow.datasets.put_delivery(
            consumer="trainer",
            dataset="feedback",
            version_id="v1",
            status="delivered",
            at=T0 + timedelta(minutes=1),
            detail={"rows": 10},
        )
        uow.commit()
    assert (first.attempts, first.error, first.detail) == (1, "disk full", {})
    assert (again.attempts, again.status, again.error, again.detail) == (2, "delivered", None, {"rows": 10})
    with database.unit_of_work() as uow:
        other = uow.datasets.put_delivery(
            consumer="trainer",
            dataset="feedback",
            version_id="v2",
            status="delivered",
            at=T0 + timedelta(hours=1),
        )
        uow.commit()
    assert other.attempts == 1
    with database.unit_of_work(read_only=True) as uow:
        assert uow.datasets.delivery("trainer", "feedback") == other
        assert uow.datasets.delivery("trainer", "meters") is None
        assert other.updated_at == T0 + timedelta(hours=1)


def test_deliveries_are_listed_by_dataset_then_consumer(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        for consumer, dataset in [("trainer", "meters"), ("search", "feedback"), ("export", "feedback")]:
            uow.datasets.put_delivery(
                consumer=consumer, dataset=dataset, version_id="v1", status="delivered", at=T0
            )
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        everything = [(d.dataset, d.consumer) for d in uow.datasets.deliveries()]
        assert everything == [("feedback", "export"), ("feedback", "search"), ("meters", "trainer")]
        assert [d.consumer for d in uow.datasets.deliveries(dataset="meters")] == ["trainer"]


def test_partition_jobs_are_counted_to_the_last_one(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.datasets.add_run(run("parted"))
        uow.datasets.expect_parts("parted", 3)
        uow.commit()
    seen = []
    for _ in range(3):
        with database.unit_of_work() as uow:
            seen.append(uow.datasets.part_done("parted"))
            uow.commit()
    assert seen == [(1, 3), (2, 3), (3, 3)]
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        uow.datasets.expect_parts("absent", 2)
    with database.unit_of_work() as uow:
        uow.datasets.add_run(run("whole"))
        with pytest.raises(NotFound):  # a run in one job has no partitions to count
            uow.datasets.part_done("whole")
