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

import itertools
import re
from collections.abc import Collection, Iterable

from luna.domain.document_country import is_country_name, is_place_abroad
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
#: Where the reader says they live ("Ich wohne in Ulm", "wir kommen aus Kiel", "bei uns in Bremen") or
#: move ("wir ziehen von Köln nach Leipzig", "nach Kassel gezogen"): a place that sets the scene, not the
#: topic; German laws answer a reader in Ulm.
_NAME_WORD = r"[A-ZÄÖÜ][\wäöüß]*"
_PLACE = rf"({_NAME_WORD}(?:-{_NAME_WORD})*(?:\s(?:am\s|an\sder\s|im\s|ob\sder\s)?{_NAME_WORD}){{0,2}})"
#: A move: "wir ziehen", "der Umzug" (a flight "von Frankfurt nach New York" is no move).
_MOVE = r"(?:ziehe|ziehen|zieht|zog|zogen|umziehen|[Uu]mzug)"
_READER_PLACE = re.compile(
    r"\b(?:wohne|wohnen|wohnt|lebe|leben|lebt|komme|kommen|kommt)\s+(?:\S+\s+){0,4}?(?:in|aus)\s+"
    + _PLACE
    + r"|\b(?:[Bb]ei uns|[Hh]ier)\s+in\s+"
    + _PLACE
    + rf"|\b{_MOVE}\s+(?:\S+\s+){{0,3}}?von\s+"
    + _PLACE
    + r"\s+nach\s+"
    + _PLACE
    + rf"|\b{_MOVE}\s+(?:(?!von\s)\S+\s+){{0,4}}?nach\s+"
    + _PLACE
    + r"|\b(?:von\s+"
    + _PLACE
    + r"\s+)?nach\s+"
    + _PLACE
    + r"\s+(?:gezogen|umgezogen|umziehen|ziehen)\b"
)


#: Who the reader says they are in an English job title ("Ich bin Facility Manager eines Ärztehauses",
#: "Als Energy Manager …"): HanTa tags its first word as a name. Only titles that end in such a head
#: noun count: "Ich bin Vattenfall Kunde" names a firm, which must still be looked up.
_ROLE_HEADS = "Manager|Managerin|Officer|Consultant|Engineer|Director|Assistant|Owner|Planner|Coordinator"
_READER_ROLE = re.compile(
    rf"(?:\b[Ii]ch bin|\b[Ww]ir sind|^Als)\s+((?:[A-ZÄÖÜ][\wäöüß]*\s+){{0,2}}(?:{_ROLE_HEADS}))\b"
)

#: A utility named by its kind, then its name ("Stadtwerke München", "Netze BW", "Gemeindewerke Bad
#: Tölz"): its prices, tariffs and opening hours are its own, and a document that speaks of "München"
#: (a court there) does not speak of them. The words after the kind count only where the tagger calls
#: them names ("Bieten die Stadtwerke Ökostrom an?" names no firm).
_FIRM = re.compile(
    r"(?<![\w-])(Stadtwerke?n?|Gemeindewerke?n?|Netze)\s+([^\s,.;:!?()]+(?:\s+[^\s,.;:!?()]+)?)"
)
_KIND_ENDING = re.compile(r"e?n?$")


def firm_names(question: str, names: Collection[str]) -> list[str]:
    """The utilities ``question`` names as "<kind> <name>", ``names`` being the tagger's proper names
    (abbreviations included: "Netze BW"), each once, in order."""
    found: list[str] = []
    for match in _FIRM.finditer(question):
        named = list(itertools.takewhile(lambda word: word in names, match.group(2).split()))
        if named and not _owner(match.group(1), named[0]):
            found.append(f"{match.group(1)} {' '.join(named)}")
    return list(dict.fromkeys(found))


def _owner(kind: str, name: str) -> bool:
    """Whether ``name`` says whose the kind's things are rather than naming a firm: a country ("Netze
    Österreich") or a genitive after "Netze" ("die Netze Deutschlands", "… Bayerns")."""
    return is_country_name(name) or (kind == "Netze" and name.endswith("s") and not name.isupper())


def firms_not_found(firms: Iterable[str], texts: Iterable[str]) -> list[str]:
    """The ``firms`` no passage names as such: the kind (in any number) right before the name
    ("Stadtwerk Winterthur" for "Stadtwerke Winterthur"), compared folded."""
    context = fold(" ".join(" ".join(text.split()) for text in texts))
    missing: list[str] = []
    for firm in firms:
        kind, name = firm.split(" ", 1)
        stem = _KIND_ENDING.sub("", fold(kind))
        if not re.search(rf"(?<!\w){stem}\w*\s+{re.escape(fold(name))}(?!\w)", context):
            missing.append(firm)
    return missing


def names_to_look_up(names: Iterable[str], question: str = "") -> list[str]:
    """The ``names`` worth looking up, each once, in order: without abbreviations (two capitals or more:
    "BHKW", "KfW", "MaLo"), names with digits, first names ("Erika"), the places where ``question``'s
    reader says they live ("Ich wohne in Ulm"), the role they give themselves ("Ich bin Facility
    Manager …") and countries ("Deutschland": the country rule,
    :func:`luna.domain.document_country.uncovered_countries`, judges those)."""
    people = first_names()
    home = reader_places(question) | reader_role(question)
    kept: list[str] = []
    for name in names:
        abbreviation = sum(char.isupper() for char in name) >= 2
        left_out = abbreviation or any(char.isdigit() for char in name) or name in people or name in home
        if not (left_out or is_country_name(name) or name in kept):
            kept.append(name)
    return kept


def reader_places(question: str) -> set[str]:
    """The words naming where the reader lives ("Wir wohnen seit Jahren in Bad Tölz" → Bad, Tölz), unless
    it lies abroad ("Ich wohne in Basel-Stadt": a question about Basel, which the documents must know)."""
    words: set[str] = set()
    for match in _READER_PLACE.finditer(question):
        for place in filter(None, match.groups()):
            if any(is_place_abroad(part) for word in place.split() for part in [word, *name_parts(word)]):
                continue
            words.update(part for word in place.split() for part in [word, *name_parts(word)])
            words.add(place)
    return words


def reader_role(question: str) -> set[str]:
    """The words of the role the reader gives themselves ("Ich bin Facility Manager eines …" → Facility,
    Manager)."""
    return {word for match in _READER_ROLE.finditer(question) for word in match.group(1).split()}


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
