"""Conversations with Luna: turns kept in order, and follow-up questions read in their context.

A customer asks "Was kostet die Netznutzung pro Kilowattstunde?" and then "Und für Gewerbe?". The
second question alone names no topic, so retrieval would search for "Gewerbe" anywhere. A follow-up
(a short question, or one that opens with "und", "aber", "was ist mit" … or refers back with "das",
"dafür", "davon" …) is therefore searched together with the question it follows; a question that
stands on its own is searched as it is, so changing the subject never drags the old topic along.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

#: How a follow-up opens: a conjunction or a question about "the same, but for …".
_FOLLOW_UP_OPENING: Final = re.compile(
    r"^(?:und|aber|oder|sowie|auch|also|dann|"
    r"(?:was|wie)\s+(?:ist|sieht|steht|verhält)\s+(?:es\s+)?(?:mit|bei|für)|"
    r"gilt\s+(?:das|dies|es)|trifft\s+(?:das|dies)|"
    r"und\s+wenn|was\s+(?:ist|wäre),?\s+wenn)\b",
    re.IGNORECASE,
)
#: Words that point back to what was said before ("dafür", "davon", "dort" …). Not "das": it is
#: mostly an article ("Was regelt das EEG?").
_BACK_REFERENCES: Final = frozenset(
    {
        *("dies", "diese", "dieser", "dieses", "diesem", "diesen", "jene", "jener", "jenes"),
        *("dafür", "davon", "dazu", "damit", "daran", "darauf", "darüber", "dort", "dabei"),
        *("ebenfalls", "ebenso", "genauso"),
    }
)
_WORD: Final = re.compile(r"[\wÄÖÜäöüß§-]+")
#: A question of at most this many words is read as a follow-up ("Und 2025?", "Für Gewerbe?").
_SHORT_QUESTION_WORDS: Final = 3
#: A conversation's title: its first question, cut to this length.
TITLE_CHARS: Final = 80
#: The longest question Luna searches for (the API refuses a longer one with 400).
MAX_QUESTION_CHARS: Final = 2000


@dataclass(frozen=True, slots=True)
class SourceSnapshot:
    """A cited chunk as it was shown with the answer, so a reloaded conversation shows the same."""

    chunk_id: str
    score: float
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Turn:
    position: int
    question: str
    answer: str
    model: str
    created_at: datetime
    sources: tuple[SourceSnapshot, ...] = ()
    unsupported_numbers: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Conversation:
    conversation_id: str
    user_id: str
    title: str
    created_at: datetime
    updated_at: datetime
    turns: tuple[Turn, ...] = field(default=())


def is_follow_up(question: str) -> bool:
    """Whether ``question`` only makes sense after the one before it."""
    text = question.strip()
    words = [word.lower() for word in _WORD.findall(text)]
    if not words:
        return False
    if len(words) <= _SHORT_QUESTION_WORDS or _FOLLOW_UP_OPENING.match(text):
        return True
    return any(word in _BACK_REFERENCES for word in words[:4])


def retrieval_question(question: str, earlier: Sequence[str]) -> str:
    """What to search for: a follow-up together with the newest question that stands on its own.

    ``earlier`` are the conversation's previous questions, oldest first. Going back to the newest
    self-contained question (not just the previous one) keeps the topic across a chain of follow-ups:
    "Was kostet die Netznutzung?" → "Und für Gewerbe?" → "Und mit Leistungsmessung?".
    """
    if not earlier or not is_follow_up(question):
        return question
    anchor_at = max((i for i, text in enumerate(earlier) if not is_follow_up(text)), default=0)
    chain = [text.strip() for text in [*earlier[anchor_at:], question]]
    # A follow-up of the allowed length must not make the search refuse the joined text: the oldest
    # questions give way first, the follow-up itself never.
    while len(chain) > 1 and len(" ".join(chain)) > MAX_QUESTION_CHARS:
        chain.pop(0)
    return " ".join(chain)


def own_words(searched: str, previous: str) -> str | None:
    """What a follow-up says itself in ``searched`` (what :func:`retrieval_question` made of it, perhaps
    with the statute's terms after it), given the question asked just before it: the text after that
    question (None: ``searched`` does not continue it, so it was not joined).

    The joined text finds the right passage, but a row that answers "Und im Niedriglastfenster?"
    holds few of the words of "Wann gilt das Hochlastfenster? Und im Niedriglastfenster?": whether
    a passage answers is then also asked of the follow-up's own words."""
    text, before = " ".join(searched.split()), " ".join(previous.split())
    at = text.find(f"{before} ") if before else -1
    own = text[at + len(before) + 1 :] if at >= 0 else ""
    return own if _WORD.search(own) else None


def conversation_title(first_question: str) -> str:
    """A conversation is listed under its first question, shortened at a word boundary."""
    text = " ".join(first_question.split())
    if len(text) <= TITLE_CHARS:
        return text
    return text[:TITLE_CHARS].rsplit(" ", 1)[0] + " …"
