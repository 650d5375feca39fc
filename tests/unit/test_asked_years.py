"""A question about a year no found passage mentions is refused (issue #14, ``bench/absent_years.py``):
which years count as asked, and when a passage covers them."""

from __future__ import annotations

import pytest

from luna.domain.asked_years import years_not_found

EEG = "§ 51 EEG 2023: Der Monatsmarktwert ist der tatsächliche Monatsmittelwert des Spotmarktpreises."


@pytest.mark.parametrize(
    ("question", "years"),
    [
        ("Wie hoch war der Monatsmarktwert für Solarstrom im Juli 2025?", ["2025"]),
        ("Wie hoch war die EEG-Umlage im Jahr 2020 in Cent pro Kilowattstunde?", ["2020"]),
        ("Bis wann muss ich den Antrag für das Kalenderjahr 2025 einreichen?", ["2025"]),
        ("Welche Vergütung bekam eine Anlage, die im Sommer 2010 in Betrieb ging?", ["2010"]),
        # The customer probe's question: the 2026 price sheet was quoted as 2021's price.
        ("Wie hoch war der Arbeitspreis für Haushalte 2021?", ["2021"]),
        ("Was kostete Strom im Jahr 1850?", ["1850"]),
        ("Wie hoch war der Strompreis des Jahres 1850?", ["1850"]),
        ("Wie hoch war die EEG-Umlage 2020?", ["2020"]),  # "EEG-Umlage" is no law's edition
        ("Galt im Jahr 1999 schon die EEG-Umlage, und wie hoch war sie 2001?", ["1999", "2001"]),
    ],
)
def test_a_year_the_question_asks_about_and_no_passage_mentions_is_reported(
    question: str, years: list[str]
) -> None:
    assert years_not_found(question, [EEG]) == years


@pytest.mark.parametrize(
    "question",
    [
        "Der Energieausweis für mein Mietshaus ist von 2014. Wie lange gilt so ein Ausweis?",
        "Ich wohne seit 1995 in meinem Zweifamilienhaus. Gilt die Austauschpflicht für den Kessel?",
        "Wie wird der Monatsmarktwert berechnet?",
        "Welche Vergütung bekommt meine Anlage von 2004?",
        "Gilt die Austauschpflicht für einen Kessel aus 1998?",
        "Gilt die Austauschpflicht für einen Kessel aus dem Jahr 1998?",
        "Welche Pflichten habe ich als Eigentümer seit dem Jahr 1995?",
        "Welche Vergütung bekommt meine Anlage vom Mai 2004?",
        "Muss ich den Kessel tauschen, Baujahr: 1998?",
        "Was regelt das GEG 2024?",  # a law's edition, no time asked about
    ],
)
def test_a_year_that_only_sets_the_scene_is_no_reason_to_refuse(question: str) -> None:
    assert years_not_found(question, [EEG]) == []


def test_a_year_a_passage_mentions_even_in_its_title_is_covered() -> None:
    question = "Wie hoch ist das Netzentgelt im Jahr 2026 pro Kilowattstunde?"

    assert years_not_found(question, ["Netzentgelte 2026 Preisblatt Haushalt 8,12 ct/kWh"]) == []
    assert years_not_found(question, ["Gültig ab 20260 Haushalt 8,12 ct/kWh"]) == ["2026"]
