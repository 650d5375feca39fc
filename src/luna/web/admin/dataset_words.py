"""The datasets page's words for a pipeline's cleaning steps (no page here: importing one registers it)."""

from __future__ import annotations

from typing import Final

#: The cleaning steps as the page names them; the pipeline file's own word stays in brackets.
_STEP_WORDS: Final = {
    "validate": "Prüfung der Felder",
    "dedup": "Dubletten",
    "outliers": "Ausreißer",
    "pii": "Personendaten",
    "strict": "gleich",
    "fuzzy": "ähnlich im Wortlaut",
    "semantic": "ähnlich im Sinn",
    "zscore": "z-Wert",
    "iqr": "Quartilsabstand",
    "isolation_forest": "Isolation Forest",
}


def step_label(name: str) -> str:
    """``dedup:strict`` → "Dubletten, gleich (dedup:strict)"; an unknown step keeps its name."""
    words = [_STEP_WORDS.get(part, part) for part in name.split(":")]
    german = words[0] + (f", {', '.join(words[1:])}" if len(words) > 1 else "")
    return german if german == name else f"{german} ({name})"
