"""Luna's ``[chunk <id>]`` markers as a reader sees them: numbered references, or nothing.

Answers and help texts cite chunks by ID. A reader gets ``[1]``, ``[2]`` … in the order the
sources first appear, matching the numbered source cards under an answer; help texts drop the
markers. While an answer streams, a marker that has not arrived completely is held back. A finished
answer is shown as Markdown (its tables as tables) with each number a link to its source card.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from luna.domain.answers import CITATION_MARKER

_BRACKET = re.compile(r"[\[\]]")
_UNFINISHED = re.compile(r"\[(?:c(?:h(?:u(?:n(?:k(?:\s+[^\]\s]*)?)?)?)?)?)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class NumberedText:
    text: str
    #: Chunk IDs in the order of their numbers (``[1]`` is ``chunk_ids[0]``).
    chunk_ids: tuple[str, ...]


def number_citations(text: str, known: tuple[str, ...] = ()) -> NumberedText:
    """``text`` with each marker replaced by its source number; ``known`` keeps earlier numbering."""
    return _numbered(_UNFINISHED.sub("", text), known, lambda number: f" [{number}]")


def _numbered(text: str, known: tuple[str, ...], render: Callable[[int], str]) -> NumberedText:
    order = list(known)

    def replace(match: re.Match[str]) -> str:
        chunk_id = match.group(1)
        if chunk_id not in order:
            order.append(chunk_id)
        return render(order.index(chunk_id) + 1)

    return NumberedText(CITATION_MARKER.sub(replace, text), tuple(order))


def linked_citations(text: str, turn: int) -> NumberedText:
    """``text`` as Markdown whose ``[n]`` are links to the source cards of answer ``turn``.

    The text comes from documents, so HTML in it is escaped (it is shown, never run), and so are the
    brackets of Markdown links and images: a document's ``![x](https://…)`` would otherwise load a
    stranger's image whenever the answer is read, and its ``[Portal](https://…)`` would be a link in
    Luna's voice. The source links are the only markup added. Each points at the card's anchor
    (``#quelle-<turn>-<n>``) and carries ``data-turn``/``data-n`` so that a click can open the source.
    """

    def link(number: int) -> str:
        return (
            f' <a class="luna-mark" href="#{source_anchor(turn, number)}" data-turn="{turn}" '
            f'data-n="{number}" aria-label="Quelle {number} öffnen">[{number}]</a>'
        )

    return _numbered(_inert_brackets(_blocks_separated(html.escape(text, quote=False))), (), link)


def _inert_brackets(text: str) -> str:
    """Every ``[`` and ``]`` escaped for Markdown except those of the citation markers."""
    pieces: list[str] = []
    start = 0
    for marker in CITATION_MARKER.finditer(text):
        pieces += [_BRACKET.sub(r"\\\g<0>", text[start : marker.start()]), marker.group(0)]
        start = marker.end()
    return "".join([*pieces, _BRACKET.sub(r"\\\g<0>", text[start:])])


def _blocks_separated(text: str) -> str:
    """A blank line between a list or table and the text next to it, as Markdown needs it.

    The answerer writes "Im Einzelnen:" and the list on the next line; without the blank line the
    list would be shown as one run-on paragraph.
    """
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        kind = _block_kind(line)
        if out and out[-1].strip() and line.strip() and _block_kind(out[-1]) != kind:
            out.append("")
        out.append(line)
    return "\n".join(out)


def _block_kind(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith(("- ", "* ")):
        return "list"
    return "table" if stripped.startswith("|") else ""


def source_anchor(turn: int, number: int) -> str:
    """The HTML id of source card ``number`` under answer ``turn``."""
    return f"quelle-{turn}-{number}"
