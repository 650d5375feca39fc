"""A `/v1` answer stream that breaks after its first chunk ends with an error event and ``[DONE]``, which
the openai client raises, instead of stopping without a word (a chat tool showed half an answer as whole)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from luna.api.routers.openai_chat import _chunks
from luna.domain.errors import Unavailable
from luna.services.knowledge.answering import AnswerEvent


def _breaking() -> Iterator[AnswerEvent]:
    yield AnswerEvent("token", " weiter")
    raise Unavailable("Der Chat-Server antwortet nicht mehr.")


def test_a_stream_that_breaks_ends_with_an_error_event_and_done() -> None:
    events = list(_chunks("chatcmpl-1", AnswerEvent("token", "Kurz"), _breaking(), None))

    assert events[-1] == "data: [DONE]\n\n"
    error = json.loads(events[-2].removeprefix("data: "))["error"]
    assert error == {
        "message": "Der Chat-Server antwortet nicht mehr.",
        "type": "server_error",
        "code": "unavailable",
    }
    said = [json.loads(e.removeprefix("data: "))["choices"][0]["delta"].get("content") for e in events[:-2]]
    assert said == ["", "Kurz", " weiter"]  # what was sent stays, and no "stop" claims it whole
