"""A question about a year that none of the found passages mentions: "Wie hoch war der Monatsmarktwert
für Solarstrom im Juli 2025?" over the EEG finds the formula, not July 2025's value, and an answer
would pass the one off as the other. Like a question set in another country, it is refused.

Only a year the question asks about counts ("im Jahr 2020", "im Juli 2025", "für das Kalenderjahr
2025", a year the question ends on: "der Arbeitspreis für Haushalte 2021?", any century after "im
Jahr": "im Jahr 1850"): a year that sets the scene ("Der Energieausweis ist von 2014", "seit 1995
selbst bewohnt", "… meine Anlage von 2004?") is answered by rules that do not name it, and refusing
those cost answerable questions held out (``bench/absent_years.py``)."""

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


#: A year the question ends on, unless it dates a thing the question is about ("von 2004?").
FINAL_YEAR = re.compile(r"(?<!\bvon )(?<!\bseit )(?<!\baus )(?<!\bBaujahr )\b((?:19|20)\d\d)\s*[?.!]*\s*$")
#: A year of any century after "im Jahr": a question about 1850 is no question about the rules of now.
ANY_CENTURY_YEAR = re.compile(r"\bim\s+Jahre?\s+(1\d\d\d|20\d\d)\b")


def years_not_found(question: str, passages: Iterable[str]) -> list[str]:
    """The years ``question`` asks about that no passage mentions, in the question's order."""
    rules = (ASKED_YEAR, FINAL_YEAR, ANY_CENTURY_YEAR)
    found = sorted((m.start(1), m.group(1)) for rule in rules for m in rule.finditer(question))
    asked = list(dict.fromkeys(year for _, year in found))
    if not asked:
        return []
    text = " ".join(passages)
    return [year for year in asked if not re.search(rf"(?<!\d){year}(?!\d)", text)]
