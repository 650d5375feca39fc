"""A pipeline file: sources → steps → quality gates → consumers, with a schedule.

Pipelines live in ``config/pipelines/*.yaml`` (the packaged ones) and in the data directory's
``pipelines/`` folder (an operator's own). They are loaded completely at start of a run and refused
with every problem named by line (:func:`luna.domain.config_file.load_config_file`), so a typo never
half-runs a pipeline.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from luna.domain.config_file import register_union_tags
from luna.domain.datasets.records import SCHEMAS, UNIT_FACTORS, RecordType

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileSource(_Strict):
    """CSV, JSON Lines, JSON, Parquet or Excel from a path (glob), a blob prefix or a URL (SSRF-guarded
    fetch)."""

    kind: Literal["file"]
    name: str = Field(pattern=NAME_PATTERN)
    path: str | None = None
    blob: str | None = None
    url: str | None = None
    #: ``golden``: the evaluation core's golden-set YAML (question, file, needles) as Q/A pairs.
    format: Literal["auto", "csv", "jsonl", "json", "parquet", "xlsx", "golden"] = "auto"
    #: The worksheet of an Excel workbook (the first when not named).
    sheet: str | None = Field(default=None, max_length=100)
    #: Canonical column ← source column; unnamed canonical columns are looked up by their own name.
    columns: dict[str, str] = Field(default_factory=dict)
    #: Unit of a numeric source column (``W``, ``ct/kWh`` …), converted into the canonical unit.
    units: dict[str, str] = Field(default_factory=dict)
    #: Zone of timestamps written without an offset.
    timezone: str = "Europe/Berlin"
    #: Values for canonical columns the source lacks (``market: EPEX``).
    constants: dict[str, str | float] = Field(default_factory=dict)
    #: An absent path or empty prefix is 0 records, not an error (drop folders are often empty).
    optional: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        """Checked when the file loads: a run failed on it with Polars' advice to switch the check off."""
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r} (e.g. Europe/Berlin, UTC)") from None
        return zone

    @model_validator(mode="after")
    def _one_location(self) -> FileSource:
        given = [name for name in ("path", "blob", "url") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("name exactly one of path, blob or url")
        for column, unit in self.units.items():
            factors = UNIT_FACTORS.get(column)
            if factors is None or unit.lower() not in factors:
                known = ", ".join(sorted(UNIT_FACTORS)) if factors is None else ", ".join(sorted(factors))
                raise ValueError(f"units.{column}: {unit!r} is not known here (known: {known})")
        return self


class LunaSource(_Strict):
    """Luna's own history: rated answers, the flywheel's conversation sessions and interaction events
    (all only of users who consented; texts stored redacted, sessions pseudonymised), readings, prices."""

    kind: Literal["luna"]
    name: str = Field(pattern=NAME_PATTERN)
    table: Literal["feedback", "sessions", "events", "readings", "prices"]
    #: Only history of the last days (readings, prices, feedback); None reads all.
    days: int | None = Field(default=None, ge=1, le=3650)


class SyntheticSource(_Strict):
    """Records from Luna's simulators (meters with their typical faults, day-ahead prices) or templated
    questions about the knowledge base's passages (``questions``: Q/A pairs with the passage)."""

    kind: Literal["synthetic"]
    name: str = Field(pattern=NAME_PATTERN)
    generator: Literal["meter_readings", "prices", "questions"]
    #: The last whole UTC days.
    days: int = Field(default=1, ge=1, le=366)
    meters: int = Field(default=5, ge=1, le=1000)
    seed: int = Field(default=42, ge=0, lt=2**63)
    #: ``questions``: at most this many pairs.
    limit: int = Field(default=1000, ge=1, le=100_000)


Source = Annotated[FileSource | LunaSource | SyntheticSource, Field(discriminator="kind")]


class NormaliseStep(_Strict):
    """Units, decimal commas, time zones, whitespace and Unicode forms (always first; may be implied)."""

    step: Literal["normalise"]


class ValidateStep(_Strict):
    """The record type's schema rules (required fields, types, plausible ranges); invalid rows are
    flagged, and dropped when ``drop``."""

    step: Literal["validate"]
    drop: bool = True


class DedupStep(_Strict):
    step: Literal["dedup"]
    mode: Literal["strict", "fuzzy", "semantic"]
    #: Jaccard similarity of word shingles (fuzzy, default 0.8) or cosine similarity of e5 embeddings
    #: (semantic, default 0.97) from which two records are duplicates. Unrelated German questions
    #: already reach a median cosine of 0.84 with multilingual-e5-small; 0.97 was chosen on a tune half
    #: of XQuAD de and scores F1 0.964 on the held-out half (bench/datasets_cleaning.py).
    threshold: float | None = Field(default=None, gt=0, le=1)
    drop: bool = True

    @property
    def limit(self) -> float:
        if self.threshold is not None:
            return self.threshold
        return 0.97 if self.mode == "semantic" else 0.8


class OutlierStep(_Strict):
    step: Literal["outliers"]
    method: Literal["zscore", "iqr", "isolation_forest"]
    column: str
    #: z-score limit, IQR multiple, or the isolation forest's contamination share.
    threshold: float | None = Field(default=None, gt=0)
    #: Compute per group of this column (each meter its own distribution); None for the whole column.
    by: str | None = None
    drop: bool = False

    @model_validator(mode="after")
    def _forest_share(self) -> OutlierStep:
        """An isolation forest's threshold is the share of outliers, at most half (5 was taken as 0.5)."""
        if self.method == "isolation_forest" and self.threshold is not None and self.threshold > 0.5:
            raise ValueError(
                f"threshold is isolation_forest's share of outliers: at most 0.5, got {self.threshold:g}"
            )
        return self


class PiiStep(_Strict):
    """Personal data in text columns: redacted in place (``redact``) or the record dropped."""

    step: Literal["pii"]
    action: Literal["redact", "drop"] = "redact"


Step = Annotated[
    NormaliseStep | ValidateStep | DedupStep | OutlierStep | PiiStep, Field(discriminator="step")
]


class Gates(_Strict):
    """Shares in 0–1 a version must reach to be distributed (seed 002: completeness ≥ 80 %,
    confidence ≥ 70 %)."""

    completeness: float = Field(default=0.8, ge=0, le=1)
    confidence: float = Field(default=0.7, ge=0, le=1)
    quality: float = Field(default=0.0, ge=0, le=1)
    min_records: int = Field(default=1, ge=0)
    #: The newest record may be at most this old; also makes timeliness part of the quality score.
    max_age_days: float | None = Field(default=None, gt=0)
    #: Largest distribution drift (total variation distance of a named group) from the previous version.
    max_drift: float | None = Field(default=None, gt=0, le=1)


class EnergyConsumer(_Strict):
    """Clean readings or prices written into the energy store (insert-if-absent on the seed's keys)."""

    kind: Literal["energy"]

    @property
    def name(self) -> str:
        """How deliveries, rollback and the API name this consumer (unique within a pipeline)."""
        return self.kind


class FinetuneConsumer(_Strict):
    """Chat-format SFT JSON Lines split train/val/test by a recorded seed, for LoRA fine-tuning."""

    kind: Literal["finetune"]

    @property
    def name(self) -> str:
        return self.kind

    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    seed: int = Field(default=42, ge=0)

    @field_validator("split")
    @classmethod
    def _shares(cls, split: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(share < 0 for share in split) or abs(sum(split) - 1.0) > 1e-6:
            raise ValueError("train, val and test shares must be non-negative and add up to 1")
        return split


class EvalConsumer(_Strict):
    """Helpful answers with their cited passage as a golden set for ``luna eval run``."""

    kind: Literal["eval"]

    @property
    def name(self) -> str:
        return self.kind


class KnowledgeConsumer(_Strict):
    """Q/A pairs as one FAQ document in the knowledge base (a new version of it per dataset version)."""

    kind: Literal["knowledge"]
    title: str | None = Field(default=None, max_length=200)

    @property
    def name(self) -> str:
        return self.kind


class RecommenderConsumer(_Strict):
    """Interaction events (``event`` records) seeded into the learning loop: popularity and the cold
    start work from the first day. Seeded events carry ``meta.seeded_from`` and can be told apart."""

    kind: Literal["recommender"]

    @property
    def name(self) -> str:
        return self.kind


class WebhookConsumer(_Strict):
    """A subscriber told (POST, JSON) when a version is promoted, with the addresses to pull it from;
    three attempts with growing pauses, then the delivery is marked failed and can be re-run."""

    kind: Literal["webhook"]
    url: str = Field(pattern=r"^https?://[^\s]+$", max_length=2000)

    @property
    def name(self) -> str:
        return f"webhook:{self.url}"


Consumer = Annotated[
    EnergyConsumer
    | EvalConsumer
    | FinetuneConsumer
    | KnowledgeConsumer
    | RecommenderConsumer
    | WebhookConsumer,
    Field(discriminator="kind"),
]

register_union_tags(
    "file",
    "luna",
    "normalise",
    "validate",
    "dedup",
    "outliers",
    "pii",
    "energy",
    "finetune",
    "knowledge",
    "webhook",
)

_SCHEDULE = re.compile(r"^(hourly|daily (?:[01]\d|2[0-3]):[0-5]\d)$")


class Pipeline(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    record: RecordType
    #: ``hourly`` or ``daily HH:MM`` (UTC); None runs only when asked.
    schedule: str | None = None
    #: Run as a job: each file of a file source (and each other source) is read by a job of its own,
    #: so workers on several machines share a large run; the last one queues the merge.
    partitioned: bool = False
    sources: list[Source] = Field(min_length=1, max_length=50)
    steps: list[Step] = Field(default_factory=list, max_length=50)
    gates: Gates = Field(default_factory=Gates)
    consumers: list[Consumer] = Field(default_factory=list, max_length=20)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, schedule: str | None) -> str | None:
        if schedule is not None and not _SCHEDULE.match(schedule):
            raise ValueError("schedule is 'hourly' or 'daily HH:MM' (UTC)")
        return schedule

    @model_validator(mode="after")
    def _fits_the_record_type(self) -> Pipeline:
        schema = SCHEMAS[self.record]
        names = [source.name for source in self.sources]
        if len(set(names)) != len(names):
            raise ValueError("source names must be unique within a pipeline")
        wanted = {"meter_readings": "meter_reading", "prices": "price", "questions": "qa_pair"}
        for source in self.sources:
            if isinstance(source, SyntheticSource) and wanted[source.generator] != self.record:
                raise ValueError(f"generator {source.generator!r} makes {wanted[source.generator]} records")
        for step in self.steps:
            if isinstance(step, OutlierStep):
                if step.column not in schema.numeric:
                    raise ValueError(
                        f"outliers.column {step.column!r} is not a number column of {self.record}"
                    )
                if step.by is not None and step.by not in schema.columns:
                    raise ValueError(f"outliers.by {step.by!r} is not a column of {self.record}")
            if isinstance(step, DedupStep) and step.mode != "strict" and not schema.text:
                raise ValueError(f"dedup mode {step.mode!r} compares texts; {self.record} has none")
        consumers = [consumer.name for consumer in self.consumers]
        if len(set(consumers)) != len(consumers):
            raise ValueError("a consumer is named twice (a webhook URL, energy or finetune once each)")
        for consumer in self.consumers:
            wrong_events = isinstance(consumer, RecommenderConsumer) != (self.record == "event")
            wrong_energy = isinstance(consumer, EnergyConsumer) and self.record in ("qa_pair", "event")
            wrong_text = (
                isinstance(consumer, EvalConsumer | FinetuneConsumer | KnowledgeConsumer)
                and self.record != "qa_pair"
            )
            if wrong_energy or wrong_text or (wrong_events and not isinstance(consumer, WebhookConsumer)):
                raise ValueError(f"consumer {consumer.kind!r} does not take {self.record} records")
        return self
