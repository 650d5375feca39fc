"""Words of a question found in a sentence, as the extractive answerer counts them: casefolded Snowball
German stems, where a stem that is the head or the modifier of a compound counts partly, since German
glues words together ("Netzentgelte" / "Entgelte … Netz")."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

import Stemmer

from luna.domain.answers import GERMAN_STOPWORDS

WORD = re.compile(r"[\wÄÖÜäöüß§]+")
#: A compound part must be this long to count, so "netz" matches "netzentgelt" but "an" matches nothing.
_MIN_COMPOUND_PART = 4
_COMPOUND_MATCH = 0.6
#: A noun said "mit" or "ohne" ("Gewerbe ohne Leistungsmessung", "mit einer Wärmepumpe").
_WITH_OR_WITHOUT = re.compile(
    r"\b((?i:mit|ohne))\s+(?:(?i:eine[mnrs]?|ein|de[mnr]|die|das)\s+)?([A-ZÄÖÜ][\wÄÖÜäöüß]*)"
)


class GermanStemmer:
    """Snowball German on casefolded words; PyStemmer objects are not thread-safe, hence the lock."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("german")
        self._lock = threading.Lock()

    def content_stems(self, text: str) -> list[str]:
        words = [w.casefold() for w in WORD.findall(text)]
        kept = [w for w in words if w not in GERMAN_STOPWORDS and (len(w) > 1 or w.isdigit())]
        with self._lock:
            return list(self._stemmer.stemWords(kept))

    def with_and_without(self, text: str) -> tuple[frozenset[str], frozenset[str]]:
        """The stems of the nouns ``text`` says "mit …" and those it says "ohne …"."""
        said = [(how.casefold() == "mit", noun.casefold()) for how, noun in _WITH_OR_WITHOUT.findall(text)]
        if not said:
            return frozenset(), frozenset()
        with self._lock:
            stems = self._stemmer.stemWords([noun for _, noun in said])
        return (
            frozenset(stem for (with_, _), stem in zip(said, stems, strict=True) if with_),
            frozenset(stem for (with_, _), stem in zip(said, stems, strict=True) if not with_),
        )


def term_match(term: str, stems: frozenset[str]) -> float:
    """1 when ``stems`` hold ``term``, 0.6 when one is a compound part of the other, else 0."""
    if term in stems:
        return 1.0
    for stem in stems:
        shorter, longer = sorted((term, stem), key=len)
        if len(shorter) >= _MIN_COMPOUND_PART and (longer.startswith(shorter) or longer.endswith(shorter)):
            return _COMPOUND_MATCH
    return 0.0


def contradicted(
    asked: tuple[frozenset[str], frozenset[str]], said: tuple[frozenset[str], frozenset[str]]
) -> frozenset[str]:
    """The stems a question asks "mit" that a sentence says only "ohne", and the reverse: such a sentence
    does not hold the word ("Haushalt ohne Leistungsmessung" is no answer to "… mit Leistungsmessung?")."""
    (asked_with, asked_without), (said_with, said_without) = asked, said
    return (asked_with & (said_without - said_with)) | (asked_without & (said_with - said_without))


def weighted_coverage(matches: dict[str, float], weights: dict[str, float], terms: Iterable[str]) -> float:
    """The weighted share of ``terms`` found (``matches``: 1 found, 0.6 as a compound part, 0 not)."""
    chosen = [term for term in terms if term in weights]
    total = sum(weights[term] for term in chosen)
    return sum(weights[term] * matches[term] for term in chosen) / total if total else 0.0
