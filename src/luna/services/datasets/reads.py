"""Reading what the datasets capability keeps: runs, versions and their records, lineage, deliveries.

A mixin of :class:`~luna.services.datasets.datasets.DatasetService` (it reads through the service's
database and blob store), apart so that the service module stays about running pipelines.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import polars as pl

from luna.domain.datasets.versions import DatasetRun, DatasetVersion, Delivery, LineageEdge
from luna.domain.errors import NotFound
from luna.ports.blobs import BlobStore
from luna.ports.sql import Database
from luna.services.datasets.normalise import FLAGS

ExportFormat = Literal["parquet", "jsonl", "csv"]
MEDIA_TYPES: dict[ExportFormat, str] = {
    "parquet": "application/vnd.apache.parquet",
    "jsonl": "application/jsonl",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class DatasetGauges:
    """What ``/metrics`` shows of the datasets, read from SQL at scrape time (so runs in any worker count)."""

    runs: dict[tuple[str, str], int]
    #: The newest version of each dataset.
    newest: list[DatasetVersion]
    deliveries: list[Delivery]


class DatasetReads:
    _database: Database
    _blobs: BlobStore

    def runs(self, *, pipeline: str | None = None, limit: int = 50) -> list[DatasetRun]:
        with self._database.unit_of_work(read_only=True) as uow:
            return list(uow.datasets.list_runs(pipeline=pipeline, limit=limit))

    def get_run(self, run_id: str) -> DatasetRun:
        with self._database.unit_of_work(read_only=True) as uow:
            run = uow.datasets.get_run(run_id)
        if run is None:
            raise NotFound(f"No dataset run with id {run_id!r}.")
        return run

    def datasets(self) -> list[tuple[str, int, datetime]]:
        with self._database.unit_of_work(read_only=True) as uow:
            return list(uow.datasets.datasets())

    def versions(self, name: str) -> list[DatasetVersion]:
        with self._database.unit_of_work(read_only=True) as uow:
            found = list(uow.datasets.versions(name))
        if not found:
            raise NotFound(f"No dataset named {name!r}.")
        return found

    def version(self, name: str, number: int) -> DatasetVersion:
        with self._database.unit_of_work(read_only=True) as uow:
            version = uow.datasets.version(name, number)
        if version is None:
            raise NotFound(f"Dataset {name!r} has no version {number}.")
        return version

    def _latest(self, name: str, *, passed: bool = False) -> DatasetVersion | None:
        with self._database.unit_of_work(read_only=True) as uow:
            versions = uow.datasets.versions(name)
        return next((v for v in versions if v.gates_passed or not passed), None)

    def frame(self, version: DatasetVersion) -> pl.DataFrame:
        return pl.read_parquet(io.BytesIO(self._blobs.get(version.blob_key)))

    def export(self, name: str, number: int, fmt: ExportFormat) -> bytes:
        """The version's records as Parquet (the stored bytes), JSON Lines or CSV (flags joined by ``|``;
        a text cell a spreadsheet would run as a formula starts with ``'``)."""
        version = self.version(name, number)
        if fmt == "parquet":
            return self._blobs.get(version.blob_key)
        frame = self.frame(version)
        if fmt == "jsonl":
            return frame.write_ndjson().encode("utf-8")
        return spreadsheet_safe(frame.with_columns(pl.col(FLAGS).list.join("|"))).write_csv().encode("utf-8")

    def lineage(self, name: str, number: int) -> list[LineageEdge]:
        version = self.version(name, number)
        with self._database.unit_of_work(read_only=True) as uow:
            return list(uow.datasets.lineage_of(version.version_id))

    def uses(self, input_ref: str) -> list[tuple[LineageEdge, DatasetVersion | None]]:
        """Where a source went: each version made from it."""
        with self._database.unit_of_work(read_only=True) as uow:
            return [
                (edge, uow.datasets.version_by_id(edge.version_id))
                for edge in uow.datasets.uses_of(input_ref)
            ]

    def promoted_after(self, after: datetime) -> list[DatasetVersion]:
        """Versions made after ``after`` that passed their gates (were handed to consumers), oldest
        first: what a subscriber of the promotion stream has not seen yet."""
        with self._database.unit_of_work(read_only=True) as uow:
            names = [name for name, _, newest in uow.datasets.datasets() if newest > after]
            found = [v for name in names for v in uow.datasets.versions(name) if v.created_at > after]
        return sorted((v for v in found if v.gates_passed), key=lambda v: (v.created_at, v.version_id))

    def gauges(self) -> DatasetGauges:
        with self._database.unit_of_work(read_only=True) as uow:
            newest = [uow.datasets.version(name, number) for name, number, _ in uow.datasets.datasets()]
            return DatasetGauges(
                uow.datasets.run_counts(),
                [v for v in newest if v is not None],
                list(uow.datasets.deliveries()),
            )

    def deliveries(self, name: str | None = None) -> list[Delivery]:
        with self._database.unit_of_work(read_only=True) as uow:
            return list(uow.datasets.deliveries(dataset=name))


#: What a spreadsheet takes for the start of a formula (OWASP, "CSV injection").
_FORMULA_START = r"^[=+\-@\t\r]"


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that start like a formula, with ``'`` before them: the CSV is made to be opened in
    Excel, and an answer ``=HYPERLINK("http://…","Klick")`` from a drop came out as a live link."""
    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in texts
    )
