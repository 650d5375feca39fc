"""Stored conversations with Luna: one row per conversation, one per turn."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from luna.domain.conversations import Conversation, Turn


class ConversationRepository(Protocol):
    def add(self, conversation: Conversation) -> None: ...

    def get(self, conversation_id: str, *, with_turns: bool = True) -> Conversation | None: ...

    def list_for_user(self, user_id: str, *, limit: int, offset: int = 0) -> Sequence[Conversation]:
        """The user's conversations, the one with the newest turn first, without their turns; the first
        ``offset`` of them left out (pages)."""
        ...

    def updated_between(self, start: datetime, end: datetime, *, limit: int) -> Sequence[Conversation]:
        """Conversations (with their turns) whose newest turn lies in ``[start, end)``, oldest first."""
        ...

    def add_turn(self, conversation_id: str, turn: Turn) -> None:
        """Append ``turn`` (its ``position`` is the next free one) and move ``updated_at`` to its time."""
        ...

    def delete(self, conversation_id: str) -> bool:
        """Remove the conversation and its turns; False when it did not exist."""
        ...

    def delete_for_user(self, user_id: str) -> int:
        """Remove all of the user's conversations with their turns (erasure); return how many."""
        ...

    def count(self, *, user_id: str | None = None) -> int: ...
