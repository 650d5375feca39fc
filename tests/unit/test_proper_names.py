"""Which proper names of a question are looked up in the knowledge base (``luna.domain.proper_names``),
and the tagger that finds them (HanTa, bundled model)."""

from __future__ import annotations

import pytest

from luna.adapters.models.proper_names import MAX_NAME_CHARS, HantaProperNames
from luna.domain.proper_names import (
    firm_names,
    firms_not_found,
    law_names,
    name_parts,
    names_to_look_up,
    reader_places,
)


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


@pytest.mark.parametrize(
    ("question", "home"),
    [
        ("Ich wohne in Ulm. Wie hoch ist die Umlage?", {"Ulm"}),
        (
            "Wir wohnen zur Miete in Frankfurt am Main und fragen uns",
            {"Frankfurt am Main", "Frankfurt", "am", "Main"},
        ),
        ("Ich wohne in einer Mietwohnung in Berlin-Mitte, darf ich", {"Berlin-Mitte", "Berlin", "Mitte"}),
        ("Bei uns in Bad Tölz gibt es kein Wärmenetz.", {"Bad Tölz", "Bad", "Tölz"}),
        ("Ich komme aus Kiel.", {"Kiel"}),
        ("Ich lebe seit 2010 in Köln.", {"Köln"}),
        # a move: where the reader lives now and will live
        ("Wir ziehen von Köln nach Leipzig, unser Vertrag läuft noch.", {"Köln", "Leipzig"}),
        ("Ich bin letztes Jahr nach Kassel gezogen.", {"Kassel"}),
        ("Nächsten Monat ziehe ich nach Bad Tölz um.", {"Bad Tölz", "Bad", "Tölz"}),
        ("Wir sind von Köln nach Leipzig gezogen.", {"Köln", "Leipzig"}),
        ("Wir ziehen nach Wien und fragen uns, was dort Strom kostet.", set()),
        ("Wie viel CO2 verursacht ein Flug von Frankfurt nach New York?", set()),
        # the question is about the place: abroad, or a firm's town
        ("Ich wohne in Basel-Stadt: Brauche ich dort eine Baubewilligung?", set()),
        ("Wir leben in Wien und heizen mit Gas.", set()),
        ("Was zahlen die IWB in Basel?", set()),
        ("Was kostet bei den Stadtwerken München eine Kilowattstunde?", set()),
    ],
)
def test_where_the_reader_lives_is_the_scene_not_the_topic(question: str, home: set[str]) -> None:
    assert reader_places(question) == home


def test_the_readers_home_town_is_not_looked_up_but_a_firm_is() -> None:
    question = "Ich wohne in Ulm und habe eine Wärmepumpe von Viessmann. Gibt es dafür einen Netzrabatt?"
    assert names_to_look_up(["Ulm", "Viessmann"], question) == ["Viessmann"]


@pytest.mark.parametrize(
    ("question", "names", "looked_up"),
    [
        # "Facility" was looked up as a firm, and a question about a doctors' house refused.
        ("Ich bin Facility Manager eines Ärztehauses. Muss der Energieausweis aushängen?", ["Facility"], []),
        ("Als Energy Manager muss ich was melden?", ["Energy"], []),
        ("Ich bin Kunde bei Tibber. Was kostet der Tarif?", ["Tibber"], ["Tibber"]),
        ("Ich bin Vattenfall-Kunde und frage nach dem Preis.", ["Vattenfall"], ["Vattenfall"]),
        ("Ich bin Vattenfall Kunde und frage nach dem Preis.", ["Vattenfall"], ["Vattenfall"]),
    ],
)
def test_the_role_the_reader_gives_themselves_is_not_looked_up_but_a_firm_beside_it_is(
    question: str, names: list[str], looked_up: list[str]
) -> None:
    assert names_to_look_up(names, question) == looked_up


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
    ("name", "base"),
    [("Boni", "Bonus"), ("Bremens", "Bremen"), ("Viessmann", "Viessmann"), ("Basel-Stadt", "Basel-Stadt")],
)
def test_an_inflected_word_has_its_base_form_a_name_stays_as_written(
    tagger: HantaProperNames, name: str, base: str
) -> None:
    assert tagger.base_form(name) == base


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


@pytest.mark.parametrize(
    ("question", "firms"),
    [
        (
            "Wie viel kostet die Kilowattstunde im Grundversorgungstarif der Stadtwerke München?",
            ["Stadtwerke München"],
        ),
        ("Wie hoch sind die Netzentgelte der Netze BW für einen Haushalt?", ["Netze BW"]),
        ("Die Stadtwerke Bad Tölz haben mir gekündigt. Dürfen die das?", ["Stadtwerke Bad Tölz"]),
        ("Was zahle ich bei den Stadtwerken Ulm und bei den Stadtwerken Ulm?", ["Stadtwerken Ulm"]),
        # German capitalises every noun: the word after the kind must be a name
        ("Bieten die Stadtwerke Ökostrom an?", []),
        ("Die Stadtwerke bauen ein Wärmenetz. Muss ich anschließen?", []),
        ("Gehören die Netze Stadtwerken?", []),
        # whose networks, not a firm's name
        ("Wie werden die Netze Deutschlands ausgebaut?", []),
        ("Wie werden die Netze Bayerns ausgebaut?", []),
    ],
)
def test_a_utility_is_named_by_its_kind_and_a_name_the_tagger_finds(
    tagger: HantaProperNames, question: str, firms: list[str]
) -> None:
    assert firm_names(question, tagger.names(question)) == firms


def test_a_utility_is_known_only_where_a_passage_names_kind_and_name_together() -> None:
    firms = ["Stadtwerke München", "Stadtwerk Winterthur", "Netze BW"]
    passages = [
        "Das Oberlandesgericht München hat entschieden.",  # the place alone is not the firm
        "Tarife von STADTWERK   Winterthur",  # any case, any spacing
        "Die Netze BWL",  # a longer word is another name
    ]

    assert firms_not_found(firms, passages) == ["Stadtwerke München", "Netze BW"]
    assert firms_not_found(["Stadtwerke München"], ["Die Stadtwerken München liefern."]) == []


def test_a_word_too_long_for_a_name_is_not_given_to_the_tagger(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tagger's time grows with the square of a word's length, under a lock every question shares:
    one question of 2,000 letters held every customer's answer for 38 s (and ended in a 503)."""
    names = HantaProperNames()
    names.names("Was kostet Strom?")  # loads the tagger
    tagger = names._tagger
    given: list[list[str]] = []
    tag_sent = tagger.tag_sent

    def recorded(tokens: list[str], **options: object) -> object:
        given.append(list(tokens))
        return tag_sent(tokens, **options)

    monkeypatch.setattr(tagger, "tag_sent", recorded)
    found = names.names("Bietet Viessmann " + "a" * 2_000 + " einen Tarif an?")
    assert "Viessmann" in found
    assert given and all(len(token) <= MAX_NAME_CHARS for token in given[0])
