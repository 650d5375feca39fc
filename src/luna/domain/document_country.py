"""Which country a document is about, read from its own words, so a German household is not sent a
Swiss municipal plan.

Rules, prices and subsidies differ between Germany, Austria and Switzerland even where the language
is the same; a document is recognised by what only one of them has: a currency (CHF, Rappen), an
authority or law (Bundesnetzagentur, EEG, GEG, E-Control, ÖNORM, MuKEn), an administrative word
(Kanton) or the country's own name. Each occurrence of a marker counts once, a web address under a
country's domain (``.ch``, ``.at``, ``.de``) three times; a country is named when it has at least
:data:`MIN_HITS` and at least twice as many as any other country. An operator decides for good with
a tag ``land:CH`` (or ``country:CH``). Anything else is unknown (None) and treated as fitting
everyone: a general article on heat pumps is not foreign anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final
from urllib.parse import urlsplit

from luna.domain.conversations import is_follow_up

#: Fewest marker hits that name a country.
MIN_HITS: Final = 2
#: A web address under a country's domain counts as this many hits.
DOMAIN_HITS: Final = 3
#: How much of a document's text is read (its beginning says where it is from).
TEXT_CHARS: Final = 20_000

_WORD = r"(?<![\w-]){}(?![\w-])"
_MARKERS: Mapping[str, tuple[str, ...]] = {
    "CH": (
        "CHF",
        "Rappen",
        "(?i:schweiz|schweizer|schweizerisch|schweizerischen?)",
        "(?i:kanton|kantone|kantons|kantonen|kantonal|kantonale[nrs]?)",
        "(?i:eidgenössische[nrs]?|Eidgenossenschaft)",
        "EnergieSchweiz",
        "MuKEn",
        "(?:Winterthur|Zürich|Basel|Luzern|St\\. Gallen|Genf|Lausanne)",
    ),
    "AT": (
        "(?i:österreich|österreichische[nrs]?)",
        "E-Control",
        "ÖNORM",
        "OIB",
        "klimaaktiv",
        "(?:Wien|Graz|Linz|Salzburg|Innsbruck)",
    ),
    "DE": (
        "(?i:deutschland|bundesdeutsche[nrs]?)",
        "(?:Bundesnetzagentur|BNetzA)",
        "(?:EEG|GEG|EnWG|StromStG|KWKG)",
        "(?:KfW|BAFA)",
    ),
}
_PATTERNS: Mapping[str, re.Pattern[str]] = {
    country: re.compile("|".join(_WORD.format(f"(?:{marker})") for marker in markers))
    for country, markers in _MARKERS.items()
}
#: Where a question is set: "in Österreich", "in der Schweiz", "in Wien". A country named otherwise
#: ("aus der Schweiz zugezogen", "an der Grenze zu Polen") does not make a question about it.
_PLACES: Mapping[str, str] = {
    "DE": "Deutschland",
    "AT": "Österreich|Wien|Graz|Linz|Salzburg|Innsbruck",
    "CH": "Schweiz|Winterthur|Zürich|Basel|Luzern|St\\. Gallen|Genf|Lausanne",
    "FR": "Frankreich",
    "IT": "Italien",
    "NL": "Niederlanden?|Holland",
    "BE": "Belgien",
    "LU": "Luxemburg",
    "PL": "Polen",
    "CZ": "Tschechien",
    "DK": "Dänemark",
    "ES": "Spanien",
    "GB": "Großbritannien|England",
    "US": "USA|Vereinigten Staaten",
}
#: Countries as "in …" and "aus …" name them (dative), for what Luna says about a country.
IN_COUNTRY: Mapping[str, str] = {
    "DE": "Deutschland",
    "AT": "Österreich",
    "CH": "der Schweiz",
    "LI": "Liechtenstein",
    "FR": "Frankreich",
    "IT": "Italien",
    "NL": "den Niederlanden",
    "BE": "Belgien",
    "LU": "Luxemburg",
    "PL": "Polen",
    "CZ": "Tschechien",
    "DK": "Dänemark",
    "ES": "Spanien",
    "GB": "Großbritannien",
    "US": "den USA",
}
_COUNTRY_NAME = re.compile(
    "|".join(re.escape(name.removeprefix("der ").removeprefix("den ")) for name in IN_COUNTRY.values())
    + "|Niederlande|Holland|England|Vereinigte[nr]? Staaten"
)
#: What only one country has, wherever a question names it: its adjective, currency or authorities.
_OWN: Mapping[str, str] = {
    "DE": "Bundesnetzagentur|BNetzA|EEG|GEG|EnWG|KfW|BAFA",
    "AT": "(?i:österreichische[nrs]?)|E-Control|ÖNORM",
    "CH": "(?i:schweizerische[nrs]?|schweizer|kantons?|kantonale[nrs]?)|CHF|Rappen|EnergieSchweiz|MuKEn",
    "FR": "(?i:französische[nrs]?)",
    "IT": "(?i:italienische[nrs]?)",
    "NL": "(?i:niederländische[nrs]?)",
    "BE": "(?i:belgische[nrs]?)",
    "LU": "(?i:luxemburgische[nrs]?)",
    "PL": "(?i:polnische[nrs]?)",
    "CZ": "(?i:tschechische[nrs]?)",
    "DK": "(?i:dänische[nrs]?)",
    "ES": "(?i:spanische[nrs]?)",
    "GB": "(?i:britische[nrs]?)",
    "US": "(?i:amerikanische[nrs]?)",
}
#: Where a passage mentions a country: its markers for the three Luna tells documents apart by, any
#: mention of the place or what it alone has for the others.
_NAMED: Mapping[str, re.Pattern[str]] = {
    **{
        country: re.compile(_WORD.format(f"(?:{place}|{_OWN[country]})"))
        for country, place in _PLACES.items()
    },
    **_PATTERNS,
}
_ASKED_ABOUT: Mapping[str, re.Pattern[str]] = {
    country: re.compile(
        rf"(?<![\w-])[Ii][nm] (?:der |den )?(?:{place})(?![\w-])" + f"|{_WORD.format(f'(?:{_OWN[country]})')}"
    )
    for country, place in _PLACES.items()
}
#: "in Österreich" and the like as a question sets itself there, with the space before it.
_SET_IN: Mapping[str, re.Pattern[str]] = {
    country: re.compile(rf"\s*(?<![\w-])[Ii][nm] (?:der |den )?(?:{place})(?![\w-])")
    for country, place in _PLACES.items()
}
_JOINED_BEFORE = re.compile(r"(?:[,(]|\b(?:und|oder|sowie|bzw\.?|wie))$")
_JOINED_AFTER = re.compile(r"(?:[,)]|(?:und|oder|sowie|bzw\.?|wie)\b)")
_DOMAINS: Mapping[str, str] = {".ch": "CH", ".at": "AT", ".de": "DE"}
_TAG = re.compile(r"^(?:land|country)\s*:\s*([A-Za-z]{2})$")


def document_country(
    *, title: str | None = None, url: str | None = None, tags: Iterable[str] = (), text: str = ""
) -> str | None:
    """The ISO 3166 code of the country the document is about, or None when it does not say."""
    for tag in tags:
        explicit = _TAG.match(tag.strip())
        if explicit:
            return explicit.group(1).upper()
    words = "\n".join([title or "", *tags, text[:TEXT_CHARS]])
    hits = {country: len(pattern.findall(words)) for country, pattern in _PATTERNS.items()}
    host = (urlsplit(url).hostname or "") if url else ""
    for ending, country in _DOMAINS.items():
        if host.endswith(ending):
            hits[country] += DOMAIN_HITS
    ranked = sorted(hits.items(), key=lambda pair: pair[1], reverse=True)
    (best, count), (_, runner_up) = ranked[0], ranked[1]
    return best if count >= MIN_HITS and count >= 2 * runner_up else None


def is_foreign(document: str | None, reader: str | None) -> bool:
    """The document is recognisably of another country than the reader's (unknown: never foreign)."""
    return document is not None and reader is not None and document != reader


def uncovered_countries(question: str, passages: Iterable[str], home: str | None) -> set[str]:
    """Countries other than ``home`` that ``question`` is set in and none of ``passages`` mentions.

    "Welche Förderung gibt es in Österreich …?" asked of German laws and a Swiss city's portal names
    Austria, which no passage mentions: whatever they say about subsidies is another country's rule.
    The home country is never uncovered (a German law rarely says "Deutschland").
    """
    named = {country for country, pattern in _ASKED_ABOUT.items() if pattern.search(question)} - {home}
    texts = list(passages)
    return {country for country in named if not any(_NAMED[country].search(text) for text in texts)}


def is_country_name(name: str) -> bool:
    """``name`` is a country as Luna names one ("Deutschland", "Schweiz", "Niederlande"): what
    :func:`uncovered_countries` decides about, not a firm or a town to look up."""
    return _COUNTRY_NAME.fullmatch(name) is not None


def is_place_abroad(name: str) -> bool:
    """``name`` is a country or town Luna knows to lie outside Germany ("Basel", "Wien", "Schweiz")."""
    return any(re.fullmatch(place, name) for country, place in _PLACES.items() if country != "DE") or (
        is_country_name(name) and name != "Deutschland"
    )


def asked_at_home(question: str, countries: Iterable[str]) -> str | None:
    """``question`` without the "in …" that sets it in ``countries``: the same question for the readers'
    own country ("Was kostet die Netznutzung pro Kilowattstunde in Österreich?" → "… Kilowattstunde?").

    None when that would not be the same question, or would not stand on its own: nothing was
    removed; the place opens the question, sits in brackets or commas, or is joined to another by
    "und"/"oder" ("in Österreich und in der Schweiz"); what is left still names a country, the readers'
    own included ("… im Vergleich zu Deutschland"); or it is a follow-up that only makes sense after
    another question ("Und in Österreich?", "Was kostet Strom?").
    """
    home = question.strip()
    for country in countries:
        pattern = _SET_IN.get(country)
        if pattern is None:
            return None
        for match in list(pattern.finditer(home))[::-1]:
            if not _stands_alone(home, match.start(), match.end()):
                return None
            home = home[: match.start()] + home[match.end() :]
    home = re.sub(r"\s+([,.;:?!])", r"\1", home).strip()
    if home == question.strip() or any(named.search(home) for named in _NAMED.values()):
        return None
    return None if is_follow_up(home) else home


def _stands_alone(text: str, start: int, end: int) -> bool:
    """The place can go without leaving a dangling conjunction, comma, bracket or a headless sentence."""
    before, after = text[:start].rstrip(), text[end:].lstrip()
    return bool(before) and not _JOINED_BEFORE.search(before) and not _JOINED_AFTER.match(after)
