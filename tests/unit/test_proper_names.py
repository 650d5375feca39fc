"""Which proper names of a question are looked up in the knowledge base (``luna.domain.proper_names``),
and the tagger that finds them (HanTa, bundled model)."""

from __future__ import annotations

import pytest

from luna.adapters.models.proper_names import HantaProperNames
from luna.domain.proper_names import law_names, name_parts, names_to_look_up


def test_firms_and_places_are_looked_up_once_each_in_order() -> None:
    assert names_to_look_up(["Viessmann", "Basel", "Viessmann", "Winterthur"]) == [
        "Viessmann",
        "Basel",
        "Winterthur",
    ]


@pytest.mark.parametrize(
    "name",
    ["BHKW", "KfW", "MaLo", "iMSys", "EnWG", "R410A", "F-Gase-2024", "Erika", "Deutschland", "Schweiz"],
)
def test_abbreviations_names_with_digits_first_names_and_countries_are_not(name: str) -> None:
    assert names_to_look_up([name]) == []


def test_a_hyphenated_name_is_known_by_its_parts() -> None:
    assert name_parts("Basel-Stadt") == ["Basel", "Stadt"]
    assert name_parts("St.Gallen") == ["St", "Gallen"]
    assert name_parts("Bern") == ["Bern"]


@pytest.fixture(scope="module")
def tagger() -> HantaProperNames:
    return HantaProperNames()


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Wie lange dauert die Lieferung einer Wärmepumpe von Viessmann derzeit?", ["Viessmann"]),
        ("Was kostet bei den Stadtwerken München eine Kilowattstunde?", ["München"]),
        ("Wie groß darf ein Balkonkraftwerk sein?", []),
        # a compound's cut-off first part is no name
        ("Wir setzen Hybridbusse mit Elektro- und Dieselmotor ein. Gibt es eine Entlastung?", []),
        ("", []),
    ],
)
def test_the_tagger_finds_proper_names_not_the_nouns_german_capitalises_alike(
    tagger: HantaProperNames, question: str, names: list[str]
) -> None:
    assert tagger.names(question) == names


@pytest.mark.parametrize(
    ("question", "laws"),
    [
        (
            "Wie werden die CO2-Kosten nach dem Kohlendioxidkostenaufteilungsgesetz aufgeteilt?",
            ["Kohlendioxidkostenaufteilungsgesetz"],
        ),
        ("Ab wann verbietet die EU-F-Gase-Verordnung neue Geräte?", ["EU-F-Gase-Verordnung"]),
        ("Was steht in § 3 des Brennstoffemissionshandelsgesetzes?", ["Brennstoffemissionshandelsgesetz"]),
        ("Was verlangt das Heizungsgesetz?", []),  # Luna's everyday name for the GEG
        ("Was sagt das Gesetz dazu, und welche Verordnung gilt?", []),  # no law of its own
    ],
)
def test_a_law_named_by_its_own_word_is_looked_up_whole(question: str, laws: list[str]) -> None:
    assert law_names(question) == laws
