"""The knowledge-base consumer: a dataset's Q/A pairs as one FAQ document Luna searches and cites.

The document is Markdown with one heading per question, so the chunker keeps a question with its answer.
Each dataset owns one item, found by its tag ``datensatz:<name>``: a new version of the dataset becomes
a new version of that item (old chunks archived, citations of the old one still resolve), and an
unchanged document is left as it is.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from luna.domain.datasets.versions import DatasetVersion
from luna.domain.errors import Conflict
from luna.services.knowledge.corpus import CorpusService
from luna.services.knowledge.ingest import IngestRequest, IngestService

_ACTOR = "job:datasets"


def faq_markdown(version: DatasetVersion, frame: pl.DataFrame, title: str) -> str:
    """Answers rated unhelpful are left out: the knowledge base should not repeat them."""
    usable = frame.filter(pl.col("rating").is_null() | (pl.col("rating") > 0))
    parts = [
        f"# {title}\n",
        f"Fragen und Antworten aus dem Datensatz {version.dataset}, Version {version.number} "
        f"({usable.height} Einträge).\n",
    ]
    for row in usable.select("question", "answer").iter_rows():
        parts.append(f"## {row[0]}\n\n{row[1]}\n")
    return "\n".join(parts)


class KnowledgeFeed:
    def __init__(self, ingest: IngestService, corpus: CorpusService) -> None:
        self._ingest = ingest
        self._corpus = corpus

    def publish(self, version: DatasetVersion, frame: pl.DataFrame, title: str | None) -> dict[str, Any]:
        heading = title or f"Häufige Fragen: {version.dataset}"
        data = faq_markdown(version, frame, heading).encode("utf-8")
        tag = f"datensatz:{version.dataset}"
        owned, _ = self._corpus.items(tag=tag, limit=1)
        filename = f"{version.dataset}-faq.md"
        try:
            if owned:
                result = self._corpus.new_version(
                    owned[0],
                    data,
                    filename=filename,
                    declared_type="text/markdown",
                    tags=[tag, "faq"],
                    title=heading,
                    added_by=_ACTOR,
                    added_via="job",
                )
            else:
                request = IngestRequest(
                    data,
                    filename,
                    "text/markdown",
                    kind="note",
                    source="api",
                    tags=[tag, "faq"],
                    title=heading,
                    added_by=_ACTOR,
                    added_via="job",
                )
                result = self._ingest.ingest(request)
        except Conflict as same:  # the same document is in the knowledge base already
            return {"item_id": (same.details or {}).get("item_id"), "unchanged": True}
        return {"item_id": result.item_id, "item_version": result.version, "chunks": result.chunks}
