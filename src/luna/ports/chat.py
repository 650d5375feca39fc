"""Chat model: turns a question plus retrieved context into Luna's German answer, streamed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from luna.domain.health import ComponentHealth


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


class ChatModel(Protocol):
    @property
    def model_name(self) -> str: ...

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        """Yield the answer in pieces as the model produces them."""
        ...

    def health(self) -> ComponentHealth: ...
