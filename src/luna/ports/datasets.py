"""Where the datasets capability keeps runs, versions, lineage and deliveries (the Parquet is in blobs)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from luna.domain.datasets.versions import DatasetRun, DatasetVersion, Delivery, DeliveryStatus, LineageEdge


class DatasetRepository(Protocol):
    def add_run(self, run: DatasetRun) -> None: ...

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
        """Record how a run ended; an unknown run raises ``NotFound``."""
        ...

    def get_run(self, run_id: str) -> DatasetRun | None:
        """The run; a malformed id is simply not found."""
        ...

    def list_runs(self, *, pipeline: str | None = None, limit: int = 50) -> Sequence[DatasetRun]:
        """Newest first."""
        ...

    def expect_parts(self, run_id: str, total: int) -> None:
        """Record that the run waits for ``total`` partition jobs; an unknown run raises ``NotFound``."""
        ...

    def part_done(self, run_id: str) -> tuple[int, int]:
        """Count one finished partition; returns (finished, expected). Concurrent callers each see
        their own count (the increment and the read are one statement), so exactly one sees the last."""
        ...

    def run_counts(self) -> dict[tuple[str, str], int]:
        """Runs per (pipeline, status), for the Prometheus gauges."""
        ...

    def add_version(self, version: DatasetVersion, lineage: Sequence[LineageEdge]) -> None:
        """Insert the version and its lineage edges; a taken ``(dataset, number)`` or
        ``(dataset, content_sha256)`` raises ``Conflict``."""
        ...

    def next_number(self, dataset: str) -> int:
        """1 for a new dataset, else one more than its highest version number."""
        ...

    def version(self, dataset: str, number: int) -> DatasetVersion | None: ...

    def version_by_id(self, version_id: str) -> DatasetVersion | None: ...

    def version_by_content(self, dataset: str, content_sha256: str) -> DatasetVersion | None:
        """The version of this dataset with exactly this content, if one was made before."""
        ...

    def versions(self, dataset: str) -> Sequence[DatasetVersion]:
        """Every version of the dataset, newest (highest number) first."""
        ...

    def datasets(self) -> Sequence[tuple[str, int, datetime]]:
        """(dataset, highest version number, when that version was made) for every dataset, by name."""
        ...

    def lineage_of(self, version_id: str) -> Sequence[LineageEdge]:
        """What made the version: its input edges, in the order they were added."""
        ...

    def uses_of(self, input_ref: str) -> Sequence[LineageEdge]:
        """Where an input went: every edge whose ``input_ref`` is this source address or dataset name,
        oldest version first."""
        ...

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
        """Point ``consumer`` at the version (insert or replace its one row per ``(consumer, dataset)``);
        ``attempts`` counts up while the same version keeps being tried and restarts at 1 for another."""
        ...

    def delivery(self, consumer: str, dataset: str) -> Delivery | None: ...

    def deliveries(self, *, dataset: str | None = None) -> Sequence[Delivery]:
        """Every consumer pointer, by dataset then consumer."""
        ...
