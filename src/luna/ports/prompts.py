"""Versions of Luna's prompt file kept in SQL, and the prompts she answers with now.

Versions are numbered from 1 (0 is the packaged file, never stored) and never changed once kept; at most
one is active. Without an active version Luna answers with the packaged file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from luna.domain.answers import LunaPrompts
from luna.domain.prompt_versions import PromptVersion

#: The prompts to answer the next question with and their version (0: the packaged file). Called once
#: per question, so an edit made through the admin view reaches the next answer.
ActivePrompts = Callable[[], tuple[int, LunaPrompts]]


class PromptVersionRepository(Protocol):
    def add(
        self, text: str, *, sha256: str, author: str, note: str | None, created_at: datetime
    ) -> PromptVersion:
        """Keep ``text`` as the version after the highest and make it the only active one (within this
        unit of work: another writer waits, so two versions are never active at once)."""
        ...

    def get(self, version: int) -> PromptVersion | None: ...

    def list(self, *, limit: int = 100) -> Sequence[PromptVersion]:
        """Newest first."""
        ...

    def active(self) -> PromptVersion | None:
        """The active version, or None: the packaged file answers."""
        ...

    def active_version(self) -> int | None:
        """Only the active version's number (the cheap read answering does every few seconds)."""
        ...

    def activate(self, version: int | None) -> None:
        """Make ``version`` the only active one; None leaves none active (the packaged file answers).
        An unknown version raises ``NotFound`` and changes nothing."""
        ...
