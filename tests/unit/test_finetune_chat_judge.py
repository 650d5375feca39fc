"""A configured chat model judges candidate against opponent; both orders cancel its position bias."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from luna.domain.answers import ChatMessage
from luna.services.finetune.chat_judge import ChatJudge
from luna.services.finetune.metrics import win_rate

ALLOWED = [frozenset({"c1"})] * 3
REFERENCES = ["Strom kostet 30 ct [chunk c1]."] * 3


class ScriptedChat:
    """Answers what ``reply`` makes of the user turn; keeps what it was asked."""

    model_name = "judge-model"

    def __init__(self, reply: Callable[[str], str]) -> None:
        self._reply = reply
        self.asked: list[str] = []

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        self.asked.append(messages[-1].content)
        yield self._reply(messages[-1].content)


def test_a_judge_that_always_prefers_the_first_answer_gives_only_ties() -> None:
    judge = ChatJudge(ScriptedChat(lambda _: "1"))

    result = win_rate(["gut [chunk c1]"] * 3, ["schlecht"] * 3, REFERENCES, ALLOWED, judge=judge)

    assert (result.wins, result.ties, result.losses, result.rate) == (0, 3, 0, 0.5)


def test_a_judge_that_sees_the_better_answer_gives_the_candidate_its_wins() -> None:
    chat = ScriptedChat(lambda body: "1" if body.index("GUT") < body.index("SCHLECHT") else "2")

    result = win_rate(["GUT [chunk c1]"] * 3, ["SCHLECHT"] * 3, REFERENCES, ALLOWED, judge=ChatJudge(chat))

    assert result.rate == 1.0
    assert len(chat.asked) == 6  # each pair in both orders
    assert "Referenzantwort:\nStrom kostet 30 ct [chunk c1]." in chat.asked[0]


def test_an_answer_the_judge_cannot_be_read_from_is_a_tie() -> None:
    judge = ChatJudge(ScriptedChat(lambda _: "Beide Antworten sind interessant."))

    assert judge("a", "b", "r", frozenset()) == 0.5
    assert ChatJudge(ScriptedChat(lambda _: "Gleich.")).__call__("a", "b", "r", frozenset()) == 0.5
    assert (
        ChatJudge(ScriptedChat(lambda _: "Antwort 2 ist besser")).__call__("a", "b", "r", frozenset()) == 0.0
    )
