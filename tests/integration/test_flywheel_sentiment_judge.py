"""A chat model reads the sentiment of notes: each text once, within its budget, the lexicon behind it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from luna.container import Container, build_container
from luna.domain.answers import ChatMessage
from luna.domain.errors import Unavailable
from luna.domain.flywheel.kpi_values import ALL, Kpi, Window
from luna.domain.flywheel.sentiment import Sentiment
from luna.domain.flywheel.sessions import IncomingSession, SessionTurn
from luna.domain.health import ComponentHealth
from luna.services.flywheel.kpis import KpiService
from luna.services.flywheel.sentiment import SentimentJudge
from luna.settings import Settings

NOW = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)


class ScriptedModel:
    """Answers by the note's first word; "kaputt" makes it unreachable."""

    model_name = "scripted-judge"

    def __init__(self, replies: dict[str, str]) -> None:
        self.replies = replies
        self.asked: list[str] = []

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        text = messages[-1].content
        if text.startswith("kaputt"):
            raise Unavailable("the model server is down")
        self.asked.append(text)
        yield self.replies.get(text.split()[0], "Das kann ich nicht sagen.")

    def warm_up(self) -> None:
        return None

    def health(self) -> ComponentHealth:
        raise NotImplementedError


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    built = build_container(make_settings())
    built.database.upgrade()
    yield built
    built.close()


def test_each_text_is_asked_once_and_an_unreadable_reply_is_the_lexicons(container: Container) -> None:
    model = ScriptedModel({"Naja,": "Negativ.", "Super,": "positiv", "Hm,": "weiß nicht"})
    judge = SentimentJudge(container.database, model, max_calls=10)
    texts = ["Naja, so richtig geholfen hat das nicht.", "Super, danke!", "Hm, das ist leider falsch."]

    first = judge.judge([*texts, texts[0]])

    assert first.sentiments == {
        texts[0]: Sentiment.NEGATIVE,
        texts[1]: Sentiment.POSITIVE,
        texts[2]: Sentiment.NEGATIVE,  # the reply named nothing: the lexicon reads "leider falsch"
    }
    assert (first.asked, first.unreadable) == (3, 1)
    again = judge.judge(texts)
    assert again.sentiments == first.sentiments and again.asked == 0
    assert sorted(model.asked) == sorted(texts)  # each text went to the model once


def test_the_budget_and_an_unreachable_model_leave_the_rest_to_next_time(container: Container) -> None:
    model = ScriptedModel({"Gut": "positiv"})
    judge = SentimentJudge(container.database, model, max_calls=2)
    texts = ["Gut 1", "Gut 2", "Gut 3", "kaputt und schlecht"]

    assert judge.judge(texts).asked == 2
    assert judge.judge(texts).asked == 1  # the third now; the broken one stops the asking
    last = judge.judge(texts)
    assert last.asked == 0
    assert last.sentiments["kaputt und schlecht"] is Sentiment.NEGATIVE  # the lexicon's, not stored


def test_the_kpis_read_the_models_verdict(container: Container) -> None:
    note = "Naja."  # the lexicon finds nothing in it: neutral
    asked = NOW - timedelta(minutes=5)
    turn = SessionTurn("Was kostet Strom?", "30 ct/kWh", asked, (), -1, note, None, None)
    container.services.sessions.ingest([IncomingSession("s1", "n8n", "a@example.org", True, (turn,))])
    judge = SentimentJudge(container.database, ScriptedModel({"Naja.": "negativ"}), max_calls=5)

    KpiService(container.database, judge=judge, clock=lambda: NOW).compute()

    day = {v.kpi: v.value for v in KpiService(container.database).latest() if v.window is Window.DAY}
    assert day[Kpi.NEGATIVE_SENTIMENT_RATE] == 1.0
    lexicon_only = KpiService(container.database, clock=lambda: NOW)
    lexicon_only.compute()
    latest = lexicon_only.latest()
    assert [
        v.value
        for v in latest
        if v.kpi is Kpi.NEGATIVE_SENTIMENT_RATE and v.window is Window.DAY and v.scope == ALL
    ] == [0.0]
