"""Questions that name a law's section: "Was regelt § 14a EnWG?", "§ 19 StromGVV", "Paragraf 48 des
EEG", or a follow-up Luna offered ("Was steht in ‚… (… – EEG 2023)‘ über ‚§ 8 Anschluss‘?").

Neither retrieval leg finds such a section reliably: the number stands in the section heading of every
chunk of it, and just as often in other paragraphs' text ("… nach § 8 Absatz 1 …"), and the embedding
model reads "§ 14a" as any number. A reader who names the section wants that section, so retrieval
puts its chunks first (:mod:`luna.services.knowledge.retrieval`). A question about a whole law ("Was
regelt das EnWG?") is about its § 1, which says what the law is for; a section of a law the knowledge
base does not hold ("§ 35c EStG") is no other law's § 35c. Pure rules, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

from luna.domain.german_text import STOPWORDS, fold, plain_analyzer

#: "§ 14a", "§14a", "§§ 41f", "Paragraf 19", "Paragraph 3" → the section number, letter included.
_REFERENCE: Final = re.compile(
    r"(?:§§?|\bParagra(?:ph|f)(?:en)?)\s*(\d{1,4}\s?[a-z]?)(?![\w])", re.IGNORECASE
)
#: The word after a section reference, past "Abs. 2", "Satz 1", "Nr. 3" and an article.
_LAW_AFTER_REFERENCE: Final = re.compile(
    r"(?:§§?|\bParagra(?:ph|f)(?:en)?)\s*\d{1,4}\s?[a-z]?"
    r"(?:\s+(?:Abs\.?|Absatz|Satz|S\.|Nr\.?|Nummer)\s*\d{1,3}[a-z]?)*"
    r"\s+(?:(?:des|der|dem|im|aus\s+dem|vom)\s+)?([A-ZÄÖÜ][\wÄÖÜäöüß-]+)"
)
_LAW_WORD: Final = re.compile(r"(?:gesetz|gesetzes|ordnung|verordnung)$", re.IGNORECASE)
#: A section heading that is a law's section: "§ 41a Lieferverträge mit dynamischen Tarifen".
_SECTION_NUMBER: Final = re.compile(r"^§§?\s*(\d{1,4}[a-z]?)\b")
#: A law's short name in the brackets that end its title: "(Energiewirtschaftsgesetz – EnWG)" → "EnWG",
#: "(EDL-G)", "(… – EEG 2023)"; an abbreviation has two capitals at least ("(Ratgeber)" is none).
_SHORT_TITLE: Final = re.compile(r"\((?:[^()]*[–-]\s+)?([A-ZÄÖÜ][\w-]{1,12}(?: \d{4})?)\)\s*$")
#: How chunking joins the headings of a section path.
_SECTION_PATH: Final = " > "
_WORD: Final = re.compile(r"[\wÄÖÜäöüß-]+")
#: Words that ask what a section says, not about something in it ("Was regelt …", "Worum geht es …").
_ABOUT: Final = frozenset(
    fold(word)
    for word in (
        *("regelt", "regeln", "steht", "stehen", "sagt", "sagen", "besagt", "bedeutet", "beinhaltet"),
        *("enthält", "Inhalt", "geht", "Worum", "drin", "darin", "genau", "eigentlich", "kurz", "bitte"),
        *("Überblick", "erkläre", "erklären", "erklärt", "zusammengefasst", "Zusammenfassung", "Zweck"),
        *("Ziel", "Ziele", "Sinn", "gilt", "wofür"),
    )
)
#: A question about a whole law leaves at most this many words besides those asking for the content.
_LAW_NAME_WORDS: Final = 3
#: A paragraph a question names: "Abs. 3", "Absatz 2a".
_PARAGRAPH_ASKED: Final = re.compile(r"\b(?:Abs\.?|Absatz)\s*(\d{1,3}[a-z]?)\b", re.IGNORECASE)
#: A paragraph number opening a line of a law's text: "(1) …", "(2a) …".
_PARAGRAPH_LINE: Final = re.compile(r"(?m)^\((\d{1,3})[a-z]?\)\s")
_NO_PARAGRAPH: Final = 10_000
#: What naming a law by its short name ("EnWG") or quoting its whole title counts against one of its words.
_SHORT_NAME: Final = 10
_WHOLE_TITLE: Final = 100
#: Words of a reference that name no particular law.
_GENERIC: Final = frozenset(
    fold(word)
    for word in (
        *("Gesetz", "Gesetzes", "Gesetze", "Verordnung", "Paragraf", "Paragraph", "Paragrafen", "Absatz"),
        *("Abs", "Satz", "Nummer", "Nr", "Teil", "Abschnitt", "Was", "Wie", "Wer", "Worum", "Welche"),
    )
)


def section_numbers(question: str) -> list[str]:
    """The section numbers ``question`` names, in order, each once ("14a" for "§ 14a")."""
    return list(dict.fromkeys(m.group(1).replace(" ", "").lower() for m in _REFERENCE.finditer(question)))


def sections_asked(question: str) -> list[str]:
    """The sections ``question`` is about: those it names, or a law's first section ("§ 1 Zweck des
    Gesetzes") when it asks what a whole law is about ("Was regelt das EnWG?", "Worum geht es im
    Heizungsgesetz?")."""
    return section_numbers(question) or (["1"] if asks_about_a_law(question) else [])


def asks_about_a_law(question: str) -> bool:
    """Whether ``question`` names a law and asks nothing but what it is about: at most three words are
    left besides those asking for the content, and one is a law's name ("EnWG", "Gebäudeenergiegesetz").
    "Worum geht es bei der Wärmepumpe?" names no law."""
    if section_numbers(question):
        return False
    words = [
        word
        for word in _WORD.findall(question)
        if fold(word) not in STOPWORDS | _GENERIC | _ABOUT and not any(c.isdigit() for c in word)
    ]
    return 0 < len(words) <= _LAW_NAME_WORDS and any(_is_law_name(word) for word in words)


def _is_law_name(word: str) -> bool:
    return sum(c.isupper() for c in word) >= 2 or _LAW_WORD.search(word) is not None


def paragraph_asked(question: str) -> str | None:
    """The paragraph of a section ``question`` names ("§ 41 Abs. 3 EnWG", "Absatz 2a von § 14a") as the
    law numbers it ("3", "2a"); None when it names none."""
    found = _PARAGRAPH_ASKED.search(question)
    return found.group(1).lower() if found else None


def opens_paragraph(text: str, paragraph: str) -> bool:
    """Whether a line of ``text`` opens ``paragraph`` ("(3) …")."""
    return re.search(rf"(?m)^\({re.escape(paragraph)}\)\s", text) is not None


def section_heading(section: str | None) -> str:
    """The last heading of a chunk's section path ("Teil 2 > § 8 Anschluss" → "§ 8 Anschluss")."""
    return (section or "").split(_SECTION_PATH)[-1].strip()


def heading_without_number(heading: str) -> str:
    """A law section's heading without its number ("§ 8 Anschluss" → "Anschluss")."""
    return _SECTION_NUMBER.sub("", heading).strip()


def section_number(section: str | None) -> str | None:
    """The number of the law section a chunk's section path ends in ("> § 41a Lieferverträge …" →
    "41a"); None for a chunk outside a numbered section."""
    for part in reversed((section or "").split(_SECTION_PATH)):
        found = _SECTION_NUMBER.match(part.strip())
        if found:
            return found.group(1).lower()
    return None


def short_title(title: str | None) -> str | None:
    """A law's short name from the brackets that end its title ("EnWG", "EEG 2023"); None without one."""
    found = _SHORT_TITLE.search(title or "")
    if found is None or sum(c.isupper() for c in found.group(1)) < 2:
        return None
    return found.group(1)


def named_documents(question: str, titles: Iterable[str]) -> set[str]:
    """The titles ``question`` names best: by its short name ("EnWG"), a word of the title ("des
    Energiewirtschaftsgesetzes", "Heizungsgesetz" for the Gebäudeenergiegesetz through its synonym
    group), or the whole title quoted (a short name counts ten words, the title a hundred). The titles
    with the highest count win; none when no word names one."""
    words = [
        w
        for w in _WORD.findall(question)
        if fold(w) not in _GENERIC and fold(w) not in STOPWORDS and not any(c.isdigit() for c in w)
    ]
    analyzer = plain_analyzer()
    counts: dict[str, int] = {}
    for title in dict.fromkeys(titles):
        short = fold((short_title(title) or "").split(" ")[0])
        count = sum(_SHORT_NAME if fold(w) == short else int(analyzer.names(w, title)) for w in words)
        if fold(title) in fold(question):
            count += _WHOLE_TITLE
        if count:
            counts[title] = count
    best = max(counts.values(), default=0)
    return {title for title, count in counts.items() if count == best}


def referenced(question: str, places: Sequence[tuple[str, str | None, str | None]]) -> list[str]:
    """Of ``places`` (chunk id, document title, section path), the chunks of a section ``question``
    names, in the given order: of the documents it names, or of any document when it names none."""
    numbers = set(sections_asked(question))
    if not numbers:
        return []
    in_section = [(cid, title) for cid, title, section in places if section_number(section) in numbers]
    named = named_documents(question, (title for _, title in in_section if title))
    if not named and (names_a_law(question) or not section_numbers(question)):
        return []  # "§ 35c EStG", "Was regelt das BGB?": a law the knowledge base does not hold
    return [cid for cid, title in in_section if not named or title in named]


def names_an_absent_law(question: str, titles: Iterable[str]) -> bool:
    """Whether ``question`` refers to a section of a law none of ``titles`` is ("Was regelt § 14a
    EStG?" over the energy laws): another law's § 14a is no answer to it."""
    return names_a_law(question) and not named_documents(question, titles)


def names_a_law(question: str) -> bool:
    """Whether a law's name follows a section reference ("§ 35c EStG", "§ 823 des BGB", "Paragraf 3 der
    Heizkostenverordnung"): an abbreviation with two capitals, or a word ending in "gesetz"/"ordnung"."""
    return any(_is_law_name(found.group(1)) for found in _LAW_AFTER_REFERENCE.finditer(question))


def asks_what_section_says(question: str, title: str | None, section: str | None) -> bool:
    """Whether ``question`` asks what a section says as a whole: nothing is left of it but the reference,
    words that name the law or the section's heading, and words that ask for the content ("Was regelt
    § 14a EnWG?", "Worum geht es in § 3 MsbG?", "Was steht in ‚…‘ über ‚§ 8 Anschluss‘?"). "Welcher
    Wert gilt für PV-Dachanlagen nach § 48 EEG?" asks something in it."""
    analyzer = plain_analyzer()
    heading = section_heading(section)
    short = fold((short_title(title) or "").split(" ")[0])
    for word in _WORD.findall(_REFERENCE.sub(" ", question)):
        folded = fold(word)
        if folded in STOPWORDS or folded in _GENERIC or folded in _ABOUT or any(c.isdigit() for c in word):
            continue
        if folded == short or analyzer.names(word, f"{title or ''} {heading}"):
            continue
        return False
    return True


def paragraph_order(text: str) -> int:
    """Where a chunk of a law section starts: the lowest paragraph number opening one of its lines ("(1)
    Die Bundesnetzagentur …" → 1); a chunk with none goes after those that have one."""
    numbers = [int(found.group(1)) for found in _PARAGRAPH_LINE.finditer(text)]
    return min(numbers, default=_NO_PARAGRAPH)
