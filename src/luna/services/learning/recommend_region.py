"""The country of each document a recommendation list looks at, and whether it is foreign to the reader.

A document's country (:func:`luna.domain.document_country.document_country`) comes from its title,
tags, web address and the beginning of its text (its first chunks), not from the one chunk that is a
candidate: the passage on heat-pump noise of a Swiss municipal plan does not say "Kanton", its
introduction does. Documents are judged at recommendation time, so one ingested before this existed
is judged like a new one; the verdict is kept while the document's version, tags, title and address
stay the same (an operator's ``land:XX`` tag takes effect at once), so a long document is read once,
not on every request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from luna.domain.document_country import TEXT_CHARS, document_country, is_foreign
from luna.domain.items import Item, ItemChunk
from luna.ports.sql import UnitOfWork

#: Verdicts kept at most (then forgotten all at once and read again as needed).
MAX_KEPT: Final = 100_000

_Key = tuple[str, int, datetime | None, tuple[str, ...], str | None, str | None]


class DocumentCountries:
    """The readers' country (``recommend.country``; None: no regard) and the documents' countries."""

    def __init__(self, reader: str | None) -> None:
        self.reader = reader
        self._known: dict[_Key, str | None] = {}

    def of(self, uow: UnitOfWork, item: Item, chunks: Sequence[ItemChunk] | None = None) -> str | None:
        """``item``'s country; ``chunks`` are its chunks when the caller has read them already."""
        key = (item.item_id, item.version, item.updated_at, tuple(item.tags), item.title, item.url)
        if key not in self._known:
            if chunks is None:
                chunks = uow.chunks.list_for_item(item.item_id)
            if len(self._known) >= MAX_KEPT:
                self._known.clear()
            self._known[key] = document_country(
                title=item.title, url=item.url, tags=item.tags, text=_beginning(chunks)
            )
        return self._known[key]

    def foreign(self, country: str | None) -> bool:
        return is_foreign(country, self.reader)


def _beginning(chunks: Sequence[ItemChunk]) -> str:
    """The text of the first chunks, up to about :data:`TEXT_CHARS` characters."""
    parts: list[str] = []
    length = 0
    for chunk in chunks:
        if length >= TEXT_CHARS:
            break
        parts.append(chunk.text)
        length += len(chunk.text)
    return "\n".join(parts)
