"""Templated Q/A pairs from the knowledge base: each passage under a heading becomes a question about
that heading, answered by the passage's opening sentences, with the passage as context.

Deliberately simple and transparent (no model writes them): enough to give a fine-tuning set examples
of answering *from a cited passage*, and an evaluation set questions whose source is known. Passages
without a section heading, and headings that are only numbers, are skipped.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from luna.ports.sql import Database

_SENTENCE: Final = re.compile(r"(?<=[.!?])\s+")
#: The questions asked of a heading, chosen per passage by its position so a set varies its wording.
TEMPLATES: Final = (
    "Was regelt „{section}“?",
    "Was steht zu „{section}“ in {title}?",
    "Erklären Sie mir bitte „{section}“.",
)
_MAX_ANSWER_CHARS: Final = 400


_COLUMNS: Final = ("question", "answer", "context", "document", "source")


def template_pairs(database: Database, limit: int) -> pl.DataFrame:
    rows: list[dict[str, str | None]] = []
    with database.unit_of_work(read_only=True) as uow:
        titles: dict[str, str] = {}
        for batch in uow.chunks.all_active():
            for chunk in batch:
                section = str(chunk.metadata.get("section") or "").strip()
                if not section or not re.search(r"[A-Za-zÄÖÜäöüß]{3}", section):
                    continue
                if chunk.item_id not in titles:
                    item = uow.items.get(chunk.item_id)
                    titles[chunk.item_id] = (item.title if item else None) or "dem Dokument"
                template = TEMPLATES[chunk.chunk_idx % len(TEMPLATES)]
                rows.append(
                    {
                        "question": template.format(
                            section=section.split(" › ")[-1], title=titles[chunk.item_id]
                        ),
                        "answer": _opening(chunk.text),
                        "context": chunk.text,
                        "document": f"item:{chunk.item_id}",
                        "source": "template",
                    }
                )
                if len(rows) >= limit:
                    return pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String))
    return pl.DataFrame(
        rows, schema=dict.fromkeys(("question", "answer", "context", "document", "source"), pl.String)
    )


def _opening(text: str) -> str:
    """The first sentences, up to about 400 characters, without Markdown heading lines."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    answer = ""
    for sentence in _SENTENCE.split(" ".join(lines)):
        if answer and len(answer) + len(sentence) > _MAX_ANSWER_CHARS:
            break
        answer = f"{answer} {sentence}".strip()
    return answer[:_MAX_ANSWER_CHARS]
