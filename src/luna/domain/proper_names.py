"""Which proper names of a question the knowledge base must know before Luna answers it.

A question about a firm, a brand or a place that no document names ("Wie viele Rappen zahlen die IWB in
Basel …?", "… eine Wärmepumpe von Viessmann …", "… im Kanton Bern …") finds passages on its topic and
was answered from them, about somewhere else. A part-of-speech tagger finds the names; this module
decides which of them count. Measured in ``bench/absent_names.py`` (issue #14): abbreviations are left
out, because a domain's abbreviations ("BHKW", "MaLo", "iMSys") are tagged as names as often as firms
are, and the documents write them out; so are names with digits and people's names (a reader who
introduces themselves does not ask about themselves; the caller redacts personal data first, see
:func:`luna.domain.privacy.redact`, and a first name alone is left out here).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from luna.domain.document_country import is_country_name
from luna.domain.everyday_terms import EVERYDAY_SYNONYMS
from luna.domain.german_text import fold
from luna.domain.privacy import first_names

#: A law or regulation named by a word of its own ("Kohlendioxidkostenaufteilungsgesetz",
#: "EU-F-Gase-Verordnung"), which the part-of-speech tagger calls a noun.
_LAW_WORD = re.compile(
    r"(?<![\w-])[\wÄÖÜäöüß-]+?(?:gesetz|gesetzes|verordnung|richtlinie)(?![\w-])", re.IGNORECASE
)
_GENITIVE = re.compile(r"(?<=gesetz)es$", re.IGNORECASE)
#: Luna's everyday names for statutes ("Heizungsgesetz" for the GEG), folded: never an unknown law.
_EVERYDAY_NAMES = frozenset(fold(member) for group in EVERYDAY_SYNONYMS for member in group)
#: "Basel-Stadt" is known when "Basel" and "Stadt" are: documents write a place's parts apart as often.
_NAME_PARTS = re.compile(r"[-.]")


def names_to_look_up(names: Iterable[str]) -> list[str]:
    """The ``names`` worth looking up, each once, in order: without abbreviations (two capitals or more:
    "BHKW", "KfW", "MaLo"), names with digits, first names ("Erika") and countries ("Deutschland": the
    country rule, :func:`luna.domain.document_country.uncovered_countries`, judges those)."""
    people = first_names()
    kept: list[str] = []
    for name in names:
        abbreviation = sum(char.isupper() for char in name) >= 2
        left_out = abbreviation or any(char.isdigit() for char in name) or name in people
        if not (left_out or is_country_name(name) or name in kept):
            kept.append(name)
    return kept


def name_parts(name: str) -> list[str]:
    """The words of a name as documents may write them apart ("Basel-Stadt" → Basel, Stadt)."""
    return [part for part in _NAME_PARTS.split(name) if part]


def law_names(question: str) -> list[str]:
    """The laws and regulations ``question`` names by a word of their own, each once, except the everyday
    names Luna knows for statutes ("Heizungsgesetz" for the GEG, ``luna.domain.everyday_terms``). Like a
    section of a law the knowledge base does not hold ("§ 14a EStG", :mod:`luna.domain.legal_references`),
    such a law is no topic another law answers."""
    found = (_GENITIVE.sub("", word) for word in _LAW_WORD.findall(question))
    return [word for word in dict.fromkeys(found) if fold(word) not in _EVERYDAY_NAMES]
