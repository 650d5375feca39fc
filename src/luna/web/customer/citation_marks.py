"""Luna's ``[chunk <id>]`` markers as a reader sees them: numbered references, or nothing.

Answers and help texts cite chunks by ID. A reader gets ``[1]``, ``[2]`` … in the order the
sources first appear, matching the numbered source cards under an answer; help texts drop the
markers. While an answer streams, a marker that has not arrived completely is held back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKER = re.compile(r"[ \t]*\[chunk\s+([^\]\s]+)\s*\]", re.IGNORECASE)
_UNFINISHED = re.compile(r"\[(?:c(?:h(?:u(?:n(?:k(?:\s+[^\]\s]*)?)?)?)?)?)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class NumberedText:
    text: str
    #: Chunk IDs in the order of their numbers (``[1]`` is ``chunk_ids[0]``).
    chunk_ids: tuple[str, ...]


def number_citations(text: str, known: tuple[str, ...] = ()) -> NumberedText:
    """``text`` with each marker replaced by its source number; ``known`` keeps earlier numbering."""
    order = list(known)

    def replace(match: re.Match[str]) -> str:
        chunk_id = match.group(1)
        if chunk_id not in order:
            order.append(chunk_id)
        return f" [{order.index(chunk_id) + 1}]"

    visible = _UNFINISHED.sub("", text)
    return NumberedText(_MARKER.sub(replace, visible), tuple(order))


def strip_citations(text: str) -> str:
    return _MARKER.sub("", text)
