"""The datasets orchestrator: run a pipeline file into an immutable, content-addressed version, gate it,
hand it to its consumers; list, export, trace and roll back versions.

One run: read every source (progress per source) → clean (progress per step) → quality and gates →
Parquet into the blob store and the version with its lineage into SQL (one transaction) → when the gates
pass, each consumer gets the version (a failure is recorded on that consumer and can be re-run with
:meth:`DatasetService.deliver`). A failing step fails the run with its reason and leaves every earlier
version and every consumer's pointer as it was.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl

from luna.domain.config_file import load_config_file
from luna.domain.datasets.pipeline import Pipeline
from luna.domain.datasets.quality import assess, gate_failures
from luna.domain.datasets.records import SCHEMAS
from luna.domain.datasets.versions import DatasetRun, DatasetVersion, Delivery, DeliveryStatus, LineageEdge
from luna.domain.errors import InvalidInput, NotFound, TooLarge
from luna.ports.blobs import BlobStore
from luna.ports.embeddings import Embedder
from luna.ports.energy import EnergyStore
from luna.ports.fetch import Fetcher
from luna.ports.sql import Database
from luna.services.datasets.cleaning import QUALITY, clean
from luna.services.datasets.consumers import deliver
from luna.services.datasets.normalise import FLAGS, ROW, SOURCE
from luna.services.datasets.sources import SourceAccess, read_source
from luna.services.operations.system import git_sha
from luna.settings import DatasetSettings

ExportFormat = Literal["parquet", "jsonl", "csv"]
MEDIA_TYPES: dict[ExportFormat, str] = {
    "parquet": "application/vnd.apache.parquet",
    "jsonl": "application/jsonl",
    "csv": "text/csv; charset=utf-8",
}
Progress = Callable[[float, str], None]


@dataclass(frozen=True, slots=True)
class DatasetServiceSettings:
    pipeline_dirs: tuple[Path, ...]
    base_dir: Path
    max_bytes: int
    max_records: int
    consent_default: bool
    code_version: str

    @classmethod
    def of(
        cls, section: DatasetSettings, folders: tuple[Path, ...], data_dir: Path
    ) -> DatasetServiceSettings:
        return cls(folders, data_dir, section.max_file_mb * 2**20, section.max_records, True, "unknown")

    def with_origin(self, consent_default: bool) -> DatasetServiceSettings:
        """The learning loop's consent default (whose feedback may be read) and the running commit."""
        return replace(self, consent_default=consent_default, code_version=git_sha())


@dataclass(frozen=True, slots=True)
class PipelineFile:
    name: str
    path: Path
    pipeline: Pipeline | None
    error: str | None


class DatasetService:
    def __init__(
        self,
        database: Database,
        blobs: BlobStore,
        energy: EnergyStore,
        fetcher: Fetcher,
        embedder: Callable[[], Embedder],
        settings: DatasetServiceSettings,
    ) -> None:
        self._database = database
        self._blobs = blobs
        self._energy = energy
        self._fetcher = fetcher
        self._embedder = embedder
        self._settings = settings

    # --- pipelines -------------------------------------------------------------------------------
    def pipelines(self) -> list[PipelineFile]:
        """Every pipeline file by name (a later folder wins a name), loaded or with its error."""
        files: dict[str, Path] = {}
        for folder in self._settings.pipeline_dirs:
            if folder.is_dir():
                files.update({path.stem: path for path in sorted(folder.glob("*.yaml"))})
        found = []
        for name, path in sorted(files.items()):
            try:
                found.append(PipelineFile(name, path, self._load(path), None))
            except InvalidInput as error:
                found.append(PipelineFile(name, path, None, str(error)))
        return found

    def pipeline(self, name: str) -> Pipeline:
        """The pipeline file ``name`` loaded; unknown → NotFound, a faulty file → its problems (400)."""
        for entry in self.pipelines():
            if entry.name == name:
                if entry.pipeline is None:
                    raise InvalidInput(entry.error or f"pipeline {name!r} cannot be loaded")
                return entry.pipeline
        raise NotFound(
            f"no pipeline named {name!r}; known: {', '.join(p.name for p in self.pipelines()) or 'none'}"
        )

    @staticmethod
    def _load(path: Path) -> Pipeline:
        pipeline = load_config_file(path.read_text(encoding="utf-8"), path.name, Pipeline)
        if pipeline.name != path.stem:
            raise InvalidInput(f"{path.name}, line 1 (name): the name must be the file's name {path.stem!r}")
        return pipeline

    # --- runs ------------------------------------------------------------------------------------
    def run(
        self, name: str, *, job_id: str | None = None, progress: Progress = lambda _f, _m: None
    ) -> DatasetRun:
        pipeline = self.pipeline(name)
        run = DatasetRun(str(uuid.uuid4()), name, "running", _now(), job_id=job_id)
        with self._database.unit_of_work() as uow:
            uow.datasets.add_run(run)
            uow.commit()
        report: dict[str, Any] = {"sources": [], "steps": []}
        try:
            version = self._produce(pipeline, run, report, progress)
        except Exception as error:
            self._finish(run, "failed", report, error=f"{type(error).__name__}: {error}")
            raise
        return self._finish(run, "succeeded", report, version_id=version.version_id)

    def _produce(
        self, pipeline: Pipeline, run: DatasetRun, report: dict[str, Any], progress: Progress
    ) -> DatasetVersion:
        reads = []
        for index, source in enumerate(pipeline.sources):
            progress(0.05 + 0.35 * index / len(pipeline.sources), f"Quelle {source.name} wird gelesen")
            read = read_source(source, pipeline, self._access())
            reads.append(read)
            report["sources"].append(
                {"name": read.name, "address": read.address, "records": read.frame.height}
            )
        frame = pl.concat([r.frame for r in reads], how="vertical_relaxed") if reads else pl.DataFrame()
        if frame.height > self._settings.max_records:
            raise TooLarge(
                f"the sources hold {frame.height} records; at most {self._settings.max_records} per run"
            )
        frame = frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW))
        steps = len(pipeline.steps) + 1
        done = iter(range(steps + 1))
        cleaned = clean(
            frame,
            pipeline,
            embed=lambda texts: self._embedder().embed_passages(list(texts)),
            progress=lambda step: progress(0.4 + 0.4 * next(done) / steps, f"Schritt {step}"),
        )
        report["steps"] = [step.as_dict() for step in cleaned.steps]
        progress(0.85, "Qualität wird bewertet")
        previous = self._latest(pipeline.name)
        quality = assess(
            cleaned.counts,
            pipeline.gates,
            _groups(cleaned.frame, pipeline),
            previous.quality.get("groups") if previous else None,
        )
        failures = gate_failures(quality, pipeline.gates)
        version = self._store(pipeline, run, cleaned.frame, quality.as_dict(), failures, reads)
        report["quality"] = quality.as_dict()
        report["gate_failures"] = list(failures)
        if not failures:
            progress(0.92, "Verteilung an die Abnehmer")
            report["deliveries"] = [d.status for d in self._deliver(pipeline, version, cleaned.frame)]
        progress(1.0, "fertig")
        return version

    def _access(self) -> SourceAccess:
        s = self._settings
        return SourceAccess(
            self._database,
            self._blobs,
            self._energy,
            self._fetcher,
            s.base_dir,
            s.max_bytes,
            s.consent_default,
        )

    def _store(
        self,
        pipeline: Pipeline,
        run: DatasetRun,
        frame: pl.DataFrame,
        quality: dict[str, Any],
        failures: tuple[str, ...],
        reads: Sequence[Any],
    ) -> DatasetVersion:
        data = _parquet(frame, pipeline)
        sha = hashlib.sha256(data).hexdigest()
        with self._database.unit_of_work() as uow:
            existing = uow.datasets.version_by_content(pipeline.name, sha)
            if existing is not None:
                return existing
            number = uow.datasets.next_number(pipeline.name)
            key = f"datasets/{pipeline.name}/v{number}-{sha[:12]}.parquet"
            self._blobs.put(key, data, MEDIA_TYPES["parquet"])
            version = DatasetVersion(
                version_id=str(uuid.uuid4()),
                dataset=pipeline.name,
                number=number,
                content_sha256=sha,
                run_id=run.run_id,
                record_type=pipeline.record,
                blob_key=key,
                records=frame.height,
                created_at=_now(),
                code_version=self._settings.code_version,
                quality=quality,
                steps=[{"step": s.step, **s.model_dump(exclude={"step"})} for s in pipeline.steps],
                gate_failures=failures,
            )
            edges = [
                LineageEdge(version.version_id, "source", r.address, r.sha256, r.frame.height) for r in reads
            ]
            uow.datasets.add_version(version, edges)
            uow.commit()
        return version

    def _finish(
        self,
        run: DatasetRun,
        status: Literal["succeeded", "failed"],
        report: dict[str, Any],
        *,
        error: str | None = None,
        version_id: str | None = None,
    ) -> DatasetRun:
        finished = replace(
            run, status=status, finished_at=_now(), error=error, version_id=version_id, report=report
        )
        with self._database.unit_of_work() as uow:
            uow.datasets.finish_run(
                run.run_id,
                status=status,
                finished_at=finished.finished_at or _now(),
                report=report,
                error=error,
                version_id=version_id,
            )
            uow.commit()
        return finished

    # --- distribution ----------------------------------------------------------------------------
    def _deliver(self, pipeline: Pipeline, version: DatasetVersion, frame: pl.DataFrame) -> list[Delivery]:
        results = []
        for consumer in pipeline.consumers:
            try:
                detail = deliver(consumer, version, frame, energy=self._energy, blobs=self._blobs)
                status: DeliveryStatus = "delivered"
                error = None
            except Exception as failure:  # a consumer's failure is recorded, the others still get the version
                detail, status, error = {}, "failed", f"{type(failure).__name__}: {failure}"
            with self._database.unit_of_work() as uow:
                delivery = uow.datasets.put_delivery(
                    consumer=consumer.kind,
                    dataset=version.dataset,
                    version_id=version.version_id,
                    status=status,
                    at=_now(),
                    error=error,
                    detail=detail,
                )
                uow.commit()
            results.append(delivery)
        return results

    def deliver(self, name: str, number: int | None = None) -> list[Delivery]:
        """Hand a version (the newest that passed its gates unless ``number``) to every consumer again."""
        pipeline = self.pipeline(name)
        version = self.version(name, number) if number is not None else self._latest(name, passed=True)
        if version is None:
            raise NotFound(f"dataset {name!r} has no version that passed its gates")
        if not version.gates_passed:
            raise InvalidInput(
                f"version {version.number} of {name!r} failed its gates: {'; '.join(version.gate_failures)}"
            )
        return self._deliver(pipeline, version, self.frame(version))

    def rollback(self, name: str, consumer: str, number: int) -> Delivery:
        """Point ``consumer`` back at an earlier version of ``name`` (and hand that version over again)."""
        pipeline = self.pipeline(name)
        version = self.version(name, number)
        matching = [c for c in pipeline.consumers if c.kind == consumer]
        if not matching:
            raise InvalidInput(f"pipeline {name!r} has no consumer {consumer!r}")
        if not version.gates_passed:
            raise InvalidInput(f"version {number} of {name!r} failed its gates and is never distributed")
        detail = deliver(matching[0], version, self.frame(version), energy=self._energy, blobs=self._blobs)
        with self._database.unit_of_work() as uow:
            delivery = uow.datasets.put_delivery(
                consumer=consumer,
                dataset=name,
                version_id=version.version_id,
                status="rolled_back",
                at=_now(),
                detail=detail,
            )
            uow.commit()
        return delivery

    # --- reading ---------------------------------------------------------------------------------
    def runs(self, *, pipeline: str | None = None, limit: int = 50) -> list[DatasetRun]:
        with self._database.unit_of_work(read_only=True) as uow:
            return list(uow.datasets.list_runs(pipeline=pipeline, limit=limit))

    def get_run(self, run_id: str) -> DatasetRun:
        with self._database.unit_of_work(read_only=True) as uow:
            run = uow.datasets.get_run(run_id)
        if run is None:
            raise NotFound(f"no dataset run {run_id!r}")
        return run

    def datasets(self) -> list[tuple[str, int, datetime]]:
        with self._database.unit_of_work(read_only=True) as uow:
            return list(uow.datasets.datasets())

    def versions(self, name: str) -> list[DatasetVersion]:
        with self._database.unit_of_work(read_only=True) as uow:
            found = list(uow.datasets.versions(name))
        if not found:
            raise NotFound(f"no dataset named {name!r}")
        return found

    def version(self, name: str, number: int) -> DatasetVersion:
        with self._database.unit_of_work(read_only=True) as uow:
            version = uow.datasets.version(name, number)
        if version is None:
            raise NotFound(f"dataset {name!r} has no version {number}")
        return version

    def _latest(self, name: str, *, passed: bool = False) -> DatasetVersion | None:
        with self._database.unit_of_work(read_only=True) as uow:
            versions = uow.datasets.versions(name)
        return next((v for v in versions if v.gates_passed or not passed), None)

    def frame(self, version: DatasetVersion) -> pl.DataFrame:
        return pl.read_parquet(io.BytesIO(self._blobs.get(version.blob_key)))

    def export(self, name: str, number: int, fmt: ExportFormat) -> bytes:
        """The version's records as Parquet (the stored bytes), JSON Lines or CSV (flags joined by ``|``)."""
        version = self.version(name, number)
        if fmt == "parquet":
            return self._blobs.get(version.blob_key)
        frame = self.frame(version)
        if fmt == "jsonl":
            return frame.write_ndjson().encode("utf-8")
        return frame.with_columns(pl.col(FLAGS).list.join("|")).write_csv().encode("utf-8")

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

    def deliveries(self, name: str | None = None) -> list[Delivery]:
        with self._database.unit_of_work(read_only=True) as uow:
            return list(uow.datasets.deliveries(dataset=name))


def _now() -> datetime:
    return datetime.now(UTC)


def _parquet(frame: pl.DataFrame, pipeline: Pipeline) -> bytes:
    """Stable bytes for the same records (fixed column order, no statistics timestamps), so unchanged
    inputs give the same content hash and the run finds its earlier version."""
    columns = [*SCHEMAS[pipeline.record].columns, SOURCE, FLAGS, QUALITY]
    buffer = io.BytesIO()
    frame.select(columns).write_parquet(buffer, compression="zstd", statistics=False)
    return buffer.getvalue()


def _groups(frame: pl.DataFrame, pipeline: Pipeline) -> dict[str, dict[str, float]]:
    """Share of each value of the record type's group columns (and question length for texts)."""
    groups: dict[str, dict[str, float]] = {}
    if frame.height == 0:
        return groups
    for column in SCHEMAS[pipeline.record].groups:
        if frame[column].null_count() == frame.height:
            continue
        counts = frame[column].fill_null("(leer)").value_counts()
        groups[column] = {str(row[0]): round(row[1] / frame.height, 4) for row in counts.iter_rows()}
    if pipeline.record == "qa_pair":
        lengths = frame["question"].str.len_chars()
        buckets = (
            pl.when(lengths < 40)
            .then(pl.lit("kurz"))
            .when(lengths < 120)
            .then(pl.lit("mittel"))
            .otherwise(pl.lit("lang"))
        )
        counts = frame.select(buckets.alias("b"))["b"].value_counts()
        groups["question_length"] = {
            str(row[0]): round(row[1] / frame.height, 4) for row in counts.iter_rows()
        }
    return groups
