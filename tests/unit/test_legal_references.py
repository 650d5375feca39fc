"""A question that names a law's section is about that section: which section, of which law, and
whether it asks what the section says or something in it."""

from __future__ import annotations

import pytest

from luna.domain.fusion import in_order
from luna.domain.legal_references import (
    asks_what_section_says,
    named_documents,
    names_an_absent_law,
    opens_paragraph,
    paragraph_asked,
    paragraph_order,
    referenced,
    section_number,
    section_numbers,
    sections_asked,
    short_title,
)

ENWG = "Gesetz über die Elektrizitäts- und Gasversorgung (Energiewirtschaftsgesetz – EnWG)"
EEG = "Gesetz für den Ausbau erneuerbarer Energien (Erneuerbare-Energien-Gesetz – EEG 2023)"
GEG = "Gesetz zur Einsparung von Energie … in Gebäuden (Gebäudeenergiegesetz – GEG)"
MSBG = (
    "Gesetz über den Messstellenbetrieb … in intelligenten Energienetzen (Messstellenbetriebsgesetz – MsbG)"
)


@pytest.mark.parametrize(
    ("question", "numbers"),
    [
        ("Was regelt § 14a EnWG?", ["14a"]),
        ("Was steht in §14a und § 14 EnWG?", ["14a", "14"]),
        ("Worum geht es in Paragraf 48 des EEG?", ["48"]),
        ("Gilt §§ 41f EnWG auch für Gas?", ["41f"]),
        ("Was kostet eine Kilowattstunde 2026?", []),
        ("Ab 14 Uhr gilt der Tarif A.", []),
    ],
)
def test_the_section_numbers_a_question_names(question: str, numbers: list[str]) -> None:
    assert section_numbers(question) == numbers


def test_a_chunk_belongs_to_the_last_section_of_its_path() -> None:
    assert section_number("Teil 3 > Abschnitt 2 > § 14a Netzorientierte Steuerung") == "14a"
    assert section_number("Preisblatt > Niederspannung") is None
    assert section_number(None) is None


@pytest.mark.parametrize(
    ("title", "short"),
    [
        (ENWG, "EnWG"),
        (EEG, "EEG 2023"),
        ("Stromsteuergesetz (StromStG)", "StromStG"),
        ("Netzentgelte 2026", None),
    ],
)
def test_a_laws_short_name_comes_from_its_title(title: str, short: str | None) -> None:
    assert short_title(title) == short


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Was regelt § 71 GEG?", {GEG}),
        ("Was steht in § 71 des Gebäudeenergiegesetzes?", {GEG}),
        ("Was sagt das Heizungsgesetz in § 71?", {GEG}),  # an everyday name, through its synonym group
        (f"Was steht in ‚{EEG}‘ über ‚§ 8 Anschluss‘?", {EEG}),  # Luna's own follow-up quotes the title
        ("Was regelt § 8?", set()),  # no law named: every law's § 8 counts
    ],
)
def test_the_law_a_question_names(question: str, named: set[str]) -> None:
    assert named_documents(question, [ENWG, EEG, GEG, MSBG]) == named


def test_only_the_named_laws_section_is_referenced_and_in_the_order_given() -> None:
    places = [
        ("c1", ENWG, "Teil 3 > § 14 Aufgaben der Betreiber"),  # refers to § 14a in its text, not its section
        ("c2", ENWG, "Teil 3 > § 14a Netzorientierte Steuerung"),
        ("c3", MSBG, "Teil 2 > § 14a Übergangsregelung"),
        ("c4", ENWG, "Teil 3 > § 14a Netzorientierte Steuerung"),
    ]

    assert referenced("Was regelt § 14a EnWG?", places) == ["c2", "c4"]
    assert referenced("Was regelt § 14a?", places) == ["c2", "c3", "c4"]
    assert referenced("Was kostet Strom?", places) == []


@pytest.mark.parametrize(
    "question",
    ["Was regelt § 14a EStG?", "Was steht in § 14a Abs. 1 des BGB?", "Gilt § 14a der Heizkostenverordnung?"],
)
def test_a_law_the_knowledge_base_does_not_hold_is_not_answered_with_another_laws_section(
    question: str,
) -> None:
    places = [
        ("c2", ENWG, "Teil 3 > § 14a Netzorientierte Steuerung"),
        ("c3", MSBG, "Teil 2 > § 14a Übergang"),
    ]

    assert referenced(question, places) == []


@pytest.mark.parametrize(
    ("question", "whole"),
    [
        ("Was regelt § 14a EnWG?", True),
        ("Worum geht es eigentlich in Paragraf 14a des Energiewirtschaftsgesetzes?", True),
        (f"Was steht in ‚{ENWG}‘ über ‚§ 14a Netzorientierte Steuerung‘?", True),
        ("Wer muss nach § 14a EnWG eine Wärmepumpe drosseln lassen?", False),
        ("Wie viel spart man mit Modul 2 nach § 14a EnWG?", False),
    ],
)
def test_whether_a_question_asks_what_the_section_says(question: str, whole: bool) -> None:
    assert asks_what_section_says(question, ENWG, "Teil 3 > § 14a Netzorientierte Steuerung") is whole


def test_a_sections_chunks_are_read_from_its_first_paragraph() -> None:
    chunks = ["Satz ohne Absatz.", "(3) Drittens.\n(4) Viertens.", "(1) Erstens.\n(2) Zweitens."]

    assert sorted(chunks, key=paragraph_order) == [chunks[2], chunks[1], chunks[0]]


def test_in_order_reads_a_block_in_the_given_order_and_keeps_the_scores_sorted() -> None:
    fused = [("b", 5.0), ("a", 4.5), ("x", 2.0), ("c", 1.0)]

    assert in_order(fused, ["a", "b", "c"]) == [("a", 5.0), ("b", 4.5), ("x", 2.0), ("c", 1.0)]


@pytest.mark.parametrize(
    ("question", "sections"),
    [
        ("Was regelt das EnWG?", ["1"]),
        ("Worum geht es im Gebäudeenergiegesetz?", ["1"]),
        ("Was ist der Zweck des Heizungsgesetzes?", ["1"]),
        ("Was regelt § 14a EnWG?", ["14a"]),
        ("Worum geht es bei der Wärmepumpe?", []),  # names no law
        ("Was kostet Strom nach dem EEG im Jahr?", []),  # asks something of the law, not what it is about
    ],
)
def test_a_question_about_a_whole_law_is_about_its_first_section(question: str, sections: list[str]) -> None:
    assert sections_asked(question) == sections


def test_a_whole_law_question_references_that_laws_first_section_only() -> None:
    places = [("e1", ENWG, "Teil 1 > § 1 Zweck und Ziele"), ("g1", GEG, "Teil 1 > § 1 Zweck und Ziel")]

    assert referenced("Was regelt das EnWG?", places) == ["e1"]
    assert referenced("Was regelt das BGB?", places) == []  # a law the knowledge base does not hold


def test_a_section_of_a_law_no_document_is_counts_as_absent() -> None:
    assert names_an_absent_law("Was regelt § 14a EStG?", [ENWG, EEG])
    assert not names_an_absent_law("Was regelt § 14a EnWG?", [ENWG, EEG])
    assert not names_an_absent_law("Was regelt § 14a?", [ENWG])  # no law named: any law's § 14a


@pytest.mark.parametrize(
    ("question", "paragraph"),
    [
        ("Was steht in § 41 Abs. 3 EnWG?", "3"),
        ("Was regelt § 8 Absatz 5a EEG?", "5a"),
        ("Was regelt § 8 EEG?", None),
    ],
)
def test_the_paragraph_a_question_names(question: str, paragraph: str | None) -> None:
    assert paragraph_asked(question) == paragraph


def test_a_paragraph_opens_a_line_of_a_chunk() -> None:
    text = "(5) Fünftens.\n(5a) Ein Steckersolargerät darf angeschlossen werden."

    assert opens_paragraph(text, "5a") and opens_paragraph(text, "5")
    assert not opens_paragraph(text, "6") and not opens_paragraph("Nach (5a) gilt.", "5a")
