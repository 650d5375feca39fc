"""Generated help texts, cached per dashboard route and model version."""

from __future__ import annotations

from typing import Protocol

from luna.domain.help import StoredHelpText


class HelpTextRepository(Protocol):
    def get(self, route: str, model_version: str) -> StoredHelpText | None: ...

    def put(self, text: StoredHelpText) -> None:
        """Insert or replace the text of (route, model_version)."""
        ...

    def clear(self) -> int:
        """Forget every cached text (after the knowledge base changed a lot); return how many."""
        ...
