"""Words a PDF's text layer split in two, joined again where the document itself spells them whole.

Typeset PDFs often carry a word broken at a line end or by a layout engine's discretionary hyphen as two
words on one line: "Um setzung", "Wärmeversor gung", "Fotovoltaik anlagen". Nothing at extraction time
tells such a gap from a real one, and German has no dictionary here. But a document that breaks a word
once usually writes it whole elsewhere ("Umsetzung" on the next page): a gap is closed when the joined
form occurs in the same document as a word of its own. Both halves must be letters, the second in lower
case and at least four long, the joined word at least eight, so that short pairs that are two words and
also one ("in dem" / "indem", "so weit" / "soweit") stay apart. Joining a pair the document also writes
whole ("so genannte" / "sogenannte") changes nothing a reader or the search would mind: the search finds
the word the rest of the document uses, and the answer quotes it as the document spells it elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from luna.domain.documents import TextBlock

_WORD: Final = re.compile(r"[^\W\d_]+")
#: A word and the space after it, looking at a lower-case word that follows: only the space is replaced,
#: so the second word can open the next pair ("die wärme versorgung").
_SPLIT: Final = re.compile(r"(?<![^\W\d_-])([^\W\d_]+) (?=([^\W\d_A-ZÄÖÜ][^\W\d_]{3,})(?![^\W\d_-]))")
_MIN_JOINED: Final = 8


def join_split_words(blocks: Sequence[TextBlock]) -> list[TextBlock]:
    """``blocks`` with every split word closed whose whole form the blocks write elsewhere."""
    vocabulary = {word for block in blocks for word in _WORD.findall(block.text)}

    def joined(match: re.Match[str]) -> str:
        whole = match[1] + match[2]
        return match[1] if len(whole) >= _MIN_JOINED and whole in vocabulary else match[0]

    return [replace(block, text=_SPLIT.sub(joined, block.text)) for block in blocks]
