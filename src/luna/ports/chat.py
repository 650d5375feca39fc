"""Chat model: turns a question plus retrieved context into Luna's German answer, streamed.

Every backend (extractive, llama.cpp in-process, Ollama, OpenAI-compatible servers) takes the same
input: chat messages built by :func:`luna.domain.answers.build_rag_messages`, whose last user message
holds the ``[chunk <id>]``-labelled context and the question. Generative backends send the messages to
a model as they are; the extractive backend reads the question and the chunks back out of them with
:func:`luna.domain.answers.parse_rag_messages`. One interface keeps the RAG service backend-agnostic.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from luna.domain.answers import ChatMessage, ContextChunk
from luna.domain.errors import Unavailable
from luna.domain.health import ComponentHealth

__all__ = ["AnswerGate", "ChatMessage", "ChatModel", "ModelTimeout"]


class ModelTimeout(Unavailable):
    """The model did not finish within its configured ``timeout_sec``; the request may be retried."""

    code = "model_timeout"


class ChatModel(Protocol):
    @property
    def model_name(self) -> str: ...

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        """Yield the answer in pieces as the model produces them.

        Raises :class:`~luna.domain.errors.Unavailable` when the backend cannot be reached (after its
        retries) and :class:`ModelTimeout` when the whole answer takes longer than the timeout.
        """
        ...

    def warm_up(self) -> None:
        """Load the model now (a tiny request), so the first user question does not pay for it."""
        ...

    def health(self) -> ComponentHealth: ...


class AnswerGate(Protocol):
    """Decides whether retrieved passages answer a question at all, before any model writes.

    Every answering model obeys the same refusal rule (issue #14): a generating model would otherwise
    answer whatever it is given, and the extractive answerer's fitted judgment is the rule.
    """

    def answers(self, question: str, chunks: Sequence[ContextChunk]) -> bool: ...
