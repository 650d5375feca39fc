"""Generated help texts, cached per dashboard route and model version."""

from __future__ import annotations

from typing import Protocol

from luna.domain.help import StoredHelpText


class HelpTextRepository(Protocol):
    def get(self, route: str, model_version: str) -> StoredHelpText | None: ...

    def put(self, text: StoredHelpText) -> None:
        """Insert or replace the text of (route, model_version); a concurrent put of the same key never
        fails."""
        ...

    def delete_other_versions(self, route: str, keep: str) -> int:
        """Forget the route's texts of every model version but ``keep`` (they can never be served again
        once the model or the knowledge base moved on); return how many."""
        ...

    def clear(self) -> int:
        """Forget every cached text (after the knowledge base changed a lot); return how many."""
        ...
