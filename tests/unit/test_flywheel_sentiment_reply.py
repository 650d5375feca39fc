"""A chat model's reply counts only when it names exactly one sentiment."""

from __future__ import annotations

import pytest

from luna.domain.flywheel.sentiment import Sentiment
from luna.domain.flywheel.sentiment_judge import judge_messages, read_reply


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("negativ", Sentiment.NEGATIVE),
        ("Positiv.", Sentiment.POSITIVE),
        ("  NEUTRAL\n", Sentiment.NEUTRAL),
        ("Die Stimmung ist negativ, eindeutig negativ.", Sentiment.NEGATIVE),
        ("positiv oder negativ", None),  # two verdicts: none
        ("negative", Sentiment.NEGATIVE),  # the English ending still names the German word
        ("Ich weiß es nicht.", None),
        ("", None),
    ],
)
def test_a_reply_names_one_sentiment_or_none(reply: str, expected: Sentiment | None) -> None:
    assert read_reply(reply) is expected


def test_the_note_is_the_user_message_after_the_instruction() -> None:
    system, user = judge_messages("Hat nicht geholfen.")
    assert (system.role, user.role, user.content) == ("system", "user", "Hat nicht geholfen.")
    assert "positiv, neutral oder negativ" in system.content
