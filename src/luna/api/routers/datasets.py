"""``/api/v1/admin/datasets``: pipeline files, their runs, the versioned datasets they make, lineage
both ways, and which version each consumer uses.

A run is the job ``datasets.run`` (``workers/datasets.py``; ``luna datasets run --queue`` queues the
same): ``POST /admin/datasets/runs`` refuses an unknown pipeline (404) or a faulty pipeline file (400,
each problem by line) before anything is queued, and answers 202 with the job to follow in
``/admin/jobs/{job_id}``. Versions are immutable; ``deliver`` hands one to the consumers again,
``rollback`` points one consumer back at an earlier version.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import Response
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from luna.api.deps import Jobs, ParamCheck, from_services, get_container, get_param_checks
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.path_ids import uuid_or_404
from luna.api.schemas.datasets import (
    DatasetList,
    DatasetOut,
    DatasetRunIn,
    DatasetRunList,
    DatasetRunOut,
    DatasetVersionList,
    DatasetVersionOut,
    DeliverIn,
    DeliveryList,
    DeliveryOut,
    LineageUseOut,
    LineageUsesOut,
    PipelineList,
    PipelineOut,
    RollbackIn,
)
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.jobs import JobOut
from luna.container import Container
from luna.domain.datasets.pipeline import NAME_PATTERN
from luna.domain.errors import InvalidInput
from luna.domain.storable import MAX_VERSION
from luna.services.datasets.consumers import promotion
from luna.services.datasets.datasets import DATASETS_JOB, MEDIA_TYPES, DatasetService

router = APIRouter(prefix="/datasets", tags=["datasets"])
Datasets = Annotated[DatasetService, from_services(lambda s: s.datasets)]
Name = Annotated[str, Path(pattern=NAME_PATTERN, description="A dataset (its pipeline's name)")]
Number = Annotated[int, Path(ge=1, le=MAX_VERSION, description="A version number, from 1")]

#: Who the job record names as its creator when an operator starts a run through the API.
ADMIN_CREATOR = "admin-api"
#: Longest a promotion stream stays open before the client reconnects, and how often it looks.
MAX_WAIT_SEC, POLL_SEC = 10.0, 0.5
#: Most runs one list returns.
MAX_RUNS = 200
_EXTENSIONS: Final = {"parquet": "parquet", "jsonl": "jsonl", "csv": "csv"}

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: error_response("No such dataset or version")}
_REFUSED: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    400: error_response("The pipeline file is faulty, or the version failed its gates"),
}


@router.get("/pipelines", summary="The pipeline files, each loaded or with its problems")
def list_pipelines(datasets: Datasets) -> Envelope[PipelineList]:
    files = datasets.pipelines()
    faulty = sum(1 for file in files if file.error is not None)
    return ok(
        PipelineList(pipelines=[PipelineOut.from_file(file) for file in files]),
        f"{len(files)} pipeline(s), {faulty} faulty.",
    )


@router.post(
    "/runs",
    status_code=202,
    summary="Run a pipeline as the job datasets.run",
    description=(
        "Queues the job `datasets.run` for the pipeline file; follow it in `/admin/jobs/{job_id}`. "
        "An unknown pipeline (404) or a faulty file (400, each problem by line) queues nothing."
    ),
    responses={
        202: {"description": "The run is queued"},
        400: error_response("The pipeline file is faulty"),
        404: error_response("No pipeline with this name"),
    },
)
def start_run(
    datasets: Datasets,
    jobs: Jobs,
    container: Annotated[Container, Depends(get_container)],
    param_checks: Annotated[Mapping[str, ParamCheck], Depends(get_param_checks)],
    body: DatasetRunIn,
) -> Envelope[JobOut]:
    datasets.pipeline(body.pipeline)  # unknown → 404, faulty → 400, before anything is stored
    param_check = param_checks.get(DATASETS_JOB)
    check = None if param_check is None else functools.partial(_run_check, param_check, container)
    job = jobs.submit(DATASETS_JOB, {"pipeline": body.pipeline}, ADMIN_CREATOR, check)
    return ok(JobOut.from_job(job), f"The run of {body.pipeline} is queued as job {job.job_id}.")


def _run_check(check: ParamCheck, container: Container, params: dict[str, Any]) -> None:
    check(container, **params)


@router.get("/runs", summary="Pipeline runs, newest first")
def list_runs(
    datasets: Datasets,
    pipeline: Annotated[
        str | None, Query(pattern=NAME_PATTERN, description="Only runs of this pipeline")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RUNS)] = 50,
) -> Envelope[DatasetRunList]:
    runs = [DatasetRunOut.from_run(run) for run in datasets.runs(pipeline=pipeline, limit=limit)]
    return ok(DatasetRunList(runs=runs), f"{len(runs)} run(s).")


@router.get(
    "/runs/{run_id}",
    summary="One run with its report",
    responses={404: error_response("No run with this id")},
)
def get_run(datasets: Datasets, run_id: str) -> Envelope[DatasetRunOut]:
    run = datasets.get_run(uuid_or_404(run_id, "dataset run"))
    return ok(DatasetRunOut.from_run(run), f"Run {run.status}.")


@router.get(
    "/lineage",
    summary="Where a source went: every version made from it",
    description="`input` is a source's address as a version's lineage names it (`blob:drops/…`, "
    "`file:…`, `url:…`, `luna:feedback`) or a dataset's name.",
)
def lineage_uses(
    datasets: Datasets,
    input_ref: Annotated[str, Query(alias="input", min_length=1, max_length=2000, description="The address")],
) -> Envelope[LineageUsesOut]:
    uses = [LineageUseOut.from_use(edge, version) for edge, version in datasets.uses(input_ref)]
    return ok(LineageUsesOut(input=input_ref, uses=uses), f"{len(uses)} version(s) made from it.")


@router.get("/deliveries", summary="Which version each consumer uses, and how the last hand-over went")
def list_deliveries(
    datasets: Datasets,
    dataset: Annotated[str | None, Query(pattern=NAME_PATTERN, description="Only this dataset")] = None,
) -> Envelope[DeliveryList]:
    deliveries = [DeliveryOut.from_delivery(d) for d in datasets.deliveries(dataset)]
    return ok(DeliveryList(deliveries=deliveries), f"{len(deliveries)} delivery(ies).")


@router.get(
    "/promotions",
    summary="Server-sent events: every version handed to consumers from now (or `since`) on",
    description="Each `dataset.promoted` event carries the webhook body (version, quality, where to pull "
    "it); its `id` is the version's time, so a client that reconnects with `Last-Event-ID` misses "
    "nothing. The stream ends after `wait_sec` (EventSource reconnects by itself after `retry`).",
    responses={200: {"content": {"text/event-stream": {}}, "description": "An event stream"}},
)
def promotion_stream(
    datasets: Datasets,
    since: Annotated[datetime | None, Query(description="Only versions after this time (ISO 8601)")] = None,
    wait_sec: Annotated[float, Query(ge=0, le=MAX_WAIT_SEC, description="How long to wait for more")] = 10.0,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
) -> EventSourceResponse:
    start = _resume_point(last_event_id) or since or datetime.now(UTC)
    if start.tzinfo is None:
        raise InvalidInput("since: give a time with its offset, e.g. 2026-11-23T09:00:00Z")
    return EventSourceResponse(_promotions(datasets, start, wait_sec), ping=15)


async def _promotions(
    datasets: DatasetService, after: datetime, wait_sec: float
) -> AsyncIterator[ServerSentEvent]:
    """Poll SQL every half second (promotions may come from any worker process) until ``wait_sec``."""
    deadline = time.monotonic() + wait_sec
    while True:
        for version in await run_in_threadpool(datasets.promoted_after, after):
            after = version.created_at
            yield ServerSentEvent(
                data=json.dumps(promotion(version)),
                event="dataset.promoted",
                id=after.isoformat(),
                retry=1000,
            )
        if time.monotonic() >= deadline:
            return
        await asyncio.sleep(min(POLL_SEC, max(deadline - time.monotonic(), 0.0)))


def _resume_point(last_event_id: str | None) -> datetime | None:
    if not last_event_id:
        return None
    try:
        resumed = datetime.fromisoformat(last_event_id)
    except ValueError:
        raise InvalidInput("Last-Event-ID: expected the id of an earlier event (an ISO time)") from None
    if resumed.tzinfo is None:
        # Ignored, the stream resumed from "now" and a reconnecting client missed what came between.
        raise InvalidInput(
            "Last-Event-ID: give the id of an earlier event as sent (an ISO time with its offset)"
        )
    return resumed


@router.get("", summary="The datasets with their newest version")
def list_datasets(datasets: Datasets) -> Envelope[DatasetList]:
    found = [
        DatasetOut(name=name, newest_version=number, newest_at=at) for name, number, at in datasets.datasets()
    ]
    return ok(DatasetList(datasets=found), f"{len(found)} dataset(s).")


@router.get("/{name}/versions", summary="A dataset's versions, newest first", responses=_NOT_FOUND)
def list_versions(datasets: Datasets, name: Name) -> Envelope[DatasetVersionList]:
    versions = [DatasetVersionOut.from_version(version) for version in datasets.versions(name)]
    return ok(DatasetVersionList(versions=versions), f"{len(versions)} version(s) of {name}.")


@router.get(
    "/{name}/versions/{number}",
    summary="One version: quality, steps, gate failures and its inputs",
    responses=_NOT_FOUND,
)
def get_version(datasets: Datasets, name: Name, number: Number) -> Envelope[DatasetVersionOut]:
    version = datasets.version(name, number)
    out = DatasetVersionOut.from_version(version, datasets.lineage(name, number))
    state = "passed its gates" if version.gates_passed else f"failed {', '.join(version.gate_texts)}"
    return ok(out, f"Version {number} of {name}: {version.records} record(s), {state}.")


@router.get(
    "/{name}/versions/{number}/data",
    summary="A version's records as Parquet, JSON Lines or CSV",
    response_class=Response,
    responses={
        200: {
            "description": "The records as a download",
            "content": {media: {} for media in MEDIA_TYPES.values()},
        },
        **_NOT_FOUND,
    },
)
def download_version(
    datasets: Datasets,
    name: Name,
    number: Number,
    format_: Annotated[
        Literal["parquet", "jsonl", "csv"],
        Query(alias="format", description="parquet (the stored bytes), jsonl or csv (flags joined by `|`)"),
    ] = "parquet",
) -> Response:
    data = datasets.export(name, number, format_)
    return Response(
        data,
        media_type=MEDIA_TYPES[format_],
        headers={"Content-Disposition": f'attachment; filename="{name}-v{number}.{_EXTENSIONS[format_]}"'},
    )


@router.post(
    "/{name}/deliver",
    summary="Hand a version to every consumer again",
    description="The newest version that passed its gates, or `version`; each consumer's outcome is "
    "recorded (a failing consumer does not stop the others).",
    responses=_REFUSED,
)
def deliver(datasets: Datasets, name: Name, body: DeliverIn | None = None) -> Envelope[DeliveryList]:
    deliveries = [
        DeliveryOut.from_delivery(d) for d in datasets.deliver(name, body.version if body else None)
    ]
    failed = sum(1 for d in deliveries if d.status == "failed")
    return ok(DeliveryList(deliveries=deliveries), f"{len(deliveries)} consumer(s), {failed} failed.")


@router.post(
    "/{name}/rollback",
    summary="Point one consumer back at an earlier version",
    responses={**_REFUSED, 400: error_response("No such consumer, or the version failed its gates")},
)
def rollback(datasets: Datasets, name: Name, body: RollbackIn) -> Envelope[DeliveryOut]:
    delivery = datasets.rollback(name, body.consumer, body.version)
    return ok(
        DeliveryOut.from_delivery(delivery), f"{body.consumer} uses version {body.version} of {name} again."
    )
