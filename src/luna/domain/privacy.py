"""German-aware PII redaction: what a rated question or answer may not keep when it is stored.

``redact()`` replaces e-mail addresses, phone numbers, IBANs, tax IDs, postal addresses and personal
names by placeholders (``[E-MAIL]``, ``[TELEFON]``, ``[IBAN]``, ``[STEUER-ID]``, ``[ADRESSE]``,
``[NAME]``). Precision matters as much as recall: an energy text full of ``§ 14a EnWG``, ``12.500
kWh``, ``DE-LU`` and dates must come out unchanged, or the stored ratings stop being useful for learning.

How each kind is found, and why:

* e-mail: the address syntax (local part, ``@``, a dotted domain), also spelled out (``(at)``, ``[dot]``).
* tax ID: eleven digits where the text says it is the Steuer-ID (alone they are as often a meter number).
* phone: Google's libphonenumber (``phonenumbers``), which knows every German area code; only numbers
  that are *valid* for their region count, so dates, prices and IDs are not taken for numbers.
* IBAN: country code, check digits and the country's length, confirmed by the ISO 13616 mod-97
  checksum, so a random digit string is never hit.
* address: a street (``…straße``, ``…str.``, ``…weg``, ``…allee`` … or ``Berliner Straße``) with a
  house number, optionally followed by postcode and town; a postcode and town alone only after ``D-``
  or ``PLZ`` (``12000 Haushalte`` is not a place).
* names: no German NER model can be installed here, so honest heuristics: a salutation or title
  (``Herr``, ``Frau``, ``Dr.``, ``Prof.``), a self-introduction (``mein Name ist``, ``ich heiße``), a
  signature after a closing (``Viele Grüße``, ``Mit freundlichen Grüßen``, ``MfG``), or a common first
  name (``first_names_de.txt``) followed by a capitalised surname. A lone first name, a lower-case name
  or a surname without any of these cues is not found.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Final

import phonenumbers


class PiiKind(StrEnum):
    EMAIL = "E-MAIL"
    IBAN = "IBAN"
    TAX_ID = "STEUER-ID"
    PHONE = "TELEFON"
    ADDRESS = "ADRESSE"
    NAME = "NAME"


#: When two findings overlap, the more specific kind wins (an e-mail holds a name, an IBAN digits).
_PRIORITY: Final = (
    PiiKind.EMAIL,
    PiiKind.IBAN,
    PiiKind.TAX_ID,
    PiiKind.PHONE,
    PiiKind.ADDRESS,
    PiiKind.NAME,
)


def placeholder(kind: PiiKind) -> str:
    return f"[{kind.value}]"


@dataclass(frozen=True, slots=True)
class PiiSpan:
    start: int
    end: int
    kind: PiiKind


@dataclass(frozen=True, slots=True)
class Redaction:
    """The redacted text and how many findings of each kind were replaced."""

    text: str
    found: dict[PiiKind, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(self.found.values())


# --- building blocks -----------------------------------------------------------------------------------

_UPPER: Final = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĘĚĞĢĪĶĹĽŁŃŇŌŐŒŔŘŚŞŠŢŤŪŮŰŹŻŽ"
_LOWER: Final = "a-zß-öø-ÿāăąćčďđēęěğģīıķĺľłńňōőœŕřśşšţťūůűźżž"
#: A capitalised word (``Müller``, ``Lüdenscheidt``), possibly double-barrelled (``Müller-Lüdenscheidt``).
_WORD: Final = rf"[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)*"
#: ``von``, ``von der``, ``van den``, ``zu``: "der" alone is an article (``Herr der Ringe``).
_PARTICLES: Final = (
    r"(?:(?:von|van|de|del|du|zu|zur|vom|ten|ter|da|di|al|el)(?:[ ](?:der|den|dem|de|la|zu))?\s+)?"
)
#: One to three name words; the first may be an initial (``M. Müller``).
_NAME: Final = rf"(?:[{_UPPER}]\.\s?)?{_WORD}(?:[ \t]+{_PARTICLES}{_WORD}){{0,2}}"

#: Capitalised words that start sentences or signatures but are never (part of) a name.
_NOT_NAME_WORDS: Final = (
    "Ich Sie Er Es Wir Ihr Ihre Ihren Ihrem Euer Eure Dein Deine Mein Meine Und Oder Aber Der Die Das "
    "Den Dem Des Ein Eine Einen Einer Team Familie Kundenservice Service Support Luna Danke Vielen Dank "
    "Gruß Grüße Bitte Hallo Guten Tag Morgen Abend Strom Energie Gas Netz Preis Preise Tarif Kosten "
    "Leistung Anlage Zähler Speicher Wärme Wärmepumpe Photovoltaik Solar Haushalt Haushalte Januar "
    "Februar März Juni Juli September Oktober November Dezember Montag Dienstag Mittwoch Donnerstag "
    "Freitag Samstag Sonntag Herr Herrn Frau Dr Prof"
)
_NOT_NAMES: Final = frozenset(_NOT_NAME_WORDS.split())


# --- e-mail, IBAN, phone ---------------------------------------------------------------------------

#: Local part and labels bounded (RFC 5321: 64 and 63 characters), so a long run without ``@`` fails fast.
_EMAIL: Final = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[^\W\d_]{2,24}\b"
)

#: An address spelled out against harvesters ("erika.musterfrau(at)web.de", "erika [at] web [dot] de"):
#: it names the person as much as the written one.
_EMAIL_SPELLED: Final = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}\s?[(\[]\s?(?:at|ät)\s?[)\]]\s?[\w-]{1,63}"
    r"(?:(?:\.|\s?[(\[]\s?(?:dot|punkt)\s?[)\]]\s?)[\w-]{1,63}){1,8}",
    re.IGNORECASE,
)
#: The German tax ID (11 digits, often grouped 2-3-3-3) where the text says it is one: eleven digits
#: alone are as often a meter or customer number.
_TAX_ID: Final = re.compile(
    r"(?:Steuer-?ID|Steuer-?Identifikationsnummer|Identifikationsnummer|IdNr\.?)\s*(?:ist|lautet|:)?\s*"
    r"(\d{2}\s?\d{3}\s?\d{3}\s?\d{3})(?!\d)",
    re.IGNORECASE,
)

#: IBAN lengths of the countries Luna's customers bank in; other countries need 15–34 characters.
_IBAN_LENGTHS: Final = {
    "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27, "GB": 22,
    "IE": 22, "IT": 27, "LI": 21, "LU": 20, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "SE": 24,
}  # fmt: skip
_IBAN_START: Final = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})(\d{2})(?=[ ]?[A-Z0-9])")


def iban_is_valid(iban: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to 10–35, and the number mod 97 is 1."""
    compact = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    expected = _IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    digits = "".join(str(int(char, 36)) for char in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def _iban_spans(text: str) -> list[PiiSpan]:
    """From each ``CC99`` start, the characters of the country's length (single spaces allowed between)
    that end at a word boundary and pass the checksum; unknown countries try every length."""
    spans = []
    for start in _IBAN_START.finditer(text):
        lengths = [_IBAN_LENGTHS[start[1]]] if start[1] in _IBAN_LENGTHS else list(range(34, 14, -1))
        ends = _character_ends(text, start.start(), max(lengths))
        for length in lengths:
            end = ends.get(length)
            if end is not None and iban_is_valid(text[start.start() : end]):
                spans.append(PiiSpan(start.start(), end, PiiKind.IBAN))
                break
    return spans


def _character_ends(text: str, start: int, limit: int) -> dict[int, int]:
    """Count of IBAN characters → end offset, for the offsets where the IBAN may end (a word boundary)."""
    ends: dict[int, int] = {}
    count, position = 0, start
    while position < len(text) and count < limit:
        char = text[position]
        if char == " " and position + 1 < len(text) and text[position + 1].isalnum() and count:
            position += 1
            continue
        if not (char.isdigit() and char.isascii()) and not ("A" <= char <= "Z"):
            break
        count, position = count + 1, position + 1
        if position == len(text) or not text[position].isalnum():
            ends[count] = position
    return ends


#: Where a written phone number starts: ``+49``, ``0049``, ``(030)`` or an area code of 3+ digits (``030``).
_DIALLED: Final = re.compile(r"(?<![\w+(])(?<!\d[ /.-])(?:\+\d|00[1-9]|\(0|0[1-9]\d)")
_PHONE_WINDOW: Final = 32
"""Characters from a start that can hold a written number (at most 15 digits and their separators)."""
_MIN_PHONE_DIGITS: Final = 7


def _phone_spans(text: str) -> list[PiiSpan]:
    """Valid numbers (libphonenumber, region DE) that are written as dialled, with at least 7 digits.

    libphonenumber alone also accepts short local numbers (``1690``) and digit runs that only happen to
    be valid (``0.398 / 0.747``); a number someone writes to be called has a prefix or an area code.
    Only the text after such a start is handed to the matcher, which keeps long digit-heavy texts fast.
    """
    spans: list[PiiSpan] = []
    for start in _DIALLED.finditer(text):
        if spans and start.start() < spans[-1].end:
            continue
        window = text[start.start() : start.start() + _PHONE_WINDOW]
        match = next(
            iter(phonenumbers.PhoneNumberMatcher(window, "DE", leniency=phonenumbers.Leniency.VALID)), None
        )
        if (
            match is not None
            and match.start == 0
            and sum(c.isdigit() for c in match.raw_string) >= _MIN_PHONE_DIGITS
        ):
            spans.append(PiiSpan(start.start(), start.start() + match.end, PiiKind.PHONE))
    return spans


# --- addresses -------------------------------------------------------------------------------------

_STREET_SUFFIX: Final = (
    r"(?:stra(?:ß|ss)e|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|twiete|promenade|graben|kai)"
)
_STREET_WORD: Final = r"(?:Stra(?:ß|ss)e|Str\.|Weg|Allee|Platz|Gasse|Ring|Damm|Ufer|Chaussee|Promenade)"
#: Words that may precede ``Straße``/``Platz`` … without naming one (``auf Platz 1``).
_NOT_STREET_NAMES: Final = (
    r"(?:Auf|Am|Im|An|In|Zum|Zur|Vom|Beim|Ab|Bis|Nach|Über|Unter|Vor|Hinter|Neben|Zwischen|Der|Die|Das|"
    r"Den|Dem|Des|Ein|Eine|Einer|Jeder|Jede|Diese|Dieser|Erster|Erste|Zweiter|Zweite|Dritter|Dritte)"
)
_HOUSE_NUMBER: Final = r"\d{1,4}(?:[ ]?[a-zA-Z](?![\w.]))?(?:[ ]?[-–/][ ]?\d{1,4}(?:[ ]?[a-zA-Z](?!\w))?)?"
_NOT_A_QUANTITY: Final = (
    r"(?![\d.,]\d)(?!\s*(?:%|°|€|ct\b|kWh|kW\b|MWh|MW\b|GW|Wh\b|W\b|V\b|A\b|Uhr|h\b|Jahr|Monat|Woche|Tag|"
    r"Stunde|Minute|Prozent|Cent|Euro|EUR\b|Mio|Mrd|Stück|Mal\b))"
)
#: Compound words with a street suffix that name no street (``Stellplatz 3``, ``Rechtsweg 2``).
_NOT_STREETS: Final = re.compile(
    r"(?i:.*(?:(?:stell|park|arbeits|lade|sitz|speicher|steck)platz|"
    r"(?:lösungs|rück|aus|um|zahlungs|rechts|leitungs)weg|staudamm)\b)"
)
_TOWN: Final = (
    rf"{_WORD}(?:[ ](?:am|an[ ]der|im|ob[ ]der|bei|in)[ ]{_WORD}|[ ]\({_WORD}\)|[ ]i\.[ ]?[A-Z][a-z]*\.)?"
)
_POSTCODE_TOWN: Final = rf"(?:D-)?\d{{5}}[ \t]+{_TOWN}"
_STREET: Final = (
    rf"(?:[{_UPPER}][{_LOWER}-]*{_STREET_SUFFIX}"
    rf"|(?:(?!{_NOT_STREET_NAMES}\b)[{_UPPER}][\w.]*[ -]){{1,3}}{_STREET_WORD})"
)
_ADDRESS: Final = re.compile(
    rf"(?<![\w-]){_STREET}[ \t]+{_HOUSE_NUMBER}{_NOT_A_QUANTITY}(?:,?\s*{_POSTCODE_TOWN})?"
    rf"|\b(?:Am|An[ ]der|An[ ]den|Auf[ ]dem|Auf[ ]der|Im|In[ ]der|Zum|Zur|Unter[ ]den)[ ]{_WORD}[ \t]+"
    rf"{_HOUSE_NUMBER},?\s*{_POSTCODE_TOWN}"
    rf"|(?:(?<=\bPLZ[ ])|(?<=\bPLZ:[ ])|(?<![\w-])(?=D-))(?:D-)?\d{{5}}[ \t]+{_TOWN}"
)


# --- names -----------------------------------------------------------------------------------------

_TITLES: Final = r"(?:(?:Dr|Prof|med|jur|rer\.[ ]?nat|Dipl\.-Ing|Ing|h\.[ ]?c)\.[ ]?)"
#: After a salutation, at most two words: ``Herrn Max Müller``, never the sentence that follows.
_SALUTATION: Final = re.compile(
    rf"\b(?:(?:Herrn?|Frau|Hr\.)[ \t]+{_TITLES}*|(?:Dr|Prof)\.[ ]?{_TITLES}*)"
    rf"(?P<name>{_PARTICLES}(?:[{_UPPER}]\.\s?)?{_WORD}(?:[ \t]+{_PARTICLES}{_WORD})?)"
)
_INTRODUCTION: Final = re.compile(
    r"(?i:\bmein[ \t]+name[ \t]+ist|\bich[ \t]+hei(?:ß|ss)e|\bhier[ \t]+(?:spricht|schreibt)|"
    r"\b(?:vor-?[ ]?und[ ]?zu)?name[ \t]*:|\bansprechpartner(?:in)?[ \t]*:|\bkontaktperson[ \t]*:)"
    rf"[ \t]+(?P<name>{_PARTICLES}{_NAME})"
)
_CLOSING: Final = (
    r"(?i:(?:mit[ \t]+)?(?:(?:viele|vielen|beste|besten|liebe|lieben|herzliche|herzlichen|freundliche|"
    r"freundlichen|schöne|schönen|sonnige|sonnigen|danke[ \t]+und)[ \t]+)?"
    r"(?:grüße|grüßen|gruß|grüsse|grüssen|gruss))"
)
_LINE_BREAKS: Final = r"(?:\r?\n[ \t]*){0,2}"
_SIGNATURE: Final = re.compile(
    rf"(?:\b{_CLOSING}[ \t]*[,!.]?[ \t]*{_LINE_BREAKS}|\bMfG\b[ \t]*[,.]?[ \t]*{_LINE_BREAKS}"
    r"|\b(?:LG|VG)\b[ \t]*(?:,[ \t]*(?:\r?\n[ \t]*)?|\r?\n[ \t]*))"
    rf"(?:(?:Ihr|Ihre|Dein|Deine|Euer|Eure)[ \t]+)?(?P<name>{_NAME})"
)


@cache
def first_names() -> frozenset[str]:
    """The list shipped beside this module, read once."""
    text = resources.files("luna.domain").joinpath("first_names_de.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def _first_name_pattern() -> re.Pattern[str]:
    """A known first name (or two: ``Anna-Lena``, ``Anna Maria``) and a capitalised surname."""
    names = "|".join(sorted(map(re.escape, first_names()), key=len, reverse=True))
    return re.compile(
        rf"(?<![\w-])(?P<name>(?:{names})(?:-(?:{names}))?(?:[ \t]+(?:{names}))?[ \t]+{_PARTICLES}"
        rf"(?P<surname>{_WORD}))(?![\w-])"
    )


def _name_spans(text: str) -> list[PiiSpan]:
    """Names after cues (trailing non-name words dropped), and first name + surname pairs."""
    spans = []
    for pattern in (_SALUTATION, _INTRODUCTION, _SIGNATURE):
        for match in pattern.finditer(text):
            words = match["name"].split()
            while words and words[-1] in _NOT_NAMES:
                words.pop()
            if words and words[0] not in _NOT_NAMES:
                start = match.start("name")
                spans.append(PiiSpan(start, start + len(" ".join(words)), PiiKind.NAME))
    for match in _first_name_pattern().finditer(text):
        if match["surname"] not in _NOT_NAMES:
            spans.append(PiiSpan(match.start("name"), match.end("name"), PiiKind.NAME))
    return spans


def _address_spans(text: str) -> list[PiiSpan]:
    return [
        PiiSpan(match.start(), match.end(), PiiKind.ADDRESS)
        for match in _ADDRESS.finditer(text)
        if not _NOT_STREETS.match(match[0].split()[0])
    ]


# --- putting it together ---------------------------------------------------------------------------


def find_pii(text: str) -> list[PiiSpan]:
    """Every finding, without overlaps, in text order."""
    candidates = [
        *(PiiSpan(m.start(), m.end(), PiiKind.EMAIL) for m in _EMAIL.finditer(text)),
        *(PiiSpan(m.start(), m.end(), PiiKind.EMAIL) for m in _EMAIL_SPELLED.finditer(text)),
        *(PiiSpan(m.start(1), m.end(1), PiiKind.TAX_ID) for m in _TAX_ID.finditer(text)),
        *_iban_spans(text),
        *_phone_spans(text),
        *_address_spans(text),
        *_name_spans(text),
    ]
    candidates.sort(key=lambda s: (_PRIORITY.index(s.kind), s.start - s.end, s.start))
    kept: list[PiiSpan] = []  # by start, never overlapping: a new span can only clash with its neighbours
    for span in candidates:
        at = bisect.bisect_left(kept, span.start, key=lambda k: k.start)
        if (at == 0 or kept[at - 1].end <= span.start) and (at == len(kept) or span.end <= kept[at].start):
            kept.insert(at, span)
    return kept


def redact_text(text: str) -> Redaction:
    """The text with every finding replaced by its placeholder, and what was found."""
    spans = find_pii(text)
    parts, position = [], 0
    for span in spans:
        parts += [text[position : span.start], placeholder(span.kind)]
        position = span.end
    parts.append(text[position:])
    return Redaction("".join(parts), dict(Counter(span.kind for span in spans)))


def redact(text: str) -> str:
    """``text`` without e-mail addresses, phone numbers, IBANs, postal addresses and personal names."""
    return redact_text(text).text
