"""``/api/v1/admin``: the knowledge base as operators keep it: items, new versions, deletion,
reindexing and the consistency check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse

from luna.api.deps import Jobs, Knowledge, from_services, get_container
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.path_ids import uuid_or_404
from luna.api.routers.admin_jobs import ADMIN_CREATOR
from luna.api.routers.ingest import one_file, read_upload, split_tags
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.jobs import JobOut
from luna.api.schemas.knowledge import (
    DriftOut,
    IngestOut,
    ItemDeleted,
    ItemOut,
    ItemPage,
    ReindexRequest,
    VerifyRequest,
)
from luna.container import Container
from luna.domain.items import ItemStatus
from luna.services.knowledge.corpus import CorpusService

router = APIRouter(tags=["admin"])

Corpus = Annotated[CorpusService, from_services(lambda s: s.corpus)]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: error_response("No item with this id")}


@router.get("/items", summary="List knowledge items, newest first")
def list_items(
    corpus: Corpus,
    query: Annotated[str | None, Query(max_length=200, description="Part of the title or URL")] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[ItemStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Envelope[ItemPage]:
    found, total = corpus.items(query=query, tag=tag, status=status, limit=limit, offset=offset)
    page = ItemPage(
        items=[ItemOut.from_item(item) for item in found], total=total, limit=limit, offset=offset
    )
    return ok(page, f"{len(found)} of {total} items.")


@router.get("/item/{item_id}", summary="One item", responses=_NOT_FOUND)
def get_item(corpus: Corpus, item_id: str) -> Envelope[ItemOut]:
    return ok(ItemOut.from_item(corpus.item(uuid_or_404(item_id, "item"))))


@router.put(
    "/item/{item_id}",
    summary="Replace an item with a new version",
    description="Multipart like `POST /ingest/doc`. The new version is indexed, then the old chunks are "
    "archived (kept for provenance, no longer searchable) and `version` goes up by one.",
    responses={**_NOT_FOUND, 409: error_response("Same content as an existing item, or item not indexed")},
    dependencies=[Depends(one_file)],
)
def replace_item(
    corpus: Corpus,
    container: Annotated[Container, Depends(get_container)],
    item_id: str,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str | None, Form()] = None,
    tags: Annotated[list[str] | None, Form()] = None,
    tags_brackets: Annotated[list[str] | None, Form(alias="tags[]")] = None,
    title: Annotated[str | None, Form(max_length=300)] = None,
) -> Envelope[IngestOut]:
    current = corpus.item(uuid_or_404(item_id, "item"))
    data = read_upload(file, container.settings.api.max_upload_mb * 1024 * 1024)
    result = corpus.new_version(
        current,
        data,
        filename=file.filename,
        declared_type=file.content_type,
        kind=kind,
        tags=split_tags(tags, tags_brackets),
        title=title,
        added_by="admin",
        added_via="api",
    )
    return ok(IngestOut.from_result(result), f"Version {result.version} indexed.")


@router.delete("/item/{item_id}", summary="Delete an item: chunks, vectors and blobs", responses=_NOT_FOUND)
def delete_item(corpus: Corpus, item_id: str) -> Envelope[ItemDeleted]:
    key = uuid_or_404(item_id, "item")
    deleted = corpus.delete(key)
    return ok(ItemDeleted(item_id=key, chunks_deleted=deleted), "Item deleted.")


def _scope(knowledge: Knowledge, body: ReindexRequest | None) -> dict[str, Any]:
    """A maintenance job's items, checked before it is queued (404 unknown item, 400 bad filter)."""
    params: dict[str, Any] = {}
    if body is not None:
        knowledge.maintenance.refuse_empty_scope(body.item_ids, body.filter, "filter")
    if body is not None and body.item_ids:
        params["item_ids"] = [uuid_or_404(i, "item") for i in body.item_ids]
    if body is not None and body.filter:
        params["where"] = body.filter
    knowledge.maintenance.check_scope(params.get("item_ids", []), params.get("where", {}))
    return params


@router.post(
    "/reindex",
    status_code=202,
    summary="Rebuild embeddings (job)",
    responses={409: error_response("A reindex is already queued or running")},
    description="Without arguments: a new collection is filled and swapped in atomically (the previous one "
    "is kept for rollback). With `item_ids` or `filter`: those items are re-embedded in place.",
)
def reindex(knowledge: Knowledge, jobs: Jobs, body: ReindexRequest | None = None) -> Envelope[JobOut]:
    params = _scope(knowledge, body)
    job = jobs.submit("kb.reindex", params, ADMIN_CREATOR, exclusive=True)
    return ok(JobOut.from_job(job), "Reindex is queued.")


@router.post(
    "/reread",
    status_code=202,
    summary="Read stored documents again with the current extractor (job)",
    responses={409: error_response("A re-read is already queued or running")},
    description="Each chosen item's stored file is extracted anew; where its chunks or its extracted title "
    "differ, the item gets them as its next version (old chunks archived), otherwise it stays as it is. "
    "Without arguments: every indexed item; with `item_ids` or `filter`: those.",
)
def reread(knowledge: Knowledge, jobs: Jobs, body: ReindexRequest | None = None) -> Envelope[JobOut]:
    params = _scope(knowledge, body)
    job = jobs.submit("kb.reread", params, ADMIN_CREATOR, exclusive=True)
    return ok(JobOut.from_job(job), "Re-read is queued.")


@router.post(
    "/verify",
    summary="Compare SQL, vectors and blobs",
    description="Reports drift; with `fix: true` the repair runs as a job (202) instead.",
    responses={202: {"model": Envelope[JobOut], "description": "The repair job"}},
)
def verify(knowledge: Knowledge, jobs: Jobs, body: VerifyRequest | None = None) -> Any:
    if body is not None and body.fix:
        job = jobs.submit("kb.verify", {"fix": True}, ADMIN_CREATOR)
        envelope = ok(JobOut.from_job(job), "Repair is queued.")
        return JSONResponse(envelope.model_dump(mode="json"), status_code=202)
    report = knowledge.maintenance.verify()
    return ok(DriftOut.from_report(report), "No drift." if report.clean else "Drift found.")
