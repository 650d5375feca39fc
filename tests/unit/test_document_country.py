"""A document's country from its own words: a Swiss municipal plan is Swiss, a German law German, a
general article on heat pumps nobody's in particular."""

from __future__ import annotations

import pytest

from luna.domain.document_country import asked_at_home, document_country, is_foreign, uncovered_countries
from luna.domain.recommend_reasons import foreign_reason, topic_of_tag

WINTERTHUR = (
    "Kommunaler Energieplan Winterthur. Luft-Wasser-Wärmepumpen ausserhalb des Gebäudes sind beim Kanton "
    "zu melden; grössere Anlagen sind bewilligungspflichtig. Förderbeitrag: 2'000 CHF je Anlage."
)
VIENNA = "Die E-Control vergleicht Stromtarife in Österreich; in Wien gelten die Netztarife der Wiener Netze."
GERMAN_LAW = "Nach § 14a EnWG genehmigt die Bundesnetzagentur ein reduziertes Netzentgelt."
GENERAL = "Eine Wärmepumpe heizt effizient, wenn die Vorlauftemperatur unter 55 Grad bleibt."


@pytest.mark.parametrize(
    ("text", "country"),
    [
        (WINTERTHUR, "CH"),
        (VIENNA, "AT"),
        (GERMAN_LAW, "DE"),
        (GENERAL, None),
        # One mention of another country in a German text does not make it foreign.
        (GERMAN_LAW + " Auch in der Schweiz gibt es Netzentgelte.", "DE"),
        # One marker alone is not enough; and words that merely contain one do not count.
        ("Die Stromsteuer beträgt 2,05 ct/kWh in Deutschland.", None),
        ("Stadtwerke Bad Rappenau: Kantonsrat? Nein, Gemeinderat. Wiener Schnitzel im Wienerwald.", None),
        # Two countries equally: it does not say.
        ("Vergleich Deutschland und Schweiz: EEG, GEG, Kanton, CHF.", None),
    ],
)
def test_the_country_is_read_from_markers_only_one_country_has(text: str, country: str | None) -> None:
    assert document_country(text=text) == country


def test_title_tags_and_web_address_count_too_and_an_operators_tag_decides() -> None:
    assert document_country(title="Energieplan Kanton Zürich") == "CH"
    assert document_country(url="https://stadt.winterthur.ch/energie", text=GENERAL) == "CH"
    assert document_country(url="https://www.e-control.at/tarife", text=GENERAL) == "AT"
    assert document_country(tags=["Schweiz", "Kantone"], text=GENERAL) == "CH"
    # ``land:XX`` (or ``country:XX``) wins over anything the text says.
    assert document_country(tags=["waermepumpe", "land:de"], text=WINTERTHUR) == "DE"
    assert document_country(tags=["country: AT"], text=GENERAL) == "AT"


def test_only_a_known_other_country_is_foreign() -> None:
    assert is_foreign("CH", "DE") and is_foreign("DE", "AT")
    assert not is_foreign("DE", "DE") and not is_foreign(None, "DE") and not is_foreign("CH", None)


def test_a_foreign_document_says_where_it_is_from_and_its_tag_is_no_topic() -> None:
    reason = foreign_reason("weil Sie sich für Wärmepumpen interessieren", "CH")

    assert reason == (
        "weil Sie sich für Wärmepumpen interessieren – ein Beispiel aus der Schweiz, "
        "dort gelten eigene Regeln und Preise"
    )
    assert "aus Österreich," in foreign_reason("neu in der Wissensbasis", "AT")
    assert topic_of_tag("land:CH") is None


GERMAN_LAW = "Gesetz für den Ausbau erneuerbarer Energien (EEG 2023) › § 48 Solare Strahlungsenergie"
SWISS_PORTAL = "Energieportal Winterthur › Photovoltaik: Die Stadt fördert Anlagen mit 500 CHF."


@pytest.mark.parametrize(
    ("question", "uncovered"),
    [
        ("Welche Förderung gibt es in Österreich für eine Photovoltaikanlage?", {"AT"}),
        ("Wie hoch ist die Einspeisevergütung für Solarstrom in Frankreich?", {"FR"}),
        ("Was zahlt ein Haushalt in Wien für die Netznutzung?", {"AT"}),  # a city names its country
        ("Was fördert der Kanton Zürich bei Photovoltaik?", set()),  # the Swiss portal mentions it
        ("Gilt das EEG in Deutschland auch für Balkonkraftwerke?", set()),  # the home country
        ("Wie hoch ist die Einspeisevergütung?", set()),  # no country named
        ("Gibt es eine österreichische Förderung für Speicher?", {"AT"}),
        ("Was kostet Strom in den Niederlanden?", {"NL"}),
        ("Gibt es in Luxemburg eine Einspeisevergütung?", {"LU"}),
        # Named, but not where the question is set: the reader asks about the rules here.
        ("Ich bin aus der Schweiz nach Deutschland gezogen. Wer ist mein Grundversorger?", set()),
        ("Wir wohnen an der Grenze zu Polen. Gilt das EEG für unsere Anlage?", set()),
    ],
)
def test_a_question_about_a_country_no_passage_mentions_is_uncovered(
    question: str, uncovered: set[str]
) -> None:
    assert uncovered_countries(question, [GERMAN_LAW, SWISS_PORTAL], "DE") == uncovered


def test_the_home_country_is_never_uncovered_and_a_passage_naming_the_country_covers_it() -> None:
    question = "Welche Förderung gibt es in Österreich für eine Photovoltaikanlage?"
    assert uncovered_countries(question, [GERMAN_LAW], "AT") == set()
    assert uncovered_countries(question, ["Die österreichische Förderung …"], "DE") == set()


@pytest.mark.parametrize(
    ("question", "countries", "at_home"),
    [
        (
            "Was kostet die Netznutzung pro Kilowattstunde in Österreich?",
            ["AT"],
            "Was kostet die Netznutzung pro Kilowattstunde?",
        ),
        ("Gibt es in Luxemburg eine Einspeisevergütung?", ["LU"], "Gibt es eine Einspeisevergütung?"),
        (
            "Was zahlt ein Haushalt in Wien für die Netznutzung?",
            ["AT"],
            "Was zahlt ein Haushalt für die Netznutzung?",
        ),
        # Still set there, in other words: not the same question at home.
        ("Gibt es in Österreich eine österreichische Förderung für Speicher?", ["AT"], None),
        ("Gibt es eine österreichische Förderung für Speicher?", ["AT"], None),
        # Another country named beside it, the readers' own too: a comparison is no question for home.
        ("Was kostet Strom in Österreich und in der Schweiz?", ["AT", "CH"], None),
        ("Was kostet Strom in Österreich und der Schweiz?", ["AT"], None),
        ("Gibt es in Österreich, Frankreich und Italien Förderungen?", ["AT"], None),
        ("Was kostet Strom in Deutschland und in Österreich?", ["AT"], None),
        ("Was kostet Strom in Österreich im Vergleich zu Deutschland?", ["AT"], None),
        # Removing the place would leave a headless sentence, a stray comma or empty brackets.
        ("In Österreich gibt es welche Förderung für Wärmepumpen?", ["AT"], None),
        ("Was kostet, in Österreich, die Netznutzung?", ["AT"], None),
        ("Was kostet die Netznutzung (in Österreich)?", ["AT"], None),
        # What is left would be a follow-up, asked again after this question: no question of its own.
        ("Was kostet Strom in den Niederlanden?", ["NL"], None),
        ("Und in Frankreich?", ["FR"], None),
        # Nothing removed.
        ("Wie hoch ist die Einspeisevergütung?", ["FR"], None),
    ],
)
def test_a_question_set_abroad_is_asked_at_home_without_its_place(
    question: str, countries: list[str], at_home: str | None
) -> None:
    assert asked_at_home(question, countries) == at_home
