"""The cleaning engine: a pipeline's steps over one canonical frame, with counts and examples per step.

Every step first flags (``_flags`` gets a reason per record) and drops only when the step says so, so
the quality report can show what each step found even where nothing was removed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl

from luna.domain.datasets.pipeline import DedupStep, OutlierStep, PiiStep, Pipeline, Step, ValidateStep
from luna.domain.datasets.quality import QualityCounts
from luna.domain.datasets.records import SCHEMAS, RecordType
from luna.domain.errors import InvalidInput
from luna.domain.privacy import redact
from luna.services.datasets.dedup import Embed, fuzzy_duplicates, semantic_duplicates, strict_duplicates
from luna.services.datasets.normalise import FLAGS, ROW, add_flag
from luna.services.datasets.outliers import outlier_rows
from luna.services.datasets.validate import invalid_rows

QUALITY = "_quality"
#: Examples per step in the report: enough to see what happened, small enough to read.
EXAMPLES = 5
#: Flags that put a kept record in doubt (the confidence figure); dropped records leave with theirs.
_DOUBT_PREFIXES = ("outlier",)


@dataclass(slots=True)
class StepReport:
    step: str
    parameters: dict[str, Any]
    flagged: int = 0
    dropped: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "parameters": self.parameters,
            "flagged": self.flagged,
            "dropped": self.dropped,
            "examples": self.examples,
        }


@dataclass(slots=True)
class Cleaned:
    frame: pl.DataFrame
    steps: list[StepReport]
    counts: QualityCounts


def clean(
    frame: pl.DataFrame,
    pipeline: Pipeline,
    *,
    embed: Embed | None = None,
    progress: Callable[[str], None] = lambda _: None,
    now: datetime | None = None,
) -> Cleaned:
    """Run ``pipeline.steps`` over ``frame`` (canonical columns plus ``_row``, ``_source``, ``_flags``)."""
    record = pipeline.record
    schema = SCHEMAS[record]
    input_records = frame.height
    required_cells = frame.height * len(schema.required)
    present = sum(frame.height - frame[c].null_count() for c in schema.required)
    reports: list[StepReport] = []
    invalid: set[int] = set()
    duplicates: set[int] = set()
    conflicts = 0
    for step in _with_validation(pipeline.steps):
        progress(_step_name(step))
        report = StepReport(_step_name(step), step.model_dump(exclude={"step"}))
        if isinstance(step, ValidateStep):
            frame, found = _validate(frame, record, step, report)
            invalid |= found
        elif isinstance(step, DedupStep):
            frame, found, conflicted = _dedup(frame, record, step, report, embed)
            duplicates |= found
            conflicts += conflicted
        elif isinstance(step, OutlierStep):
            frame = _outliers(frame, step, report)
        elif isinstance(step, PiiStep):
            frame = _pii(frame, record, step, report)
        reports.append(report)
    frame = frame.with_columns(_record_quality(record).alias(QUALITY))
    keys = frame.select(schema.key).n_unique() if frame.height else 0
    counts = QualityCounts(
        input_records=input_records,
        output_records=frame.height,
        required_cells=required_cells,
        present_required_cells=present,
        invalid_records=len(invalid),
        duplicate_records=len(duplicates),
        keys=keys + conflicts,
        conflicting_keys=conflicts,
        doubtful_output_records=_doubtful(frame),
        newest_age_days=_newest_age(frame, record, now or datetime.now(UTC)),
    )
    return Cleaned(frame, reports, counts)


def _with_validation(steps: Sequence[Step]) -> list[Step]:
    """Validation always runs (first, dropping invalid records) unless the pipeline places it itself."""
    if any(isinstance(step, ValidateStep) for step in steps):
        return [step for step in steps if step.step != "normalise"]
    return [ValidateStep(step="validate"), *[step for step in steps if step.step != "normalise"]]


def _step_name(step: Step) -> str:
    if isinstance(step, DedupStep):
        return f"dedup:{step.mode}"
    if isinstance(step, OutlierStep):
        return f"outliers:{step.method}:{step.column}"
    return step.step


def _examples(
    frame: pl.DataFrame, rows: pl.Series | Sequence[int], reason: pl.DataFrame | None = None
) -> list[dict[str, Any]]:
    """The first ``EXAMPLES`` of ``rows`` in the order given (outliers come most extreme first)."""
    wanted = list(rows)[:EXAMPLES] if not isinstance(rows, pl.Series) else rows.head(EXAMPLES).to_list()
    order = pl.DataFrame({ROW: wanted}, schema={ROW: frame.schema[ROW]})
    picked = order.join(frame, on=ROW, how="inner", maintain_order="left")
    if reason is not None:
        picked = picked.join(reason, on=ROW, how="left", maintain_order="left")
    return [_jsonable(row) for row in picked.drop(FLAGS).head(EXAMPLES).to_dicts()]


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in row.items()
        if value is not None
    }


def _validate(
    frame: pl.DataFrame, record: RecordType, step: ValidateStep, report: StepReport
) -> tuple[pl.DataFrame, set[int]]:
    failures = invalid_rows(frame, record)
    reasons = failures.group_by(ROW, maintain_order=True).agg(pl.col("reason").str.join("; "))
    rows = reasons[ROW]
    report.flagged = rows.len()
    report.examples = _examples(frame, rows, reasons)
    frame = frame.join(reasons, on=ROW, how="left")
    frame = add_flag(frame, pl.col("reason").is_not_null(), "invalid").drop("reason")
    if step.drop:
        frame = frame.filter(~pl.col(ROW).is_in(rows.implode()))
        report.dropped = rows.len()
    return frame, set(rows.to_list())


def _dedup(
    frame: pl.DataFrame, record: RecordType, step: DedupStep, report: StepReport, embed: Embed | None
) -> tuple[pl.DataFrame, set[int], int]:
    conflicts = 0
    if step.mode == "strict":
        pairs, conflicting = strict_duplicates(frame, record)
        conflicts = conflicting.height
        frame = add_flag(frame, pl.col(ROW).is_in(conflicting[ROW].implode()), "conflict")
        pairs = pl.concat([pairs, conflicting])
    elif step.mode == "fuzzy":
        pairs = fuzzy_duplicates(frame, record, step.limit)
    else:
        if embed is None:
            raise InvalidInput("dedup mode 'semantic' needs Luna's embedder, which this run was not given")
        pairs = semantic_duplicates(frame, record, step.limit, embed)
    report.flagged = pairs.height
    report.examples = _examples(frame, pairs[ROW], pairs.rename({"of": "duplicate_of"}))
    frame = add_flag(frame, pl.col(ROW).is_in(pairs[ROW].implode()), f"duplicate:{step.mode}")
    if step.drop:
        frame = frame.filter(~pl.col(ROW).is_in(pairs[ROW].implode()))
        report.dropped = pairs.height
    return frame, set(pairs[ROW].to_list()), conflicts


def _outliers(frame: pl.DataFrame, step: OutlierStep, report: StepReport) -> pl.DataFrame:
    rows = outlier_rows(frame, step.column, step.method, step.threshold, step.by)
    report.flagged = rows.len()
    report.examples = _examples(frame, rows)
    frame = add_flag(frame, pl.col(ROW).is_in(rows.implode()), f"outlier:{step.method}:{step.column}")
    if step.drop:
        frame = frame.filter(~pl.col(ROW).is_in(rows.implode()))
        report.dropped = rows.len()
    return frame


def _pii(frame: pl.DataFrame, record: RecordType, step: PiiStep, report: StepReport) -> pl.DataFrame:
    """Personal data in text columns through the same ``redact`` every stored answer and note passes."""
    columns = [c for c in SCHEMAS[record].text if c in frame.columns]
    if not columns or frame.height == 0:
        return frame
    redacted = {c: [None if text is None else redact(text) for text in frame[c].to_list()] for c in columns}
    changed = pl.Series([False] * frame.height)
    for column in columns:
        changed = changed | (frame[column].fill_null("") != pl.Series(redacted[column]).fill_null(""))
    rows = frame.filter(changed)[ROW]
    report.flagged = rows.len()
    if step.action == "drop":
        frame = frame.filter(~changed)
        report.dropped = rows.len()
        return frame
    frame = frame.with_columns(pl.Series(c, redacted[c], dtype=pl.String) for c in columns)
    report.examples = _examples(frame, rows)
    return add_flag(frame, pl.col(ROW).is_in(rows.implode()), "pii:redacted")


def _record_quality(record: RecordType) -> pl.Expr:
    """Per record, 0–100: fields present (required 1, optional 0.25 each), halved when a doubt remains."""
    schema = SCHEMAS[record]
    weights = [(c, 1.0) for c in schema.required] + [(c, 0.25) for c in schema.optional]
    present = pl.sum_horizontal([pl.col(c).is_not_null().cast(pl.Float64) * w for c, w in weights])
    doubt = _doubt_expression()
    return (100.0 * present / sum(w for _, w in weights) * pl.when(doubt).then(0.5).otherwise(1.0)).round(1)


def _doubt_expression() -> pl.Expr:
    return pl.col(FLAGS).list.eval(pl.element().str.starts_with(_DOUBT_PREFIXES[0])).list.any()


def _doubtful(frame: pl.DataFrame) -> int:
    return int(frame.select(_doubt_expression().sum()).item() or 0) if frame.height else 0


def _newest_age(frame: pl.DataFrame, record: RecordType, now: datetime) -> float | None:
    timestamps = SCHEMAS[record].timestamps
    if not timestamps or frame.height == 0:
        return None
    newest = frame[timestamps[0]].max()
    if not isinstance(newest, datetime):
        return None
    return round(max(0.0, (now - newest).total_seconds() / 86_400), 3)
