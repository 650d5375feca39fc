"""``/api/v1/admin/eval``: the evaluation core's kept runs, one run in full, and two runs compared.

A run is started as the job ``eval.run`` (``POST /api/v1/admin/jobs``, see ``workers/evaluation.py``)
or with ``luna eval run``; both keep it in the same table, so these routes show either.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.evaluation import ComparisonOut, EvalRunList, EvalRunOut
from luna.services.evaluation.evaluation import RUN_LIST_LIMIT, EvaluationService

router = APIRouter(prefix="/eval", tags=["evaluation"])
Evaluation = Annotated[EvaluationService, from_services(lambda s: s.evaluation)]
RunId = Annotated[str, Query(min_length=1, max_length=80, description="A run ID from `/admin/eval/runs`")]


@router.get("/runs", summary="Kept evaluation runs with their figures, newest first")
def list_runs(
    evaluation: Evaluation, limit: Annotated[int, Query(ge=1, le=RUN_LIST_LIMIT)] = 50
) -> Envelope[EvalRunList]:
    runs = [EvalRunOut.from_run(run, with_outcomes=False) for run in evaluation.list_runs(limit)]
    return ok(EvalRunList(runs=runs), f"{len(runs)} run(s).")


@router.get(
    "/runs/{run_id}",
    summary="One evaluation run with every question's outcome",
    responses={404: error_response("No run with this ID")},
)
def get_run(evaluation: Evaluation, run_id: str) -> Envelope[EvalRunOut]:
    return ok(EvalRunOut.from_run(evaluation.get_run(run_id), with_outcomes=True))


@router.get(
    "/compare",
    summary="Which questions got better and which worse from one run to another",
    responses={404: error_response("One of the runs does not exist")},
)
def compare(evaluation: Evaluation, before: RunId, after: RunId) -> Envelope[ComparisonOut]:
    comparison = evaluation.compare(before, after)
    message = f"{len(comparison.better)} question(s) better, {len(comparison.worse)} worse."
    return ok(ComparisonOut.from_comparison(comparison), message)
