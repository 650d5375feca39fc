"""A greeting, a thanks or a question about Luna as the whole message is answered as Luna; anything
more is a question and is searched (``domain/small_talk.py``)."""

from __future__ import annotations

import pytest

from luna.domain.answers import load_luna_prompts
from luna.domain.prompt_versions import check_prompts, packaged_prompt_text
from luna.domain.small_talk import small_talk_reply

TEXTS = load_luna_prompts().small_talk


@pytest.mark.parametrize(
    ("message", "opening"),
    [
        ("Hallo", "Guten Tag, ich bin Luna."),
        ("hallo Luna!", "Guten Tag, ich bin Luna."),
        ("Moin", "Guten Tag, ich bin Luna."),
        ("Danke!", "Gern geschehen."),
        ("Vielen Dank, Luna.", "Gern geschehen."),
        ("Wer bist du?", "Ich bin Luna und antworte aus den Dokumenten"),
        ("Was kann ich dich fragen?", "Ich bin Luna und antworte aus den Dokumenten"),
    ],
)
def test_small_talk_is_answered_as_luna(message: str, opening: str) -> None:
    reply = small_talk_reply(message, TEXTS)

    assert reply is not None and reply.startswith(opening)


@pytest.mark.parametrize(
    "message",
    [
        "Hallo, was kostet die Netznutzung pro Kilowattstunde?",
        "Danke, und für Gewerbe?",
        "Hilfe bei der Stromrechnung",
        "Wer bist du und was kostet Strom?",
        "Was kostet Strom?",
        "Hallo " * 20,
    ],
)
def test_a_message_with_a_question_in_it_is_searched(message: str) -> None:
    assert small_talk_reply(message, TEXTS) is None


def test_an_operators_prompt_version_rewords_the_replies() -> None:
    packaged = packaged_prompt_text()
    edited = packaged.replace(
        'thanks: "Gern geschehen. Wenn noch etwas offen ist, fragen Sie einfach."', 'thanks: "Sehr gern!"'
    )
    assert edited != packaged

    assert small_talk_reply("Danke!", check_prompts(edited).small_talk) == "Sehr gern!"
