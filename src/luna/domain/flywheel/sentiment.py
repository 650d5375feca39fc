"""The tone of a short German feedback text: a rating's note, or the user's next message after an answer.

The flywheel counts negative notes and follow-ups (``negative_sentiment_rate``), so this must run on the
customer's machine, offline, in microseconds, and be explainable to the operator who sees an alert. No
German sentiment model can be downloaded here, so it is a lexicon (``sentiment_de.txt``, written by us
for energy-customer feedback) with a few rules that matter in such texts:

* **negation** flips the polar word it scopes: the next one within a few words (``nicht hilfreich``,
  ``keine hilfreiche Antwort``) or, when nothing polar follows in the clause, the one just before
  (``das hilft mir nicht``, German puts ``nicht`` at the end). A negated negative word becomes only
  weakly positive (``nicht falsch`` is praise with reservations); fixed phrases whose meaning is not
  the sum of their words (``kein Problem``, ``nicht schlecht``) are lexicon entries of their own;
* **intensifiers** (``sehr``, ``total``) and softeners (``etwas``) scale the next polar word;
* **contrast** (``aber``, ``jedoch``, ``sondern``): the clause after it is what the writer means, so
  everything before it weighs less (``Danke, aber das stimmt nicht`` is a complaint);
* **questions** weigh less (``Lohnt sich ein Speicher?`` asks, it does not judge), exclamations more;
* **emoji** (👍 👎 🙂 😡), emoticons (``:)``) and stance words (``leider``, ``endlich``) are polar
  but out of reach of negation: in ``stimmt leider nicht`` the ``nicht`` negates ``stimmt``.

Words are compared case-folded with umlauts spelled out (``ä`` → ``ae``), so ``Gebühren`` and
``Gebuehren`` are the same word. :func:`score` is the sum of the contributions squashed into -1..1;
:func:`classify` cuts it at :data:`THRESHOLD`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Final


class Sentiment(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"


#: |score| at or above which a text is positive or negative rather than neutral.
THRESHOLD: Final = 0.2
#: How much a polar word keeps when negated: positive words turn clearly negative ...
NEGATED_POSITIVE: Final = -1.1
#: ... negative words only weakly positive (``nicht falsch`` is no praise).
NEGATED_NEGATIVE: Final = -0.4
#: Everything before a contrast word counts this much (per contrast word that follows it).
BEFORE_CONTRAST: Final = 0.4
#: Weight of a sentence that ends in ``?`` or ``!``.
QUESTION: Final = 0.35
EXCLAMATION: Final = 1.2
#: How many units (words or phrases) after / before a negation word it may reach.
NEGATION_AHEAD: Final = 3
NEGATION_BEHIND: Final = 4
#: Squashing constant: ``s / sqrt(s² + ALPHA)``, so one plain polar word (weight 2) scores about 0.7.
ALPHA: Final = 4.0

_SENTENCE_ENDS: Final = frozenset({".", "!", "?", ";"})
_CLAUSE_BREAKS: Final = frozenset({",", ":", "–", "—", "(", ")"})
_IGNORED: Final = frozenset({"\ufe0f", "\u200d"}) | {chr(c) for c in range(0x1F3FB, 0x1F400)}
_TOKEN: Final = re.compile(r"[:;]-?[()dp](?!\w)|[^\W_]+|[^\w\s]")
_FOLD: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def _fold(text: str) -> str:
    """Case-folded, umlauts spelled out: how both the lexicon and the texts are compared."""
    return text.casefold().translate(_FOLD)


def tokens(text: str) -> list[str]:
    """Words, numbers and single symbols (punctuation, emoji, emoticons) of the folded text."""
    return [token for token in _TOKEN.findall(_fold(text)) if token not in _IGNORED]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The resource file, parsed: polar entries by how they match, and the rule words."""

    words: Mapping[str, float]
    stems: Mapping[str, float]
    #: First word → (all words, weight), longest first; a word ending in ``*`` matches as a prefix.
    phrases: Mapping[str, tuple[tuple[tuple[str, ...], float], ...]]
    #: Stance words (``leider``): polar, but out of reach of negations and intensifiers.
    attitudes: Mapping[str, float]
    negations: frozenset[str]
    intensifiers: Mapping[str, float]
    contrasts: frozenset[str]

    def stem_weight(self, token: str) -> float | None:
        """The weight of the longest stem the token starts with, or None."""
        for end in range(len(token), 1, -1):
            weight = self.stems.get(token[:end])
            if weight is not None:
                return weight
        return None


def parse_lexicon(text: str) -> Lexicon:
    """``[section]`` headers, then one entry a line (``term<TAB>weight``); ``#`` starts a comment."""
    sections: dict[str, list[tuple[str, float]]] = {}
    current: list[tuple[str, float]] | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        if current is None:
            raise ValueError(f"lexicon entry before any [section]: {raw!r}")
        term, _, weight = line.partition("\t")
        current.append((_fold(term.strip()), float(weight) if weight.strip() else 1.0))
    return _lexicon(sections)


def _lexicon(sections: Mapping[str, list[tuple[str, float]]]) -> Lexicon:
    words: dict[str, float] = {}
    stems: dict[str, float] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], float]]] = {}
    for term, weight in sections.get("polarity", []):
        if " " in term:
            parts = tuple(term.split())
            phrases.setdefault(parts[0], []).append((parts, weight))
        elif term.endswith("*"):
            stems[term[:-1]] = weight
        else:
            words[term] = weight
    return Lexicon(
        words=words,
        stems=stems,
        phrases={first: tuple(sorted(found, key=lambda p: -len(p[0]))) for first, found in phrases.items()},
        attitudes=dict(sections.get("attitude", [])),
        negations=frozenset(term for term, _ in sections.get("negation", [])),
        intensifiers=dict(sections.get("intensifier", [])),
        contrasts=frozenset(term for term, _ in sections.get("contrast", [])),
    )


@cache
def lexicon() -> Lexicon:
    """The lexicon shipped beside this module, read once."""
    source = resources.files("luna.domain.flywheel").joinpath("sentiment_de.txt")
    return parse_lexicon(source.read_text(encoding="utf-8"))


def score(text: str) -> float:
    """The text's tone in -1 (clearly negative) .. 1 (clearly positive); 0 when nothing polar is said."""
    return _squash(_raw_score(tokens(text), lexicon()))


def classify(text: str) -> Sentiment:
    value = score(text)
    if value >= THRESHOLD:
        return Sentiment.POSITIVE
    if value <= -THRESHOLD:
        return Sentiment.NEGATIVE
    return Sentiment.NEUTRAL


def _squash(total: float) -> float:
    return total / math.sqrt(total * total + ALPHA)


def _raw_score(words: Sequence[str], lex: Lexicon) -> float:
    """The sum over clauses; a clause counts less for each contrast word after it and in a question."""
    total = 0.0
    damping = 1.0
    for clause, after_contrast, mood in reversed(_clauses(words, lex)):
        total += damping * mood * _clause_score(clause, lex)
        if after_contrast:
            damping *= BEFORE_CONTRAST
    return total


def _clauses(words: Sequence[str], lex: Lexicon) -> list[tuple[list[str], bool, float]]:
    """(clause words, whether a contrast word opened it, its sentence's weight) in text order."""
    clauses: list[tuple[list[str], bool, float]] = []
    sentence_start = 0
    current: list[str] = []
    after_contrast = False
    for word in [*words, "."]:
        if word in _SENTENCE_ENDS or word in _CLAUSE_BREAKS or word in lex.contrasts:
            if current:
                clauses.append((current, after_contrast, 1.0))
                current, after_contrast = [], False
            after_contrast = after_contrast or word in lex.contrasts
            if word in _SENTENCE_ENDS:
                mood = QUESTION if word == "?" else EXCLAMATION if word == "!" else 1.0
                clauses[sentence_start:] = [(c, a, mood) for c, a, _ in clauses[sentence_start:]]
                sentence_start = len(clauses)
        else:
            current.append(word)
    return clauses


def _units(clause: Sequence[str], lex: Lexicon) -> list[tuple[str, float]]:
    """The clause as (kind, weight): "polar" words and phrases, "fixed" (emoji, emoticons and attitude
    words: polar, but no word negates or intensifies them), "negation", "intensifier" (its factor),
    "other"."""
    units: list[tuple[str, float]] = []
    index = 0
    while index < len(clause):
        word = clause[index]
        phrase = _phrase_at(clause, index, lex)
        if phrase is not None:
            length, weight = phrase
            units.append(("polar", weight))
            index += length
            continue
        polar = lex.words.get(word)
        if polar is None and word not in lex.negations and word not in lex.intensifiers:
            polar = lex.stem_weight(word)
        if word in lex.attitudes:
            units.append(("fixed", lex.attitudes[word]))
        elif polar is not None:
            units.append(("polar" if word[0].isalnum() else "fixed", polar))
        elif word in lex.negations:
            units.append(("negation", 0.0))
        elif word in lex.intensifiers:
            units.append(("intensifier", lex.intensifiers[word]))
        else:
            units.append(("other", 0.0))
        index += 1
    return units


def _phrase_at(clause: Sequence[str], index: int, lex: Lexicon) -> tuple[int, float] | None:
    """The longest lexicon phrase starting at ``index``: (its length in words, its weight)."""
    for parts, weight in lex.phrases.get(clause[index], ()):
        window = clause[index : index + len(parts)]
        if len(window) == len(parts) and all(
            _matches(word, part) for word, part in zip(window, parts, strict=True)
        ):
            return len(parts), weight
    return None


def _matches(word: str, part: str) -> bool:
    return word.startswith(part[:-1]) if part.endswith("*") else word == part


def _clause_score(clause: Sequence[str], lex: Lexicon) -> float:
    """Polar units summed after intensifiers scaled and negations flipped the ones they reach."""
    units = _units(clause, lex)
    values = [weight if kind in ("polar", "fixed") else 0.0 for kind, weight in units]
    polar = [kind == "polar" for kind, _ in units]
    negated: set[int] = set()
    for index, (kind, weight) in enumerate(units):
        if kind == "intensifier":
            target = _next_polar(polar, index, 2)
            if target is not None:
                values[target] *= weight
        elif kind == "negation":
            target = _next_polar(polar, index, NEGATION_AHEAD, negated)
            if target is None:
                target = _previous_polar(polar, index, NEGATION_BEHIND, negated)
            if target is not None:
                negated.add(target)
                values[target] *= NEGATED_POSITIVE if values[target] > 0 else NEGATED_NEGATIVE
    return sum(values)


def _next_polar(polar: Sequence[bool], index: int, reach: int, taken: set[int] | None = None) -> int | None:
    for target in range(index + 1, min(index + 1 + reach, len(polar))):
        if polar[target] and (taken is None or target not in taken):
            return target
    return None


def _previous_polar(polar: Sequence[bool], index: int, reach: int, taken: set[int]) -> int | None:
    for target in range(index - 1, max(index - 1 - reach, -1), -1):
        if polar[target] and target not in taken:
            return target
    return None
