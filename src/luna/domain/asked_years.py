"""A question about a year that none of the found passages mentions: "Wie hoch war der Monatsmarktwert
für Solarstrom im Juli 2025?" over the EEG finds the formula, not July 2025's value, and an answer
would pass the one off as the other. Like a question set in another country, it is refused.

Only a year the question asks about counts ("im Jahr 2020", "im Juli 2025", "für das Kalenderjahr
2025", a year the question ends on: "der Arbeitspreis für Haushalte 2021?", and after "im Jahr" any
from 1000 to 2099: "im Jahr 1850"): a year that sets the scene ("Der Energieausweis ist von 2014",
"seit 1995 selbst bewohnt", "… meine Anlage von 2004?") is answered by rules that do not name it, and
refusing those cost answerable questions held out (``bench/absent_years.py``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_MONTHS = "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
#: A year as the time the question asks about.
ASKED_YEAR = re.compile(
    r"\b(?:im|für\s+das|fürs|des)\s+"
    rf"(?:(?:Kalender|Wirtschafts|Abrechnungs)?[jJ]ahr(?:es)?|Frühjahr|Sommer|Herbst|Winter|{_MONTHS})?"
    r"\s*((?:19|20)\d\d)\b"
)


#: A year the question ends on ("… für Haushalte 2021?") ...
_FINAL_YEAR = re.compile(r"\b((?:19|20)\d\d)\s*[?.!]*\s*$")
#: ... unless what comes before dates a thing the question is about ("… meine Anlage von 2004?", "seit
#: dem Jahr 1995?", "vom Mai 2004?", "Baujahr: 1998?") or names a law's edition ("Was regelt das GEG 2024?").
_DATES_A_THING = re.compile(
    rf"(?:\b(?:von|vom|seit|aus|Baujahr)\b(?:\s+(?:dem\s+)?(?:[jJ]ahre?|{_MONTHS}))?\s*:?"
    r"|\b[A-ZÄÖÜ][A-ZÄÖÜ0-9]+)\s*$"
)
#: A year from 1000 to 2099 after "im Jahr" or "des Jahres": a question about 1850 asks no rule of today.
OLD_YEAR = re.compile(r"\b(?:im\s+[jJ]ahre?|des\s+[jJ]ahres)\s+(1\d\d\d|20\d\d)\b")


def _final_year(question: str) -> list[tuple[int, str]]:
    found = _FINAL_YEAR.search(question)
    if found is None or _DATES_A_THING.search(question[: found.start(1)]):
        return []
    return [(found.start(1), found.group(1))]


def years_not_found(question: str, passages: Iterable[str]) -> list[str]:
    """The years ``question`` asks about that no passage mentions, in the question's order."""
    matched = [(m.start(1), m.group(1)) for rule in (ASKED_YEAR, OLD_YEAR) for m in rule.finditer(question)]
    found = sorted([*matched, *_final_year(question)])
    asked = list(dict.fromkeys(year for _, year in found))
    if not asked:
        return []
    text = " ".join(passages)
    return [year for year in asked if not re.search(rf"(?<!\d){year}(?!\d)", text)]
