"""``/api/v1/admin/finetune``: the adapter registry (versions, promotion, rollback) and training runs.

The same moves as ``luna finetune list|eval|promote|rollback`` (issue #17), audited with the actor
``admin``. Promoting a version that failed its gates needs ``force``; a rollback retires the champion
and restores the one promoted before it (or none: the base model serves). A run is the job
``finetune.run`` (``workers/finetune.py``): a missing or invalid template is refused before anything
is queued, and the answer is 202 with the job to follow in ``/admin/jobs/{job_id}``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from luna.api.deps import Jobs, ParamCheck, get_container, get_param_checks
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.finetune import (
    AdapterDetailOut,
    AdapterList,
    AdapterOut,
    FinetuneRunIn,
    PromoteIn,
    RollbackOut,
)
from luna.api.schemas.jobs import JobOut
from luna.container import Container
from luna.domain.storable import MAX_VERSION
from luna.ports.blobs import BlobStore
from luna.services.finetune.registry import AdapterRegistry

router = APIRouter(prefix="/finetune", tags=["finetune"])

#: The job a run is queued as, and who its record names as creator (as ``POST /admin/jobs`` does).
FINETUNE_JOB = "finetune.run"
ADMIN_CREATOR = "admin-api"
#: Who the audit log names when an operator promotes or rolls back through the API.
ADMIN_ACTOR = "admin"
#: The adapter name rule of the LoRA template (``domain/finetune/config.py``).
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
MODEL_CARD = "model_card.md"


def get_registry(request: Request) -> AdapterRegistry:
    return get_container(request).finetune.registry


def get_blobs(request: Request) -> BlobStore:
    return get_container(request).blobs


Registry = Annotated[AdapterRegistry, Depends(get_registry)]
Blobs = Annotated[BlobStore, Depends(get_blobs)]
Name = Annotated[str, Path(min_length=1, max_length=80, pattern=NAME_PATTERN, description="An adapter name")]
Version = Annotated[int, Path(ge=1, le=MAX_VERSION, description="A version number, from 1")]

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: error_response("No such adapter version")}


@router.get("/adapters", summary="Registered adapter versions with their key figures, newest first")
def list_adapters(
    registry: Registry,
    name: Annotated[
        str | None,
        Query(min_length=1, max_length=80, pattern=NAME_PATTERN, description="Only versions of this adapter"),
    ] = None,
) -> Envelope[AdapterList]:
    adapters = [AdapterOut.from_adapter(adapter) for adapter in registry.list(name)]
    return ok(AdapterList(adapters=adapters), f"{len(adapters)} version(s).")


@router.get(
    "/adapters/{name}/{version}",
    summary="One version with its whole report, every gate check and its model card",
    responses=_NOT_FOUND,
)
def get_adapter(registry: Registry, blobs: Blobs, name: Name, version: Version) -> Envelope[AdapterDetailOut]:
    adapter = registry.get(name, version)
    key = f"{adapter.blob_prefix.rstrip('/')}/{MODEL_CARD}"
    card = blobs.get(key).decode("utf-8", errors="replace") if blobs.exists(key) else None
    return ok(AdapterDetailOut.from_detail(adapter, card))


@router.post(
    "/adapters/{name}/{version}/promote",
    summary="Make a version the champion the chat backend serves",
    description=(
        "The champion it replaces is archived. A version that failed its gates is refused (400) "
        "unless `force` is true; a forced promotion is audited as such."
    ),
    responses={
        **_NOT_FOUND,
        400: error_response("The version failed its gates and `force` is not set"),
        409: error_response("The version is the champion already"),
    },
)
def promote_adapter(
    registry: Registry, name: Name, version: Version, body: PromoteIn | None = None
) -> Envelope[AdapterOut]:
    force = body is not None and body.force
    adapter = registry.promote(name, version, ADMIN_ACTOR, force=force)
    return ok(AdapterOut.from_adapter(adapter), f"{adapter.label} is now the champion.")


@router.post(
    "/adapters/{name}/rollback",
    summary="Retire the champion and restore the one promoted before it",
    description="`restored` is null when no earlier champion exists: then the base model serves.",
    responses={
        404: error_response("No adapter of this name"),
        409: error_response("The adapter has no champion"),
    },
)
def rollback_adapter(registry: Registry, name: Name) -> Envelope[RollbackOut]:
    restored = registry.rollback(name, ADMIN_ACTOR)
    if restored is None:
        return ok(RollbackOut(restored=None), "No earlier champion: the base model serves.")
    return ok(RollbackOut(restored=restored.version), f"{restored.label} serves again.")


@router.post(
    "/runs",
    status_code=202,
    summary="Train, evaluate and register an adapter as the job finetune.run",
    description=(
        "Queues the job `finetune.run`; follow it in `/admin/jobs/{job_id}`. A missing template (404), "
        "an invalid one (400) or a dataset without a version to train on (409) queues nothing. The job "
        "promotes the new version when the template says `promote: auto` and every gate passed."
    ),
    responses={
        202: {"description": "The run is queued"},
        400: error_response("The template or the run ID is invalid"),
        404: error_response("No template at this path"),
        409: error_response("The template's dataset has no version with fine-tuning files yet"),
    },
)
def start_run(
    jobs: Jobs,
    container: Annotated[Container, Depends(get_container)],
    param_checks: Annotated[Mapping[str, ParamCheck], Depends(get_param_checks)],
    body: FinetuneRunIn,
) -> Envelope[JobOut]:
    param_check = param_checks.get(FINETUNE_JOB)
    check = None if param_check is None else functools.partial(_run_check, param_check, container)
    job = jobs.submit(FINETUNE_JOB, body.model_dump(), ADMIN_CREATOR, check)
    return ok(JobOut.from_job(job), f"The fine-tuning run is queued as job {job.job_id}.")


def _run_check(check: ParamCheck, container: Container, params: dict[str, Any]) -> None:
    check(container, **params)
