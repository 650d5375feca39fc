"""A streamed answer the client walks away from is not stored as a conversation turn: the customer
never read it, and a half-read answer in the history would be the context of the next question."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.container import Container
from luna.domain.health import ComponentHealth
from luna.ports.chat import ChatMessage
from luna.services.knowledge.ingest import IngestRequest
from tests.api.conftest import served_over_http

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "netzentgelte-2026.pdf"
CUSTOMER = {"X-Dev-User": "5e0c7d3a-1b2f-4e6d-9a8c-7b6d5e4f3a21"}
WORD_SEC = 0.05


class SlowChat:
    """The extractive answer, word by word, as a slow model on a busy machine would write it."""

    def __init__(self) -> None:
        self.inner = ExtractiveChatModel()
        self.finished = threading.Event()

    @property
    def model_name(self) -> str:
        return "slow-test-model"

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        for piece in self.inner.stream(messages):
            for word in piece.split(" "):
                time.sleep(WORD_SEC)
                yield word + " "
        self.finished.set()

    def warm_up(self) -> None:
        self.inner.warm_up()

    def health(self) -> ComponentHealth:
        return self.inner.health()


@pytest.fixture
def served(build_app: Callable[..., FastAPI]) -> Iterator[tuple[str, SlowChat]]:
    app = build_app()
    container: Container = app.state.container
    chat = SlowChat()
    container.chat = chat  # before the knowledge base is built on it
    container.services.knowledge.ingest.ingest(IngestRequest(SAMPLE.read_bytes(), filename=SAMPLE.name))
    with served_over_http(app) as base:
        yield base, chat


def test_an_answer_abandoned_after_its_first_words_leaves_no_conversation(
    served: tuple[str, SlowChat],
) -> None:
    base, chat = served
    body = {"question": "Wie hoch sind die Netzentgelte 2026 pro Kilowattstunde?", "stream": True}
    with httpx.stream("POST", f"{base}/api/v1/rag/ask", json=body, headers=CUSTOMER, timeout=30) as response:
        assert response.status_code == 200
        assert any(line == "event: token" for line in response.iter_lines())  # the first words arrived
    time.sleep(2)  # the rest of the answer would have been written meanwhile

    listed = httpx.get(f"{base}/api/v1/rag/conversations", headers=CUSTOMER).json()["data"]
    assert listed["conversations"] == [] and not chat.finished.is_set()


def test_an_answer_read_to_its_end_is_stored(served: tuple[str, SlowChat]) -> None:
    base, _ = served
    body = {"question": "Wie hoch sind die Netzentgelte 2026 pro Kilowattstunde?", "stream": True}
    with httpx.stream("POST", f"{base}/api/v1/rag/ask", json=body, headers=CUSTOMER, timeout=60) as response:
        events = [line for line in response.iter_lines() if line.startswith("event: ")]

    listed = httpx.get(f"{base}/api/v1/rag/conversations", headers=CUSTOMER).json()["data"]
    assert events[-1] == "event: done" and len(listed["conversations"]) == 1
