"""The reading list of the recommendations page: one card per document, never one per chunk.

The recommender ranks chunks. It lets two chunks of a document into a list, and more when the
knowledge base holds too few documents to fill it (the four demo documents and a list of ten): one card
per chunk repeated a title on card after card. ``POST /recommend`` keeps answering chunks, as documented (a
client may want the passages, and a short list would hide what there is to read); the dashboard groups
them here. A document's card leads with its best-ranked chunk and names its other sections worth reading,
each once: two chunks of one section are one section to a reader.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from luna.domain.recommendations import Recommendation


@dataclass(frozen=True, slots=True)
class Section:
    """A further section of a card's document: what the card calls it, and its best-ranked chunk."""

    label: str
    item: Recommendation


@dataclass(frozen=True, slots=True)
class DocumentCard:
    """One document of the reading list: its best-ranked chunk and its other sections, in rank order."""

    lead: Recommendation
    more: tuple[Section, ...] = ()


def reading_list(items: Sequence[Recommendation]) -> list[DocumentCard]:
    """``items`` (content recommendations, best first) as one card per document, in the order of each
    document's best chunk."""
    grouped: dict[str, list[Recommendation]] = {}
    for item in items:
        grouped.setdefault(_document_of(item), []).append(item)
    return [_card(chunks) for chunks in grouped.values()]


def section_label(payload: Mapping[str, Any]) -> str:
    """What a reader calls the chunk's place in its document: its section heading, else its page, else
    its position (a chunk before the first heading opens the document)."""
    section = payload.get("section")
    if section:
        return str(section)
    if payload.get("page") not in (None, ""):
        return f"Seite {payload['page']}"
    index = payload.get("chunk_idx")
    if not isinstance(index, int) or index == 0:
        return "Anfang des Dokuments"
    return f"Textabschnitt {index + 1}"


def _document_of(item: Recommendation) -> str:
    """The document a chunk belongs to; a payload without one stands alone (by its chunk)."""
    return str(item.payload.get("item_id") or item.chunk_id)


def _card(chunks: Sequence[Recommendation]) -> DocumentCard:
    lead, *rest = chunks
    named = {section_label(lead.payload)}
    more: list[Section] = []
    for chunk in rest:
        label = section_label(chunk.payload)
        if label not in named:
            named.add(label)
            more.append(Section(label, chunk))
    return DocumentCard(lead, tuple(more))
