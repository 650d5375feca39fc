"""Proper names in German text: the firms, brands and places a question names."""

from __future__ import annotations

from typing import Protocol


class ProperNames(Protocol):
    def names(self, text: str) -> list[str]:
        """The proper names of ``text`` in order, as written (one word each: "Viessmann", "Basel-Stadt")."""
        ...

    def base_form(self, name: str) -> str:
        """``name``'s dictionary form where it is an inflected word ("Boni" → "Bonus"), else ``name``:
        the tagger takes a rare plural for a name, which the documents write in another form."""
        ...
