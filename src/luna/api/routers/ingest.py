"""``/api/v1/ingest``: documents in, by upload or by URL; the answer comes when they are searchable."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from luna.api.callers import Caller, operator_caller
from luna.api.deps import Knowledge, get_container
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.knowledge import IngestOut, UrlIngestRequest
from luna.container import Container
from luna.domain.errors import InvalidInput, TooLarge
from luna.services.knowledge.ingest import IngestRequest

router = APIRouter(prefix="/ingest", tags=["ingest"])

_INGEST_ERRORS: dict[int | str, dict[str, Any]] = {
    409: error_response(
        "The same content was ingested before (`data.details.item_id` names it), "
        "or a snapshot is being restored"
    ),
    413: error_response("The file is larger than `api.max_upload_mb`"),
    415: error_response(
        "The content is not PDF, DOCX, HTML, Markdown or text, or is text named or declared as a binary "
        "format (`bild.png`, `application/pdf`)"
    ),
    422: error_response("The file holds no extractable text (there is no OCR)"),
}


def read_upload(file: UploadFile, max_bytes: int) -> bytes:
    """The upload's bytes, refusing more than ``max_bytes`` without reading the rest."""
    data = file.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge(
            f"The file is larger than {max_bytes // (1024 * 1024)} MB (setting api.max_upload_mb).",
            details={"max_bytes": max_bytes},
        )
    return data


async def one_file(request: Request) -> None:
    """Refuse a form with several ``file`` parts: only one would be read, the others silently dropped.
    The form is the one the route's own parameters were read from (Starlette keeps it)."""
    files = (await request.form()).getlist("file")
    if len(files) > 1:
        raise InvalidInput(f"One file per request, got {len(files)} 'file' parts; send them one at a time.")


def split_tags(*groups: list[str] | None) -> list[str]:
    """Tags from repeated ``tags``/``tags[]`` form fields; one field may also hold a comma list."""
    return [
        part.strip() for group in groups for value in group or [] for part in value.split(",") if part.strip()
    ]


@router.post(
    "/doc",
    status_code=201,
    summary="Ingest an uploaded document",
    description="Multipart form: `file`, `kind` (document|regulation|note), `source` (upload|crawler|api), "
    "`tags` (repeat the field, or `tags[]`), optional `title`. Answers when the document is searchable.",
    responses=_INGEST_ERRORS,
    dependencies=[Depends(one_file)],
)
def ingest_document(
    container: Annotated[Container, Depends(get_container)],
    knowledge: Knowledge,
    caller: Annotated[Caller, Depends(operator_caller)],
    file: Annotated[UploadFile, File(description="PDF, DOCX, HTML, Markdown or plain text")],
    kind: Annotated[str, Form()] = "document",
    source: Annotated[str, Form()] = "upload",
    tags: Annotated[list[str] | None, Form()] = None,
    tags_brackets: Annotated[list[str] | None, Form(alias="tags[]")] = None,
    title: Annotated[str | None, Form(max_length=300)] = None,
) -> Envelope[IngestOut]:
    data = read_upload(file, container.settings.api.max_upload_mb * 1024 * 1024)
    request = IngestRequest(
        data=data,
        filename=file.filename,
        declared_type=file.content_type,
        kind=kind,
        source=source,
        tags=split_tags(tags, tags_brackets),
        title=title,
        added_by=caller.key,
        added_via="api",
    )
    result = knowledge.ingest.ingest(request)
    return ok(IngestOut.from_result(result), f"{_chunks(result.chunks)} indexed.")


@router.post(
    "/url",
    status_code=201,
    summary="Fetch a document from a URL and ingest it",
    description="Only http(s); loopback, private, link-local and metadata addresses are refused unless "
    "allow-listed (`ingest.url_allowlist`); every redirect is checked again.",
    responses={
        **_INGEST_ERRORS,
        400: error_response("Malformed or forbidden URL"),
        503: error_response("The remote server did not answer in time"),
    },
)
def ingest_url(
    knowledge: Knowledge,
    caller: Annotated[Caller, Depends(operator_caller)],
    body: UrlIngestRequest,
) -> Envelope[IngestOut]:
    result = knowledge.ingest.ingest_url(
        body.url,
        kind=body.kind,
        source=body.source,
        tags=body.tags,
        title=body.title,
        added_by=caller.key,
        added_via="url",
    )
    return ok(IngestOut.from_result(result), f"{_chunks(result.chunks)} indexed from {result.url}.")


def _chunks(count: int) -> str:
    return "1 chunk" if count == 1 else f"{count} chunks"
