"""Bodies of ``/api/v1/admin/datasets``: pipeline files, runs, versions with quality and lineage,
where a source went, and which version each consumer uses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from luna.domain.datasets.pipeline import NAME_PATTERN
from luna.domain.datasets.versions import (
    DatasetRun,
    DatasetVersion,
    Delivery,
    DeliveryStatus,
    InputKind,
    LineageEdge,
    RunStatus,
)
from luna.domain.storable import MAX_VERSION
from luna.services.datasets.pipeline_files import PipelineFile


def _utc(moment: datetime) -> datetime:
    """Timestamps leave the API in UTC; a naive one from the store already is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class SourceOut(BaseModel):
    name: str
    kind: str = Field(description="`file` (path, blob prefix or URL) or `luna` (Luna's own history)")


class PipelineOut(BaseModel):
    name: str
    path: str = Field(description="The pipeline file on the server")
    error: str | None = Field(description="Why the file cannot be loaded (each problem by line); else null")
    description: str | None = None
    record: str | None = Field(None, description="`meter_reading`, `price` or `qa_pair`")
    schedule: str | None = Field(None, description="`hourly`, `daily HH:MM` (UTC) or null (on request)")
    sources: list[SourceOut] = Field(default_factory=list)
    steps: list[dict[str, Any]] = Field(default_factory=list, description="The steps with their parameters")
    gates: dict[str, Any] | None = None
    consumers: list[dict[str, Any]] = Field(default_factory=list)

    @classmethod
    def from_file(cls, file: PipelineFile) -> PipelineOut:
        pipeline = file.pipeline
        if pipeline is None:
            return cls(name=file.name, path=str(file.path), error=file.error)
        return cls(
            name=file.name,
            path=str(file.path),
            error=None,
            description=pipeline.description,
            record=pipeline.record,
            schedule=pipeline.schedule,
            sources=[SourceOut(name=source.name, kind=source.kind) for source in pipeline.sources],
            steps=[step.model_dump(mode="json") for step in pipeline.steps],
            gates=pipeline.gates.model_dump(mode="json"),
            consumers=[consumer.model_dump(mode="json") for consumer in pipeline.consumers],
        )


class PipelineList(BaseModel):
    pipelines: list[PipelineOut]


class DatasetRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pipeline: str = Field(
        pattern=NAME_PATTERN, description="A pipeline file's name (`/admin/datasets/pipelines`)"
    )


class DatasetRunOut(BaseModel):
    run_id: str
    pipeline: str
    status: RunStatus
    started_at: datetime = Field(description="ISO-8601, UTC")
    finished_at: datetime | None
    job_id: str | None
    error: str | None
    version_id: str | None = Field(description="The version the run made (or found unchanged)")
    report: dict[str, Any] = Field(description="Sources read, each step's counts and examples, quality")

    @classmethod
    def from_run(cls, run: DatasetRun) -> DatasetRunOut:
        return cls(
            run_id=run.run_id,
            pipeline=run.pipeline,
            status=run.status,
            started_at=_utc(run.started_at),
            finished_at=None if run.finished_at is None else _utc(run.finished_at),
            job_id=run.job_id,
            error=run.error,
            version_id=run.version_id,
            report=run.report,
        )


class DatasetRunList(BaseModel):
    runs: list[DatasetRunOut]


class DatasetOut(BaseModel):
    name: str
    newest_version: int
    newest_at: datetime = Field(description="When the newest version was made, ISO-8601, UTC")


class DatasetList(BaseModel):
    datasets: list[DatasetOut]


class LineageEdgeOut(BaseModel):
    input_kind: InputKind
    input_ref: str = Field(
        description="A source's address (`file:…`, `blob:…`, `url:…`, `luna:…`) or a dataset"
    )
    input_version: str = Field(description="SHA-256 of what was read, or the input version's id")
    records: int

    @classmethod
    def from_edge(cls, edge: LineageEdge) -> LineageEdgeOut:
        return cls(
            input_kind=edge.input_kind,
            input_ref=edge.input_ref,
            input_version=edge.input_version,
            records=edge.records,
        )


class GateFailureOut(BaseModel):
    gate: str | None = Field(
        description="The gate's key: `completeness`, `confidence`, `quality`, `min_records`, "
        "`max_age_days` or `max_drift` (null for a stored failure that names none)"
    )
    message: str = Field(description="Why, in German, as the dashboard shows it (`Konfidenz 0 % unter 30 %`)")


class DatasetVersionOut(BaseModel):
    version_id: str
    dataset: str
    number: int
    content_sha256: str = Field(description="SHA-256 of the Parquet bytes")
    run_id: str
    record_type: str
    records: int
    created_at: datetime = Field(description="ISO-8601, UTC")
    code_version: str
    quality: dict[str, Any] = Field(description="Completeness, validity, …, score and confidence")
    steps: list[dict[str, Any]]
    gate_failures: list[str] = Field(
        description="Why the version failed its gates, in German as the dashboard shows it; empty when it "
        "may be distributed"
    )
    failed_gates: list[GateFailureOut] = Field(description="The same, each with its gate's key")
    gates_passed: bool
    lineage: list[LineageEdgeOut] | None = Field(
        None, description="The inputs; only when one version is read"
    )

    @classmethod
    def from_version(
        cls, version: DatasetVersion, lineage: list[LineageEdge] | None = None
    ) -> DatasetVersionOut:
        return cls(
            version_id=version.version_id,
            dataset=version.dataset,
            number=version.number,
            content_sha256=version.content_sha256,
            run_id=version.run_id,
            record_type=version.record_type,
            records=version.records,
            created_at=_utc(version.created_at),
            code_version=version.code_version,
            quality=version.quality,
            steps=version.steps,
            gate_failures=version.gate_texts,
            failed_gates=[GateFailureOut(gate=f.gate, message=f.message) for f in version.failed_gates],
            gates_passed=version.gates_passed,
            lineage=None if lineage is None else [LineageEdgeOut.from_edge(edge) for edge in lineage],
        )


class DatasetVersionList(BaseModel):
    versions: list[DatasetVersionOut]


class LineageUseOut(BaseModel):
    input_ref: str
    input_version: str
    records: int
    version_id: str
    dataset: str | None = Field(description="The dataset made from the input (null if the version is gone)")
    number: int | None
    created_at: datetime | None

    @classmethod
    def from_use(cls, edge: LineageEdge, version: DatasetVersion | None) -> LineageUseOut:
        return cls(
            input_ref=edge.input_ref,
            input_version=edge.input_version,
            records=edge.records,
            version_id=edge.version_id,
            dataset=None if version is None else version.dataset,
            number=None if version is None else version.number,
            created_at=None if version is None else _utc(version.created_at),
        )


class LineageUsesOut(BaseModel):
    input: str
    uses: list[LineageUseOut]


class DeliveryOut(BaseModel):
    consumer: str
    dataset: str
    version_id: str
    status: DeliveryStatus
    attempts: int
    updated_at: datetime = Field(description="ISO-8601, UTC")
    error: str | None
    detail: dict[str, Any] = Field(description="What the consumer made of it (rows written, files, splits)")

    @classmethod
    def from_delivery(cls, delivery: Delivery) -> DeliveryOut:
        return cls(
            consumer=delivery.consumer,
            dataset=delivery.dataset,
            version_id=delivery.version_id,
            status=delivery.status,
            attempts=delivery.attempts,
            updated_at=_utc(delivery.updated_at),
            error=delivery.error,
            detail=delivery.detail,
        )


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]


class DeliverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(
        None,
        ge=1,
        le=MAX_VERSION,
        strict=True,
        description="The version to hand over; null: the newest that passed its gates",
    )


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consumer: str = Field(
        min_length=1,
        max_length=2_010,  # "webhook:" and a webhook's URL of up to 2,000 characters
        description="A consumer of the pipeline by its name: `energy`, `finetune`, `eval`, `knowledge`, "
        "`recommender` or `webhook:<url>` (as `/admin/datasets/deliveries` lists them)",
    )
    version: int = Field(
        ge=1, le=MAX_VERSION, strict=True, description="The earlier version the consumer goes back to"
    )
