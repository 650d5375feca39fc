"""Which sentiment each feedback text has: the lexicon, or a chat model with the lexicon behind it.

With ``flywheel.sentiment: chat`` the configured chat model reads each distinct note or follow-up
once; its labels are kept in SQL by text hash and model name, so the hourly job asks only about new
texts, and at most ``flywheel.sentiment_model_calls`` per run (the rest get the lexicon's verdict this
run and are asked next time). A model that cannot be reached ends the asking for this run; nothing is
stored for the texts it did not judge. The extractive answerer is no model, so it never judges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from luna.domain.errors import Unavailable
from luna.domain.flywheel.sentiment import Sentiment, classify
from luna.domain.flywheel.sentiment_judge import SentimentLabel, judge_messages, read_reply, text_key
from luna.ports.chat import ChatModel
from luna.ports.sql import Database

log = structlog.stdlib.get_logger("luna.flywheel")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class JudgedTexts:
    sentiments: dict[str, Sentiment]
    #: Texts the model was asked about in this run, and how many of its replies named no sentiment.
    asked: int = 0
    unreadable: int = 0


class SentimentJudge:
    def __init__(
        self,
        database: Database,
        chat: ChatModel | None,
        *,
        max_calls: int,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._database = database
        self._chat = chat
        self._max_calls = max_calls
        self._clock = clock

    def judge(self, texts: Iterable[str]) -> JudgedTexts:
        distinct = sorted(set(texts))
        if self._chat is None:
            return JudgedTexts({text: classify(text) for text in distinct})
        judge = self._chat.model_name
        keys = {text: text_key(text) for text in distinct}
        with self._database.unit_of_work(read_only=True) as uow:
            known = uow.sentiment_labels.get_many(judge, list(keys.values()))
        new = [text for text in distinct if keys[text] not in known][: self._max_calls]
        asked = _ask(self._chat, new)
        with self._database.unit_of_work() as uow:
            uow.sentiment_labels.put_many(
                judge, [(keys[t], label) for t, label in asked.items()], self._clock()
            )
            uow.commit()
        labels = {**{t: known[keys[t]] for t in distinct if keys[t] in known}, **asked}
        sentiments = {t: labels[t].sentiment if t in labels else classify(t) for t in distinct}
        unreadable = sum(1 for label in asked.values() if not label.by_model)
        return JudgedTexts(sentiments, len(asked), unreadable)


def _ask(chat: ChatModel, texts: list[str]) -> dict[str, SentimentLabel]:
    """The model's label of each text, until the model cannot be reached."""
    labels: dict[str, SentimentLabel] = {}
    for text in texts:
        try:
            reply = "".join(chat.stream(judge_messages(text)))
        except Unavailable as error:
            log.warning("sentiment_model_unavailable", model=chat.model_name, error=error.message)
            break
        named = read_reply(reply)
        labels[text] = SentimentLabel(named, True) if named else SentimentLabel(classify(text), False)
    return labels
