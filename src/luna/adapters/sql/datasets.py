"""Runs, dataset versions, lineage and deliveries of the datasets capability (the Parquet is in blobs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.inserts import dialect_insert, insert_unless_present
from luna.adapters.sql.tables_datasets import (
    dataset_deliveries,
    dataset_lineage,
    dataset_runs,
    dataset_versions,
)
from luna.domain.datasets.versions import DatasetRun, DatasetVersion, Delivery, DeliveryStatus, LineageEdge
from luna.domain.errors import Conflict, NotFound


class SqlDatasetRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add_run(self, run: DatasetRun) -> None:
        row = {
            "run_id": run.run_id,
            "pipeline": run.pipeline,
            "status": run.status,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "job_id": run.job_id,
            "error": run.error,
            "version_id": run.version_id,
            "report": run.report,
        }
        if not insert_unless_present(self._connection(), dataset_runs, row):
            raise Conflict(f"A dataset run {run.run_id!r} exists already.")

    def finish_run(
        self,
        run_id: str,
        *,
        status: str,
        finished_at: datetime,
        report: dict[str, Any],
        error: str | None = None,
        version_id: str | None = None,
    ) -> None:
        statement = (
            sa.update(dataset_runs)
            .where(dataset_runs.c.run_id == run_id)
            .values(status=status, finished_at=finished_at, report=report, error=error, version_id=version_id)
            .returning(dataset_runs.c.run_id)
        )
        if self._connection().execute(statement).first() is None:
            raise NotFound(f"No dataset run with id {run_id!r}.")

    def get_run(self, run_id: str) -> DatasetRun | None:
        statement = sa.select(dataset_runs).where(dataset_runs.c.run_id == run_id)
        row = self._connection().execute(statement).first()
        return None if row is None else _to_run(row)

    def list_runs(self, *, pipeline: str | None = None, limit: int = 50) -> Sequence[DatasetRun]:
        statement = sa.select(dataset_runs)
        if pipeline is not None:
            statement = statement.where(dataset_runs.c.pipeline == pipeline)
        statement = statement.order_by(dataset_runs.c.started_at.desc(), dataset_runs.c.run_id.desc())
        return [_to_run(row) for row in self._connection().execute(statement.limit(limit))]

    def expect_parts(self, run_id: str, total: int) -> None:
        statement = (
            sa.update(dataset_runs)
            .where(dataset_runs.c.run_id == run_id)
            .values(parts_total=total, parts_done=0)
            .returning(dataset_runs.c.run_id)
        )
        if self._connection().execute(statement).first() is None:
            raise NotFound(f"No dataset run with id {run_id!r}.")

    def part_done(self, run_id: str) -> tuple[int, int]:
        statement = (
            sa.update(dataset_runs)
            .where(dataset_runs.c.run_id == run_id)
            .values(parts_done=dataset_runs.c.parts_done + 1)
            .returning(dataset_runs.c.parts_done, dataset_runs.c.parts_total)
        )
        row = self._connection().execute(statement).first()
        if row is None or row.parts_total is None:
            raise NotFound(f"No partitioned dataset run with id {run_id!r}.")
        return int(row.parts_done), int(row.parts_total)

    def run_counts(self) -> dict[tuple[str, str], int]:
        statement = sa.select(dataset_runs.c.pipeline, dataset_runs.c.status, sa.func.count()).group_by(
            dataset_runs.c.pipeline, dataset_runs.c.status
        )
        return {(row[0], row[1]): int(row[2]) for row in self._connection().execute(statement)}

    def add_version(self, version: DatasetVersion, lineage: Sequence[LineageEdge]) -> None:
        strays = {edge.version_id for edge in lineage} - {version.version_id}
        if strays:
            # Checked before anything is written: an edge of another version would be filed here silently.
            raise ValueError(
                f"lineage edges of other versions {sorted(strays)} given for {version.version_id!r}"
            )
        if not insert_unless_present(self._connection(), dataset_versions, _version_row(version)):
            raise Conflict(
                f"Dataset {version.dataset!r} has a version {version.number} or one with content "
                f"{version.content_sha256[:12]}… already (or the id {version.version_id!r} is taken)."
            )
        if lineage:
            rows = [_edge_row(position, edge) for position, edge in enumerate(lineage)]
            self._connection().execute(sa.insert(dataset_lineage), rows)

    def next_number(self, dataset: str) -> int:
        highest = sa.select(sa.func.max(dataset_versions.c.number)).where(
            dataset_versions.c.dataset == dataset
        )
        return int(self._connection().execute(highest).scalar_one_or_none() or 0) + 1

    def version(self, dataset: str, number: int) -> DatasetVersion | None:
        return self._one(dataset_versions.c.dataset == dataset, dataset_versions.c.number == number)

    def version_by_id(self, version_id: str) -> DatasetVersion | None:
        return self._one(dataset_versions.c.version_id == version_id)

    def version_by_content(self, dataset: str, content_sha256: str) -> DatasetVersion | None:
        return self._one(
            dataset_versions.c.dataset == dataset, dataset_versions.c.content_sha256 == content_sha256
        )

    def versions(self, dataset: str) -> Sequence[DatasetVersion]:
        statement = (
            sa.select(dataset_versions)
            .where(dataset_versions.c.dataset == dataset)
            .order_by(dataset_versions.c.number.desc())
        )
        return [_to_version(row) for row in self._connection().execute(statement)]

    def datasets(self) -> Sequence[tuple[str, int, datetime]]:
        newest = (
            sa.select(dataset_versions.c.dataset, sa.func.max(dataset_versions.c.number).label("number"))
            .group_by(dataset_versions.c.dataset)
            .subquery()
        )
        statement = (
            sa.select(dataset_versions.c.dataset, dataset_versions.c.number, dataset_versions.c.created_at)
            .join(
                newest,
                sa.and_(
                    dataset_versions.c.dataset == newest.c.dataset,
                    dataset_versions.c.number == newest.c.number,
                ),
            )
            .order_by(dataset_versions.c.dataset)
        )
        return [(row.dataset, row.number, row.created_at) for row in self._connection().execute(statement)]

    def lineage_of(self, version_id: str) -> Sequence[LineageEdge]:
        statement = (
            sa.select(dataset_lineage)
            .where(dataset_lineage.c.version_id == version_id)
            .order_by(dataset_lineage.c.position)
        )
        return [_to_edge(row) for row in self._connection().execute(statement)]

    def uses_of(self, input_ref: str) -> Sequence[LineageEdge]:
        statement = (
            sa.select(dataset_lineage)
            .join(dataset_versions, dataset_versions.c.version_id == dataset_lineage.c.version_id)
            .where(dataset_lineage.c.input_ref == input_ref)
            .order_by(
                dataset_versions.c.created_at,
                dataset_versions.c.dataset,
                dataset_versions.c.number,
                dataset_lineage.c.position,
            )
        )
        return [_to_edge(row) for row in self._connection().execute(statement)]

    def put_delivery(
        self,
        *,
        consumer: str,
        dataset: str,
        version_id: str,
        status: DeliveryStatus,
        at: datetime,
        error: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Delivery:
        table = dataset_deliveries
        insert = dialect_insert(self._connection(), table).values(
            consumer=consumer,
            dataset=dataset,
            version_id=version_id,
            status=status,
            attempts=1,
            updated_at=at,
            error=error,
            detail=detail or {},
        )
        # One statement, so two hand-overs at once cannot both count from the same old row. In the SET
        # clause the table's columns are the stored row's, ``excluded`` is the new one.
        new = insert.excluded
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.consumer, table.c.dataset],
            set_={
                "attempts": sa.case((table.c.version_id == new.version_id, table.c.attempts + 1), else_=1),
                "version_id": new.version_id,
                "status": new.status,
                "updated_at": new.updated_at,
                "error": new.error,
                "detail": new.detail,
            },
        ).returning(*table.columns)
        return _to_delivery(self._connection().execute(statement).one())

    def delivery(self, consumer: str, dataset: str) -> Delivery | None:
        statement = sa.select(dataset_deliveries).where(
            dataset_deliveries.c.consumer == consumer, dataset_deliveries.c.dataset == dataset
        )
        row = self._connection().execute(statement).first()
        return None if row is None else _to_delivery(row)

    def deliveries(self, *, dataset: str | None = None) -> Sequence[Delivery]:
        statement = sa.select(dataset_deliveries)
        if dataset is not None:
            statement = statement.where(dataset_deliveries.c.dataset == dataset)
        statement = statement.order_by(dataset_deliveries.c.dataset, dataset_deliveries.c.consumer)
        return [_to_delivery(row) for row in self._connection().execute(statement)]

    def _one(self, *conditions: sa.ColumnElement[bool]) -> DatasetVersion | None:
        row = self._connection().execute(sa.select(dataset_versions).where(*conditions)).first()
        return None if row is None else _to_version(row)


def _version_row(version: DatasetVersion) -> dict[str, Any]:
    return {
        "version_id": version.version_id,
        "dataset": version.dataset,
        "number": version.number,
        "content_sha256": version.content_sha256,
        "run_id": version.run_id,
        "record_type": version.record_type,
        "blob_key": version.blob_key,
        "records": version.records,
        "created_at": version.created_at,
        "code_version": version.code_version,
        "quality": version.quality,
        "steps": version.steps,
        "gate_failures": list(version.gate_failures),
    }


def _edge_row(position: int, edge: LineageEdge) -> dict[str, Any]:
    return {
        "version_id": edge.version_id,
        "position": position,
        "input_kind": edge.input_kind,
        "input_ref": edge.input_ref,
        "input_version": edge.input_version,
        "records": edge.records,
    }


def _to_run(row: sa.Row[Any]) -> DatasetRun:
    return DatasetRun(
        run_id=row.run_id,
        pipeline=row.pipeline,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        job_id=row.job_id,
        error=row.error,
        version_id=row.version_id,
        report=dict(row.report),
    )


def _to_version(row: sa.Row[Any]) -> DatasetVersion:
    return DatasetVersion(
        version_id=row.version_id,
        dataset=row.dataset,
        number=row.number,
        content_sha256=row.content_sha256,
        run_id=row.run_id,
        record_type=row.record_type,
        blob_key=row.blob_key,
        records=row.records,
        created_at=row.created_at,
        code_version=row.code_version,
        quality=dict(row.quality),
        steps=list(row.steps),
        gate_failures=tuple(row.gate_failures),
    )


def _to_edge(row: sa.Row[Any]) -> LineageEdge:
    return LineageEdge(
        version_id=row.version_id,
        input_kind=row.input_kind,
        input_ref=row.input_ref,
        input_version=row.input_version,
        records=row.records,
    )


def _to_delivery(row: sa.Row[Any]) -> Delivery:
    return Delivery(
        consumer=row.consumer,
        dataset=row.dataset,
        version_id=row.version_id,
        status=row.status,
        attempts=row.attempts,
        updated_at=row.updated_at,
        error=row.error,
        detail=dict(row.detail),
    )
