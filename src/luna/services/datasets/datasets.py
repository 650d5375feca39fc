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
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl

from luna.domain.datasets.pipeline import Pipeline
from luna.domain.datasets.quality import assess, gate_failures
from luna.domain.datasets.schedule import run_due
from luna.domain.datasets.versions import DatasetRun, DatasetVersion, Delivery, DeliveryStatus, LineageEdge
from luna.domain.errors import Conflict, InvalidInput, NotFound, TooLarge, field_problem
from luna.domain.jobs import JobStatus
from luna.ports.embeddings import Embedder
from luna.ports.fetch import Fetcher
from luna.ports.sql import Database
from luna.services.datasets.cleaning import clean
from luna.services.datasets.consumers import Targets, deliver
from luna.services.datasets.lineage_export import LineageExport
from luna.services.datasets.normalise import ROW
from luna.services.datasets.pipeline_files import PipelineFile, find_pipeline, pipeline_files
from luna.services.datasets.reads import MEDIA_TYPES as MEDIA_TYPES
from luna.services.datasets.reads import DatasetGauges as DatasetGauges
from luna.services.datasets.reads import DatasetReads
from luna.services.datasets.sources import SourceAccess, SourceRead, partitions, read_source
from luna.services.datasets.version_files import group_shares, parquet_bytes, read_parts, write_part
from luna.services.operations.jobs import JobService
from luna.services.operations.system import git_sha
from luna.settings import DatasetSettings, LearningSettings

Progress = Callable[[float, str], None]
#: The job that runs a pipeline (registered in ``luna.workers.datasets``).
DATASETS_JOB = "datasets.run"
#: A partitioned run's jobs: one per partition, then the merge (``luna.workers.datasets``).
PARTITION_JOB, MERGE_JOB = "datasets.partition", "datasets.merge"
#: Dataset jobs looked at to find each pipeline's newest (more pipelines than this share the window).
_SCHEDULE_LOOKBACK = 200


@dataclass(frozen=True, slots=True)
class DatasetServiceSettings:
    pipeline_dirs: tuple[Path, ...]
    base_dir: Path
    max_bytes: int
    max_records: int
    consent_default: bool
    code_version: str
    openlineage_url: str | None = None
    openlineage_namespace: str = "luna"

    @classmethod
    def of(
        cls, section: DatasetSettings, config_dir: Path, data_dir: Path, learning: LearningSettings
    ) -> DatasetServiceSettings:
        """Pipelines from ``<config_dir>/pipelines``, then the operator's folder (``datasets.pipelines_dir``
        or ``<data_dir>/pipelines``, whose files win a name); feedback read with the learning loop's
        consent default; versions stamped with the running commit."""
        folders = (config_dir / "pipelines", section.pipelines_dir or data_dir / "pipelines")
        limit = section.max_file_mb * 2**20
        lineage = (section.openlineage_url, section.openlineage_namespace)
        return cls(
            folders, data_dir, limit, section.max_records, learning.consent_default, git_sha(), *lineage
        )


class DatasetService(DatasetReads):
    def __init__(
        self,
        database: Database,
        targets: Targets,
        fetcher: Fetcher,
        embedder: Callable[[], Embedder],
        settings: DatasetServiceSettings,
    ) -> None:
        """``targets`` hold the blob store (versions live there too), the energy store (a source and a
        consumer) and the webhook sender."""
        self._database = database
        self._targets = replace(targets, golden_dir=settings.base_dir / "eval" / "golden")
        self._blobs = targets.blobs
        self._energy = targets.energy
        self._fetcher = fetcher
        self._embedder = embedder
        self._settings = settings
        self._export = LineageExport(
            targets.webhooks, settings.openlineage_url, settings.openlineage_namespace
        )

    # --- pipelines -------------------------------------------------------------------------------
    def pipelines(self) -> list[PipelineFile]:
        """Every pipeline file by name (a later folder wins a name), loaded or with its error."""
        return pipeline_files(self._settings.pipeline_dirs)

    def pipeline(self, name: str) -> Pipeline:
        """The pipeline file ``name`` loaded; unknown → NotFound, a faulty file → its problems (400)."""
        return find_pipeline(self._settings.pipeline_dirs, name)

    def queue_due(self, jobs: JobService, now: datetime, created_by: str = "schedule") -> list[str]:
        """Queue ``datasets.run`` for every pipeline whose schedule makes a run due; returns their names.

        A faulty pipeline file is skipped (it shows with its error in ``luna datasets pipelines``).
        """
        recent, _ = jobs.list(None, DATASETS_JOB, _SCHEDULE_LOOKBACK, 0)
        queued = []
        for entry in self.pipelines():
            if entry.pipeline is None or entry.pipeline.schedule is None:
                continue
            own = [job for job in recent if job.params.get("pipeline") == entry.name]
            active = any(job.status in (JobStatus.QUEUED, JobStatus.RUNNING) for job in own)
            last = max((job.created_at for job in own if job.created_at is not None), default=None)
            if run_due(entry.pipeline.schedule, now, last, active):
                jobs.submit(DATASETS_JOB, {"pipeline": entry.name}, created_by)
                queued.append(entry.name)
        return queued

    # --- runs ------------------------------------------------------------------------------------
    def run(
        self, name: str, *, job_id: str | None = None, progress: Progress = lambda _f, _m: None
    ) -> DatasetRun:
        pipeline = self.pipeline(name)
        run = DatasetRun(str(uuid.uuid4()), name, "running", _now(), job_id=job_id)
        with self._database.unit_of_work() as uow:
            uow.datasets.add_run(run)
            uow.commit()
        self._export.started(run)
        report: dict[str, Any] = {"sources": [], "steps": []}
        try:
            version = self._produce(pipeline, run, report, progress)
        except Exception as error:
            self._fail(run, report, error)
            raise
        return self._succeed(run, report, version)

    def _succeed(self, run: DatasetRun, report: dict[str, Any], version: DatasetVersion) -> DatasetRun:
        finished = self._finish(run, "succeeded", report, version_id=version.version_id)
        with self._database.unit_of_work(read_only=True) as uow:
            edges = uow.datasets.lineage_of(version.version_id)
        self._export.completed(run, version, edges)
        return finished

    def _fail(self, run: DatasetRun, report: dict[str, Any], error: Exception) -> None:
        reason = f"{type(error).__name__}: {error}"
        self._finish(run, "failed", report, error=reason)
        self._export.failed(run, reason)

    # --- partitioned runs: each file (or whole history source) read by a job of its own --------------
    def start_partitioned(self, name: str, jobs: JobService, *, job_id: str | None = None) -> DatasetRun:
        """Queue one ``datasets.partition`` job per partition; the last to finish queues the merge, so
        workers on several machines share the reading and no job waits for another."""
        pipeline = self.pipeline(name)
        run = DatasetRun(str(uuid.uuid4()), name, "running", _now(), job_id=job_id)
        planned = [
            (i, only)
            for i, source in enumerate(pipeline.sources)
            for only in partitions(source, self._access())
        ]
        with self._database.unit_of_work() as uow:
            uow.datasets.add_run(run)
            uow.datasets.expect_parts(run.run_id, len(planned))
            uow.commit()
        self._export.started(run)
        for part, (source, only) in enumerate(planned):
            params = {"run_id": run.run_id, "part": part, "source": source, "only": only}
            jobs.submit(PARTITION_JOB, params, f"datasets:{run.run_id}")
        if not planned:
            jobs.submit(MERGE_JOB, {"run_id": run.run_id}, f"datasets:{run.run_id}")
        return run

    def run_partition(self, run_id: str, part: int, source: int, only: str | None, jobs: JobService) -> int:
        """Read one partition into ``datasets/<name>/runs/<run>/``; the last one queues the merge.
        A failing partition fails the run (the others' files are removed with it)."""
        run = self.get_run(run_id)
        if run.status != "running":
            return 0
        pipeline = self.pipeline(run.pipeline)
        try:
            read = read_source(pipeline.sources[source], pipeline, self._access(), only)
        except Exception as error:
            self._fail(run, {"failed_partition": part}, error)
            self._blobs.delete_prefix(_parts_prefix(run))
            raise
        write_part(self._blobs, _parts_prefix(run), part, read)
        if self.get_run(run_id).status != "running":  # another partition failed meanwhile
            self._blobs.delete_prefix(_parts_prefix(run))
            return 0
        with self._database.unit_of_work() as uow:
            done, total = uow.datasets.part_done(run_id)
            uow.commit()
        if done == total:
            jobs.submit(MERGE_JOB, {"run_id": run_id}, f"datasets:{run_id}")
        return read.frame.height

    def merge(self, run_id: str, *, progress: Progress = lambda _f, _m: None) -> DatasetRun:
        """Put the partitions together and go on as a one-job run would (clean, assess, store, hand over)."""
        run = self.get_run(run_id)
        if run.status != "running":
            raise InvalidInput(f"run {run_id} is {run.status}; only a running partitioned run can be merged")
        pipeline, prefix = self.pipeline(run.pipeline), _parts_prefix(run)
        report: dict[str, Any] = {"partitions": 0}
        try:
            reads = read_parts(self._blobs, prefix)
            report["partitions"] = len(reads)
            version = self._from_reads(pipeline, run, reads, report, progress)
        except Exception as error:
            self._fail(run, report, error)
            raise
        finally:
            self._blobs.delete_prefix(prefix)
        return self._succeed(run, report, version)

    def _produce(
        self, pipeline: Pipeline, run: DatasetRun, report: dict[str, Any], progress: Progress
    ) -> DatasetVersion:
        reads = []
        for index, source in enumerate(pipeline.sources):
            progress(0.05 + 0.35 * index / len(pipeline.sources), f"Quelle {source.name} wird gelesen")
            reads.append(read_source(source, pipeline, self._access()))
        return self._from_reads(pipeline, run, reads, report, progress)

    def _from_reads(
        self,
        pipeline: Pipeline,
        run: DatasetRun,
        reads: Sequence[SourceRead],
        report: dict[str, Any],
        progress: Progress,
    ) -> DatasetVersion:
        """Everything after reading: clean, assess, store the version, hand it over."""
        report["sources"] = [{"name": r.name, "address": r.address, "records": r.frame.height} for r in reads]
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
            group_shares(cleaned.frame, pipeline),
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
        data = parquet_bytes(frame, pipeline)
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
                detail = deliver(consumer, version, frame, self._targets)
                status: DeliveryStatus = "delivered"
                error = None
            except Exception as failure:  # a consumer's failure is recorded, the others still get the version
                detail, status, error = {}, "failed", f"{type(failure).__name__}: {failure}"
            with self._database.unit_of_work() as uow:
                delivery = uow.datasets.put_delivery(
                    consumer=consumer.name,
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
            raise NotFound(f"Dataset {name!r} has no version that passed its gates.")
        if not version.gates_passed:
            raise Conflict(
                f"version {version.number} of {name!r} failed its gates: {'; '.join(version.gate_texts)}"
            )
        return self._deliver(pipeline, version, self.frame(version))

    def rollback(self, name: str, consumer: str, number: int) -> Delivery:
        """Point ``consumer`` back at an earlier version of ``name`` (and hand that version over again)."""
        pipeline = self.pipeline(name)
        version = self.version(name, number)
        matching = [c for c in pipeline.consumers if c.name == consumer]
        if not matching:
            names = ", ".join(c.name for c in pipeline.consumers) or "none"
            message = f"Pipeline {name!r} has no consumer {consumer[:80]!r}; its consumers: {names}."
            raise InvalidInput(message, details=field_problem("consumer", message))
        if not version.gates_passed:
            raise Conflict(f"version {number} of {name!r} failed its gates and is never distributed")
        detail = deliver(matching[0], version, self.frame(version), self._targets)
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


def _parts_prefix(run: DatasetRun) -> str:
    return f"datasets/{run.pipeline}/runs/{run.run_id}/part-"


def _now() -> datetime:
    return datetime.now(UTC)
