"""A configured chat model as the pairwise judge (issue #17: "judged by the configured chat model when
there is one").

Only a model served elsewhere (Ollama, an OpenAI-compatible server) judges: the in-process llama.cpp
model is the one being fine-tuned and must not judge its own adapters, and the extractive answerer
cannot judge. The judge sees the question, the reference answer and two answers, and answers "1", "2"
or "gleich"; anything else counts as a tie. ``metrics.win_rate`` asks it in both orders, so a model
that prefers whatever it reads first gives ties, not wins.
"""

from __future__ import annotations

import re
from typing import Final

from luna.domain.answers import ChatMessage
from luna.ports.chat import ChatModel

SYSTEM: Final = (
    "Du bewertest Antworten einer Energieberaterin. Besser ist die Antwort, die die Frage sachlich "
    "richtig beantwortet wie die Referenz, ihre Quellen [chunk …] korrekt nennt und nichts erfindet. "
    "Antworte nur mit 1, 2 oder gleich."
)
_VERDICT: Final = re.compile(r"\b(1|2|gleich)\b", re.IGNORECASE)
_SCORES: Final = {"1": 1.0, "2": 0.0, "gleich": 0.5}


class ChatJudge:
    def __init__(self, chat: ChatModel) -> None:
        self._chat = chat

    @property
    def name(self) -> str:
        return self._chat.model_name

    def __call__(self, first: str, second: str, reference: str, allowed: frozenset[str]) -> float:
        """1.0 when the first answer is better, 0.0 when the second is, 0.5 otherwise."""
        body = (
            f"Referenzantwort:\n{reference}\n\nAntwort 1:\n{first}\n\nAntwort 2:\n{second}\n\n"
            "Welche Antwort ist besser? (1, 2 oder gleich)"
        )
        text = "".join(self._chat.stream([ChatMessage("system", SYSTEM), ChatMessage("user", body)]))
        match = _VERDICT.search(text)
        return _SCORES[match[1].lower()] if match else 0.5
