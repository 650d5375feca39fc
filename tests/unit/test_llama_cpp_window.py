"""Which messages a llama.cpp model gets when a conversation grows past its context window."""

from __future__ import annotations

from luna.adapters.models.llama_cpp import within_window
from luna.domain.answers import ChatMessage


def _words(text: str) -> int:
    return len(text.split())


SYSTEM = ChatMessage("system", "Du bist Luna.")
QUESTION = ChatMessage("user", "Kontext und Frage " * 5)


def _exchange(n: int, words: int) -> list[ChatMessage]:
    return [ChatMessage("user", f"Frage {n}?"), ChatMessage("assistant", "Antwort " * words)]


def test_messages_that_fit_go_unchanged() -> None:
    messages = [SYSTEM, *_exchange(1, 10), QUESTION]

    assert within_window(messages, _words, budget=200) == messages


def test_the_oldest_exchanges_go_first_and_whole_so_turns_still_alternate() -> None:
    messages = [SYSTEM, *_exchange(1, 60), *_exchange(2, 20), QUESTION]

    kept = within_window(messages, _words, budget=100)

    assert kept == [SYSTEM, *_exchange(2, 20), QUESTION]


def test_the_system_prompt_and_the_question_stay_even_when_no_exchange_fits() -> None:
    messages = [SYSTEM, *_exchange(1, 500), QUESTION]

    assert within_window(messages, _words, budget=60) == [SYSTEM, QUESTION]


def test_a_question_that_leaves_too_little_room_still_goes_without_the_history() -> None:
    # The answer is then shorter than max_tokens; with the history it might not fit the window at all.
    messages = [SYSTEM, *_exchange(1, 5), QUESTION]

    assert within_window(messages, _words, budget=10) == [SYSTEM, QUESTION]
