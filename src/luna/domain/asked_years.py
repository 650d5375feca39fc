"""A question about a year that none of the found passages mentions: "Wie hoch war der Monatsmarktwert
für Solarstrom im Juli 2025?" over the EEG finds the formula, not July 2025's value, and an answer
would pass the one off as the other. Like a question set in another country, it is refused.

Only a year the question asks about counts ("im Jahr 2020", "im Juli 2025", "für das Kalenderjahr
2025"): a year that sets the scene ("Der Energieausweis ist von 2014", "seit 1995 selbst bewohnt")
is answered by rules that do not name it, and refusing those cost answerable questions held out
(``bench/absent_years.py``)."""

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


def years_not_found(question: str, passages: Iterable[str]) -> list[str]:
    """The years ``question`` asks about that no passage mentions, in the question's order."""
    asked = list(dict.fromkeys(ASKED_YEAR.findall(question)))
    if not asked:
        return []
    text = " ".join(passages)
    return [year for year in asked if not re.search(rf"(?<!\d){year}(?!\d)", text)]
