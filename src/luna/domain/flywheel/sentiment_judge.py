"""Sentiment by a chat model: the prompt, reading the reply, and the label kept per text.

The lexicon (:mod:`luna.domain.flywheel.sentiment`) is always there; a configured chat model
(``flywheel.sentiment: chat``) may read notes better, but only a reply that names exactly one of the
three German words counts. Anything else ("Die Stimmung ist eher …", an English word, silence) is
the lexicon's verdict, marked as such, so a weak model shows up in the figures instead of in the KPIs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final

from luna.domain.answers import ChatMessage
from luna.domain.flywheel.sentiment import Sentiment

SYSTEM_PROMPT: Final = (
    "Du bewertest die Stimmung einer kurzen Rückmeldung eines Energiekunden zu einer Antwort. "
    "Antworte nur mit einem Wort: positiv, neutral oder negativ."
)
_WORDS: Final = {"positiv": Sentiment.POSITIVE, "neutral": Sentiment.NEUTRAL, "negativ": Sentiment.NEGATIVE}
_WORD: Final = re.compile(r"\b(positiv|neutral|negativ)\w*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SentimentLabel:
    sentiment: Sentiment
    #: False: the model's reply named no sentiment, so this is the lexicon's.
    by_model: bool


def judge_messages(text: str) -> list[ChatMessage]:
    return [ChatMessage("system", SYSTEM_PROMPT), ChatMessage("user", text)]


def read_reply(reply: str) -> Sentiment | None:
    """The sentiment a reply names, or None when it names none or several different ones."""
    named = {_WORDS[word.casefold()] for word in _WORD.findall(reply)}
    return named.pop() if len(named) == 1 else None


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
