"""What every extraction backend does the same way: clean the text, pick the title, refuse empty results."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import PurePath

from luna.domain.chunking import legal_heading_level
from luna.domain.documents import BlockKind, ExtractedDocument, TextBlock, Unreadable, unreadable

# Ligatures come out of PDFs typeset with them ("Eﬃzienz"); soft hyphens and zero-width characters out of
# Word and HTML. Left in, they make identical words differ for search.
_INVISIBLE = str.maketrans(
    {
        "ﬀ": "ff",
        "ﬁ": "fi",
        "ﬂ": "fl",
        "ﬃ": "ffi",
        "ﬄ": "ffl",
        "ﬅ": "st",
        "ﬆ": "st",
        "\u00a0": " ",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
    }
)
# Titles that authoring tools fill in by themselves and that say nothing about the document.
_PLACEHOLDER_TITLE = re.compile(
    r"^(untitled|unbenannt|ohne titel|dokument\s*\d*|document\s*\d*|microsoft word\b.*"
    r"|.*\.(docx?|pdf|odt|rtf))$",
    re.IGNORECASE,
)
_KEEP_HYPHEN_BEFORE = frozenset({"und", "oder", "bzw.", "sowie", "bis", "als", "noch"})
_PAGED = frozenset({"PDF", "DOCX"})
_FORMAT_NAMES = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "text/html": "HTML",
    "text/markdown": "Markdown",
    "text/plain": "text",
}


def clean_text(text: str) -> str:
    """NFC-normalised text without ligatures, soft hyphens, zero-width characters or non-breaking spaces."""
    return unicodedata.normalize("NFC", text.translate(_INVISIBLE))


def clean_line(text: str) -> str:
    """:func:`clean_text` with all runs of whitespace (line breaks included) collapsed to one space."""
    return " ".join(clean_text(text).split())


def join_lines(lines: Iterable[str]) -> str:
    """Join the lines of a wrapped paragraph with spaces, undoing end-of-line hyphenation.

    "Wärme-" + "pumpe" becomes "Wärmepumpe", but "Strom-" + "und Gasnetz" keeps its hyphen: German
    writes suspended compounds that way, so the hyphen is only dropped before a lower-case word that
    is not a conjunction.
    """
    text = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        first_word = line.split(" ", 1)[0]
        hyphenated = text.endswith("-") and text[-2:-1].isalpha() and first_word[:1].islower()
        if hyphenated and first_word not in _KEEP_HYPHEN_BEFORE:
            text = text[:-1] + line
        else:
            text = f"{text} {line}" if text else line
    return text


def _meaningful_title(candidate: str | None) -> str | None:
    title = clean_line(candidate or "")
    return title if title and not _PLACEHOLDER_TITLE.match(title) else None


def build_document(
    media_type: str,
    blocks: Iterable[TextBlock],
    *,
    filename: str | None,
    metadata_title: str | None = None,
    pages: int | None = None,
    metadata: dict[str, str] | None = None,
) -> ExtractedDocument:
    """Assemble the result; the title is the document's own, else its first heading (not a "§ …"), else
    the file name.

    Raises ``Unprocessable`` when no block holds text: scanned PDFs end here, as there is no OCR.
    """
    kept = [block for block in blocks if block.text.strip()]
    if not kept:
        kind = _FORMAT_NAMES.get(media_type, media_type)
        if kind in _PAGED:
            raise unreadable(
                f"No text found in the {kind} document: it may contain only images or scans, "
                "and OCR is not available.",
                Unreadable.NO_TEXT,
            )
        raise unreadable(f"No text found in the {kind} document.", Unreadable.EMPTY)
    first_heading = next(
        (b.text for b in kept if b.kind is BlockKind.HEADING and legal_heading_level(b.text) is None), None
    )
    title = (
        _meaningful_title(metadata_title)
        or _meaningful_title(first_heading)
        or (PurePath(filename).stem if filename else None)
    )
    return ExtractedDocument(title, media_type, kept, pages, dict(metadata or {}))
