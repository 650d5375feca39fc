"""Proper names in German text: the firms, brands and places a question names."""

from __future__ import annotations

from typing import Protocol


class ProperNames(Protocol):
    def names(self, text: str) -> list[str]:
        """The proper names of ``text`` in order, as written (one word each: "Viessmann", "Basel-Stadt")."""
        ...
