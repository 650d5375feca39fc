"""Request and response bodies of the knowledge-base routes (ingest, rag, admin items)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from luna.domain.items import FILTERABLE_CHUNK_FIELDS, Item, ItemStatus
from luna.services.knowledge.answering import Answer
from luna.services.knowledge.ingest import IngestResult
from luna.services.knowledge.kb_maintenance import DriftReport
from luna.services.knowledge.retrieval import Citation

FilterValue = str | int | float | bool | list[str | int | float | bool]
#: At most one entry per filterable field; the bound is checked while parsing, before any work.
Filters = Annotated[dict[str, FilterValue], Field(max_length=len(FILTERABLE_CHUNK_FIELDS))]

_FILTERS_DESCRIPTION = (
    "Payload key → value (or list of values, any of which may match): `kind`, `tags` (membership), "
    "`item_id`, `source`, `section`, `page`, `title`, `url`, `version`, `chunk_id` or `chunk_idx`; "
    "any other key is refused with 400."
)


class IngestOut(BaseModel):
    item_id: str
    chunks: int = Field(description="Chunks the document was split into (all searchable now)")
    sha256: str
    title: str
    version: int
    media_type: str = Field(description="The type detected from the content")
    pages: int | None = None
    archived_chunks: int = Field(0, description="Chunks of the previous version, now archived")

    @classmethod
    def from_result(cls, result: IngestResult) -> IngestOut:
        return cls.model_validate(asdict(result))


class UrlIngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048, description="http(s) URL of a PDF, DOCX, HTML, MD or TXT")
    kind: Literal["document", "regulation", "note"] = "document"
    source: Literal["upload", "crawler", "api"] = "crawler"
    tags: list[str] = Field(default_factory=list, max_length=20)
    title: str | None = Field(None, max_length=300)


SEARCH_TOP_K: Final = 6


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=2000)
    # Strict: JSON true or "5" is a mistake in the request, not one or five chunks. Null is the
    # default, as on /rag/ask.
    top_k: int | None = Field(SEARCH_TOP_K, ge=1, le=50, strict=True, description="Chunks (default 6)")
    filters: Filters | None = Field(None, description=_FILTERS_DESCRIPTION)
    mode: Literal["hybrid", "dense", "lexical"] = Field(
        "hybrid", description="`dense` or `lexical` search one leg only (for comparisons)"
    )


class CitationOut(BaseModel):
    chunk_id: str
    score: float = Field(
        description="Hybrid mode: the fused score (`rag.fusion`) plus `boost`; else the leg's own score"
    )
    boost: float = Field(
        0.0,
        description="What the learned popularity and quality added to `score` (hybrid mode with weighted "
        "fusion: at most `learning.boost_max` of its largest score; 0 when never viewed nor rated, and "
        "always 0 under RRF, where the learned scores only break exact ties)",
    )
    payload: dict[str, Any] = Field(
        description="text, item_id, title, kind, source, tags, url, version, section, page, chunk_idx"
    )

    @classmethod
    def from_citation(cls, citation: Citation) -> CitationOut:
        return cls(
            chunk_id=citation.chunk_id, score=citation.score, boost=citation.boost, payload=citation.payload
        )


class SearchOut(BaseModel):
    citations: list[CitationOut]


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=2000)
    top_k: int | None = Field(
        None,
        ge=1,
        le=20,
        strict=True,
        description="Chunks the answer reads (default: the server's `rag.top_k`, 6)",
    )
    filters: Filters | None = Field(None, description=_FILTERS_DESCRIPTION)
    stream: bool = Field(
        False,
        strict=True,
        description="Server-Sent Events: `token` events (data: {text}), then `citations`, then `done`",
    )
    conversation_id: str | None = Field(
        None,
        max_length=64,
        description='Continue this conversation of yours: a follow-up question ("Und für Gewerbe?") is '
        "searched together with the question it follows, and answered knowing the last two answers "
        "(it adds to them rather than repeating them). Without it a user's question starts a new "
        "conversation; the answer names its `conversation_id`. Not for the admin key (it has no user).",
    )


class AskOut(BaseModel):
    answer: str
    chunks_used: list[str] = Field(description="Chunk IDs given to the model as context")
    citations: list[CitationOut] = Field(description="The chunks the answer cites")
    model: str = Field(description="The model that answered (the extractive fallback when the model failed)")
    unsupported_numbers: list[str] = Field(description="Figures in the answer that no cited chunk contains")
    fallback_reason: str | None = None
    follow_ups: list[str] = Field(
        default_factory=list,
        description="With an answer that cites nothing: questions the knowledge base answers instead "
        "(each checked by a search); ask one as the next question",
    )
    conversation_id: str | None = Field(
        None, description="The conversation this answer was stored in (null for the admin key)"
    )

    @classmethod
    def from_answer(cls, answer: Answer) -> AskOut:
        return cls(
            answer=answer.answer,
            chunks_used=answer.chunks_used,
            citations=[CitationOut.from_citation(c) for c in answer.citations],
            model=answer.model,
            unsupported_numbers=answer.unsupported_numbers,
            fallback_reason=answer.fallback_reason,
            follow_ups=answer.follow_ups,
            conversation_id=answer.conversation_id,
        )


class ItemOut(BaseModel):
    item_id: str
    kind: str
    source: str | None
    title: str | None
    tags: list[str]
    url: str | None
    sha256: str | None
    version: int
    status: ItemStatus
    created_at: datetime | None
    updated_at: datetime | None
    added_by: str | None = Field(
        description="Who added it: admin, job:<id>, system; null before it was recorded"
    )
    added_via: str | None = Field(description="The way in: api, url, dashboard, cli, job, demo")

    @classmethod
    def from_item(cls, item: Item) -> ItemOut:
        fields = asdict(item)
        fields.pop("archived_at", None)
        return cls.model_validate(fields)


class ItemPage(BaseModel):
    items: list[ItemOut]
    total: int
    limit: int
    offset: int


class ItemDeleted(BaseModel):
    item_id: str
    chunks_deleted: int


class ReindexRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_ids: list[str] | None = Field(None, max_length=10_000, description="Only these items, in place")
    filter: dict[str, FilterValue] | None = Field(
        None, description="Only items matching `kind`, `source`, `tags`, `item_id`, in place"
    )


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fix: bool = Field(False, strict=True, description="Repair the drift (runs as a job)")


class DriftOut(BaseModel):
    clean: bool
    repairable: bool = Field(description="Drift that `fix: true` repairs (lost files are not)")
    counts: dict[str, int]
    stale_pending_items: list[str]
    pending_items_in_progress: list[str] = Field(
        description="Pending items younger than the grace period: an ingest that may still run"
    )
    orphan_points: list[str]
    missing_points: list[str]
    orphan_blob_items: list[str]
    orphan_version_files: list[str] = Field(
        description="Blob keys of uploads that did not become the version they were made for"
    )
    missing_raw_files: list[str] = Field(
        description="Indexed items whose current version's uploaded file is missing"
    )
    missing_processed_files: list[str] = Field(
        description="Indexed items whose current version's extracted text is missing"
    )
    lost_files: list[str] = Field(
        description="Items whose upload or extracted text is gone: no repair brings them back; delete and "
        "upload them again"
    )
    fixed: bool

    @classmethod
    def from_report(cls, report: DriftReport) -> DriftOut:
        return cls(
            clean=report.clean,
            repairable=report.repairable,
            lost_files=report.lost_files,
            counts=report.summary(),
            **asdict(report),
        )
