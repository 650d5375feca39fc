"""``/api/v1/datasets``: what machines pull, with a service account key of scope ``datasets:read``.

A trainer, a BI tool or another Luna lists a dataset's versions and pulls one in Parquet, JSON Lines or
CSV without the admin key; operators have the same and more under ``/api/v1/admin/datasets``. Only
versions that passed their gates are offered here: a version held back is not for consumers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from luna.api.auth import service_account
from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.schemas.datasets import DatasetVersionList, DatasetVersionOut
from luna.api.schemas.envelope import Envelope
from luna.domain.datasets.pipeline import NAME_PATTERN
from luna.domain.errors import NotFound
from luna.domain.flywheel.accounts import Scope, ServiceAccount
from luna.domain.storable import MAX_VERSION
from luna.services.datasets.datasets import MEDIA_TYPES, DatasetService

router = APIRouter(prefix="/datasets", tags=["datasets"])
Datasets = Annotated[DatasetService, from_services(lambda s: s.datasets)]
Reader = Annotated[ServiceAccount, Depends(service_account(Scope.DATASETS_READ))]
Name = Annotated[str, Path(pattern=NAME_PATTERN, description="A dataset (its pipeline's name)")]
Number = Annotated[int, Path(ge=1, le=MAX_VERSION, description="A version number, from 1")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: error_response("No such dataset, or no such version that passed its gates")
}


@router.get(
    "/{name}/versions",
    summary="A dataset's versions that passed their gates, newest first",
    responses=_NOT_FOUND,
)
def released_versions(account: Reader, datasets: Datasets, name: Name) -> Envelope[DatasetVersionList]:
    del account
    released = [DatasetVersionOut.from_version(v) for v in datasets.versions(name) if v.gates_passed]
    return ok(DatasetVersionList(versions=released), f"{len(released)} released version(s) of {name}.")


@router.get(
    "/{name}/versions/{number}",
    summary="Pull a released version's records (Parquet, JSON Lines or CSV)",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}, **_NOT_FOUND},
)
def pull_version(
    account: Reader,
    datasets: Datasets,
    name: Name,
    number: Number,
    format: Annotated[Literal["parquet", "jsonl", "csv"], Query(description="The file format")] = "parquet",
) -> Response:
    del account
    if not datasets.version(name, number).gates_passed:
        raise NotFound(f"Version {number} of {name!r} failed its gates and is not released.")
    headers = {"Content-Disposition": f'attachment; filename="{name}-v{number}.{format}"'}
    return Response(datasets.export(name, number, format), media_type=MEDIA_TYPES[format], headers=headers)
