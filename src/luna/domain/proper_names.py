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
from luna.domain.privacy import first_names

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
