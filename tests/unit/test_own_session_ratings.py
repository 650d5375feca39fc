"""Which of Luna's own conversation turns a customer's rating belongs to, when the flywheel reads them.

Ratings carry no conversation: they are matched by question and answer start. The same question asked
in two conversations got one rating, and both sessions counted it (the KPIs said n=2 for one vote).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from luna.domain.conversations import Conversation, Turn
from luna.domain.events import RagFeedback
from luna.services.flywheel.own_sessions import ratings_by_turn

START = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
QUESTION, ANSWER = "Was kostet die Netznutzung?", "Kurz gesagt: 8,12 ct/kWh [chunk c1]."


def _conversation(conversation_id: str, *minutes: int) -> Conversation:
    turns = tuple(
        Turn(at, QUESTION, ANSWER, "extractive", START + timedelta(minutes=minute))
        for at, minute in enumerate(minutes)
    )
    return Conversation(conversation_id, "u1", "t", turns[0].created_at, turns[-1].created_at, turns)


def _rating(minute: int, useful: bool = False) -> RagFeedback:
    return RagFeedback(f"f{minute}", "u1", START + timedelta(minutes=minute), QUESTION, ANSWER, useful)


def test_a_rating_belongs_to_the_newest_turn_answered_before_it_in_any_conversation() -> None:
    first, second = _conversation("a", 0), _conversation("b", 5)
    rating = _rating(6)

    assert ratings_by_turn(first, [rating], [second]) == {}
    assert ratings_by_turn(second, [rating], [first]) == {0: rating}


def test_asked_twice_in_one_conversation_only_the_later_turn_is_rated() -> None:
    twice = _conversation("a", 0, 3)

    assert ratings_by_turn(twice, [_rating(4)], []) == {1: _rating(4)}


def test_each_turn_keeps_its_own_rating_and_the_newer_of_two() -> None:
    twice = _conversation("a", 0, 3)
    first, changed, second = _rating(1), _rating(2, useful=True), _rating(4)

    assert ratings_by_turn(twice, [second, changed, first], []) == {0: changed, 1: second}
    assert ratings_by_turn(twice, [_rating(-1)], []) == {}  # rated before any answer: no turn's
