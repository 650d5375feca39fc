"""Bodies of ``/api/v1/admin/eval``: kept evaluation runs and the comparison of two."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, Field

from luna.domain.evaluation_runs import EvalRun, QuestionChange, RunComparison


class EvalRunOut(BaseModel):
    run_id: str
    name: str
    split: str = Field(description="`test` (report), `tune` (adjust) or `all`")
    created_at: str
    setup: dict[str, Any] = Field(description="What was measured: models, fusion, thresholds")
    figures: dict[str, float] = Field(
        description="hit_at_1, hit_at_5, mrr_at_10, answer_holds_needle, first_citation_hit, refusal_rate, "
        "false_refusal_rate, false_number_warnings, answer_ms_p50/p95, search_ms_p50, question counts"
    )
    outcomes: list[dict[str, Any]] | None = Field(None, description="Per question; only when one run is read")

    @classmethod
    def from_run(cls, run: EvalRun, *, with_outcomes: bool) -> EvalRunOut:
        return cls(
            run_id=run.run_id,
            name=run.name,
            split=run.split,
            created_at=run.created_at,
            setup=run.setup,
            figures={key: float(value) for key, value in asdict(run.figures).items()},
            outcomes=[asdict(outcome) for outcome in run.outcomes] if with_outcomes else None,
        )


class EvalRunList(BaseModel):
    runs: list[EvalRunOut]


class QuestionChangeOut(BaseModel):
    question_id: str
    changes: list[str]

    @classmethod
    def from_change(cls, change: QuestionChange) -> QuestionChangeOut:
        return cls(question_id=change.question_id, changes=list(change.changes))


class ComparisonOut(BaseModel):
    before: str
    after: str
    better: list[QuestionChangeOut]
    worse: list[QuestionChangeOut]
    only_before: list[str] = Field(description="Questions of the earlier run only (not compared)")
    only_after: list[str] = Field(description="Questions of the later run only (not compared)")

    @classmethod
    def from_comparison(cls, comparison: RunComparison) -> ComparisonOut:
        return cls(
            before=comparison.before,
            after=comparison.after,
            better=[QuestionChangeOut.from_change(c) for c in comparison.better],
            worse=[QuestionChangeOut.from_change(c) for c in comparison.worse],
            only_before=comparison.only_before,
            only_after=comparison.only_after,
        )
