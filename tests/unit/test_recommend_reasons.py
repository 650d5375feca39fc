"""The German "why" of a recommendation, the topics it names, and numbers as German readers write them."""

from __future__ import annotations

import pytest

from luna.domain.recommend_reasons import (
    best_topic,
    clock_window,
    euros,
    interest_reason,
    kilowatt_hours,
    kilowatts,
    percent,
    similar_reason,
    topic_of_tag,
    topics_of,
)


@pytest.mark.parametrize(
    ("tag", "topic"),
    [
        ("pv", "Photovoltaik"),
        ("PV", "Photovoltaik"),
        ("Wärmepumpe", "Wärmepumpen"),
        ("waermepumpe", "Wärmepumpen"),
        ("e-mobilität", "Elektromobilität"),
        ("netzentgelte", "Netzentgelte"),
        ("tarif", "Stromtarife"),
        ("smart_meter", "Smart Meter"),
        ("netzausbau", "Netzausbau"),
        ("2024", None),
        ("", None),
        ("  ", None),
    ],
)
def test_tags_become_the_topic_a_customer_reads(tag: str, topic: str | None) -> None:
    assert topic_of_tag(tag) == topic


def test_an_item_without_tags_takes_its_topics_from_glossary_words_in_the_title() -> None:
    assert topics_of([], "Photovoltaik auf dem Dach: Eigenverbrauch erhöhen") == [
        "Photovoltaik",
        "Eigenverbrauch",
    ]
    assert topics_of(["pv", "solar"], "Egal") == ["Photovoltaik"]
    assert topics_of([], None) == []


def test_the_reason_names_the_users_strongest_shared_interest() -> None:
    interests = {"Photovoltaik": 3.0, "Stromspeicher": 5.0, "Stromtarife": 1.0}

    assert best_topic(["Photovoltaik", "Stromspeicher"], interests) == "Stromspeicher"
    assert best_topic(["Netzentgelte"], interests) is None
    assert interest_reason("Photovoltaik") == "weil Sie sich für Photovoltaik interessieren"


def test_a_long_title_is_shortened_in_the_similarity_reason() -> None:
    reason = similar_reason("Ein sehr langer Titel " * 10)

    assert reason.startswith("ähnlich zu „Ein sehr langer Titel") and reason.endswith(
        "“, das Sie gelesen haben"
    )
    assert len(reason) < 110


def test_numbers_are_written_the_german_way() -> None:
    assert euros(4.2) == "4,20 €"
    assert euros(1234.5) == "1.234,50 €"
    assert kilowatts(7.84) == "7,8 kW"
    assert kilowatt_hours(12.34) == "12,3 kWh"
    assert kilowatt_hours(1234.0) == "1.234 kWh"
    assert percent(0.615) == "62 %"
    assert clock_window(13, 0, 15, 0) == "13–15 Uhr"
    assert clock_window(13, 30, 15, 30) == "13:30–15:30 Uhr"


def test_bookkeeping_tags_are_no_topics_and_the_title_speaks_instead() -> None:
    assert topic_of_tag("demo") is None and topic_of_tag("Intern") is None
    assert topics_of(["demo"], "Wärmepumpe im Einfamilienhaus") == ["Wärmepumpen"]
    assert topics_of(["demo", "pv"], None) == ["Photovoltaik"]


@pytest.mark.parametrize(
    "tag",
    ["import-2024-05", "Import 2026-11-22", "demo_set", "Demo-Daten", "Test 3", "batch7", "tmp", "Upload"],
)
def test_tags_that_start_with_a_bookkeeping_word_are_no_topics(tag: str) -> None:
    """An operator's import or test batch is not what a customer is interested in."""
    assert topic_of_tag(tag) is None
    assert topics_of([tag], "Balkonkraftwerk im Mietshaus") == ["Photovoltaik"]


def test_a_topic_that_merely_ends_in_such_a_word_stays_a_topic() -> None:
    assert topic_of_tag("Wärmepumpen-Test") == "Wärmepumpen-Test"
    assert topic_of_tag("Testbericht") == "Testbericht"


def test_a_reader_of_batch_tagged_documents_is_told_the_documents_topic() -> None:
    """What the reason says comes from the topics the profile collected: never the batch's tag."""
    interests: dict[str, float] = {}
    for tags, title in ((["import-2024-05", "demo"], "Wärmepumpe im Altbau"), (["demo"], "Heizlast")):
        for topic in topics_of(tags, title):
            interests[topic] = interests.get(topic, 0.0) + 1.0

    topic = best_topic(topics_of(["import-2024-05"], "Wärmepumpe und Photovoltaik"), interests)

    assert topic is not None and interest_reason(topic) == "weil Sie sich für Wärmepumpen interessieren"
