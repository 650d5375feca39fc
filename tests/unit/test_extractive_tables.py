"""Which row of a price table leads an answer: the one the question names, else the table's first.

e5 gives the rows of one table near-equal cosines for a question that names none of their labels
("Wie hoch sind die Netzentgelte 2026 pro Kilowattstunde?": 0.002–0.013 apart on the demo price sheet),
so a business customers' row used to lead a household's answer by chance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.adapters.models.extractive_sentences import chunk_sentences, introduced_table
from luna.adapters.models.extractive_words import GermanStemmer
from luna.domain.answer_tables import table_rows, without_tables_shown_before
from luna.domain.answers import ContextChunk, LunaPrompts, build_rag_messages

SHEET = ContextChunk(
    "t1",
    "| Kundengruppe | Grundpreis (€/a) | Arbeitspreis (ct/kWh) |\n"
    "| --- | --- | --- |\n"
    "| Haushalt ohne Leistungsmessung (SLP) | 60,00 | 8,12 |\n"
    "| Gewerbe ohne Leistungsmessung (SLP) | 85,00 | 7,64 |\n"
    "| Leistungsmessung ab 2.500 h/a | 0,00 | 2,71 |",
    title="Netzentgelte 2026",
    section="Preisblatt Niederspannung",
)


class _RowCosines:
    """A stand-in embedding model whose question-row cosines are set per row label."""

    def __init__(self, cosines: dict[str, float]) -> None:
        self._cosines = cosines

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0]

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        cosine = next((c for label, c in self._cosines.items() if label in text), 0.5)
        return [cosine, math.sqrt(1 - cosine * cosine)]


def _lead(prompts: LunaPrompts, question: str, cosines: dict[str, float]) -> str:
    model = ExtractiveChatModel(prompts, meaning=_RowCosines(cosines))
    answer = model.answer(build_rag_messages(prompts, question, [SHEET]))
    return answer.split("\n\n")[0].splitlines()[0]


def test_rows_the_model_cannot_tell_apart_lead_in_the_tables_order(prompts: LunaPrompts) -> None:
    lead = _lead(
        prompts,
        "Wie hoch sind die Netzentgelte 2026 pro Kilowattstunde?",
        {"Leistungsmessung ab": 0.905, "Haushalt": 0.899, "Gewerbe": 0.895},
    )

    assert lead.startswith("Kurz gesagt: Haushalt ohne Leistungsmessung (SLP): Grundpreis (€/a) 60,00")
    assert lead.index("Haushalt") < lead.index("Gewerbe")


def test_the_row_the_question_names_leads(prompts: LunaPrompts) -> None:
    lead = _lead(
        prompts,
        "Was zahlt ein Betrieb mit Leistungsmessung pro Kilowattstunde?",
        {"Leistungsmessung ab": 0.95, "Haushalt": 0.85, "Gewerbe": 0.86},
    )

    assert lead.startswith("Kurz gesagt: Leistungsmessung ab 2.500 h/a: Grundpreis (€/a) 0,00")


INTRODUCTION = ContextChunk(
    "s1",
    "Gegenüber dem Vorjahr sinkt der Arbeitspreis für Haushaltskunden um 0,9 ct/kWh.",
    title="Netzentgelte 2026",
)


def test_behind_a_leading_sentence_the_tied_rows_follow_in_the_tables_order(prompts: LunaPrompts) -> None:
    # The README's "Was kostet die Netznutzung pro Kilowattstunde?": the price sheet's sentence leads,
    # then the row the model ranks a hair higher than the household's must not take the second place.
    model = ExtractiveChatModel(
        prompts,
        meaning=_RowCosines(
            {"sinkt": 0.95, "Leistungsmessung ab": 0.905, "Haushalt": 0.901, "Gewerbe": 0.899}
        ),
    )
    question = "Was kostet die Netznutzung pro Kilowattstunde?"

    answer = model.answer(build_rag_messages(prompts, question, [INTRODUCTION, SHEET]))

    lead = answer.splitlines()[0]
    assert lead.index("sinkt") < lead.index("Haushalt ohne Leistungsmessung (SLP)")
    assert "2,71" not in lead


def test_a_form_s_fields_set_as_a_table_are_quoted_as_fields() -> None:
    fields = "| Zahlungstyp (codiert): | 58 - per SEPA |\n| --- | --- |\n| IBAN : | DE91100000000123456789 |"

    assert [row.text for row in table_rows(fields)] == [
        "Zahlungstyp (codiert): 58 - per SEPA",
        "IBAN: DE91100000000123456789",
    ]


def test_a_table_with_column_names_names_them_in_each_row() -> None:
    assert table_rows(SHEET.text)[0].text == (
        "Haushalt ohne Leistungsmessung (SLP): Grundpreis (€/a) 60,00 · Arbeitspreis (ct/kWh) 8,12"
    )


def test_fields_under_a_group_s_name_are_quoted_with_it() -> None:
    buyer = "| Käufer/Leistungsempfänger |  |\n| --- | --- |\n| Nummer: | 16259 |"
    address = "|  | DE 74465 Demoort |\n| --- | --- |\n| USt.-Id.-Nr.: | DE136695976 |"

    assert [row.text for row in table_rows(buyer)] == ["Käufer/Leistungsempfänger – Nummer: 16259"]
    assert [row.text for row in table_rows(address)] == ["DE 74465 Demoort", "USt.-Id.-Nr.: DE136695976"]


def test_a_row_without_a_label_names_its_columns_alone() -> None:
    positions = "| Pos | Beschreibung | Nettopreis |\n| --- | --- | --- |\n|  | TGA Monteur | 43,20 |"

    assert [row.text for row in table_rows(positions)] == ["Beschreibung TGA Monteur · Nettopreis 43,20"]


def test_a_table_of_column_names_alone_is_never_quoted() -> None:
    frame = ContextChunk("h1", "| Name | Dateiname |\n| --- | --- |", title="Rechnung", section="Unterlagen")

    assert chunk_sentences(frame, 0, GermanStemmer()) == []


SUBSIDIES = ContextChunk(
    "t2",
    "| Baustein | Fördersatz | Voraussetzung |\n"
    "| --- | --- | --- |\n"
    "| Grundförderung | 30 % | Austausch einer fossilen Heizung |\n"
    "| Einkommensbonus | 30 % | Haushaltseinkommen bis 40.000 Euro |",
    title="Förderung für den Heizungstausch 2026",
    section="Zuschüsse im Überblick",
)
ELIGIBLE_COSTS = ContextChunk(
    "s2", "Förderfähig sind Kosten bis 30.000 Euro für die erste Wohneinheit.", title="Förderung"
)


def test_a_lead_row_that_holds_the_question_s_words_answers_though_no_sentence_is_close_in_meaning(
    prompts: LunaPrompts,
) -> None:
    # The demo subsidy page: "Wie hoch ist die Grundförderung?" was refused, because the gate judged only
    # the sentence closest in meaning ("Förderfähig sind Kosten …", below 0.86) while the row that
    # reads first holds every word of the question.
    model = ExtractiveChatModel(
        prompts, meaning=_RowCosines({"Förderfähig": 0.845, "Grundförderung": 0.84, "Einkommensbonus": 0.82})
    )

    answer = model.answer(
        build_rag_messages(prompts, "Wie hoch ist die Grundförderung?", [SUBSIDIES, ELIGIBLE_COSTS])
    )

    assert "Grundförderung: Fördersatz 30 %" in answer.split("\n\n")[0]
    assert "[chunk t2]" in answer


def test_without_the_question_s_words_or_meaning_it_is_still_refused(prompts: LunaPrompts) -> None:
    model = ExtractiveChatModel(
        prompts, meaning=_RowCosines({"Förderfähig": 0.845, "Grundförderung": 0.84, "Einkommensbonus": 0.82})
    )

    answer = model.answer(
        build_rag_messages(prompts, "Wie hoch ist die Abwrackprämie?", [SUBSIDIES, ELIGIBLE_COSTS])
    )

    assert "[chunk" not in answer


PRICES = "| Gruppe | ct/kWh |\n| --- | --- |\n| Haushalt | 8,12 |\n| Gewerbe | 7,64 |"


def test_a_table_an_earlier_answer_showed_whole_is_left_out_with_its_citation_line() -> None:
    earlier = f"Kurz gesagt: Haushalt 8,12 ct/kWh.\n{PRICES}\n\nNachzulesen in „Netzentgelte“."
    introduced = (
        f"Kurz gesagt: Gewerbe 7,64 ct/kWh.\n\n{PRICES}\n[chunk c1]\n\nNachzulesen in „Netzentgelte“."
    )

    shown = without_tables_shown_before(introduced, [earlier])

    assert shown == "Kurz gesagt: Gewerbe 7,64 ct/kWh.\n\nNachzulesen in „Netzentgelte“."
    assert without_tables_shown_before(introduced, []) == introduced  # the first answer shows it
    other = PRICES.replace("7,64", "7,65")  # another table (a newer sheet) is shown
    assert without_tables_shown_before(introduced, [earlier.replace(PRICES, other)]) == introduced


def test_only_a_whole_table_shown_line_for_line_counts_as_shown() -> None:
    wider = PRICES.replace("| ct/kWh |", "| ct/kWh | Grundpreis |")  # its lines hold PRICES' lines
    one_row = "Kurz gesagt: so.\n| Gewerbe | 7,64 |"

    assert without_tables_shown_before(f"a\n{PRICES}\nb", [f"x\n{wider}\ny"]) == f"a\n{PRICES}\nb"
    assert without_tables_shown_before(one_row, [PRICES]) == one_row  # a row is no table


def test_a_table_left_out_at_the_start_or_end_leaves_no_blank_line() -> None:
    assert without_tables_shown_before(f"{PRICES}\n[chunk c1]\n\nrest", [PRICES]) == "rest"
    assert without_tables_shown_before(f"intro\n\n{PRICES}", [PRICES]) == "intro"


_JAZ = "Auslegung > Vorlauftemperatur und Jahresarbeitszahl"
_POINTER = ContextChunk(
    "p1",
    "Je niedriger die Vorlauftemperatur, desto effizienter arbeitet die Wärmepumpe. Die folgende Tabelle "
    "zeigt typische Werte für Luft-Wasser-Wärmepumpen.",
    title="Wärmepumpe im Einfamilienhaus",
    section=_JAZ,
)


_TABLE = ContextChunk(
    "p2",
    "| Gebäude | Vorlauftemperatur | erwartete JAZ |\n| --- | --- | --- |\n| Neubau | 30 °C | 4,6 |\n"
    "| unsaniert | 55 °C | 2,8 |",
    title="Wärmepumpe im Einfamilienhaus",
    section=_JAZ,
)
_OPENING = ContextChunk(
    "p0",
    "Eine Wärmepumpe entzieht der Umgebung Wärme und hebt sie mit Strom auf die Temperatur, die das "
    "Heizsystem braucht. Aus einer Kilowattstunde Strom werden so drei bis fünf Kilowattstunden Wärme.",
    title="Wärmepumpe im Einfamilienhaus",
)


def _answer(prompts: LunaPrompts, question: str, chunks: list[ContextChunk]) -> str:
    return ExtractiveChatModel(prompts).answer(build_rag_messages(prompts, question, chunks))


def test_a_sentence_that_names_the_table_below_it_brings_it_without_a_colon(prompts: LunaPrompts) -> None:
    pointer = chunk_sentences(_POINTER, 0, GermanStemmer())[-1]
    elsewhere = ContextChunk("p3", _TABLE.text, title="Wärmepumpe im Einfamilienhaus", section="Förderung")

    assert introduced_table(pointer, [_POINTER, _TABLE]) is _TABLE
    assert introduced_table(pointer, [_POINTER, elsewhere]) is None  # another section's table is not it
    answer = _answer(prompts, "Wie effizient arbeitet eine Wärmepumpe?", [_OPENING, _POINTER, _TABLE])
    lead, table, *rest = answer.split("\n\n")
    assert lead.endswith("Die folgende Tabelle zeigt typische Werte für Luft-Wasser-Wärmepumpen [chunk p1].")
    assert table.splitlines()[-2:] == ["| unsaniert | 55 °C | 2,8 |", "[chunk p2]"]
    assert "Neubau" not in "\n\n".join(rest)  # the shown table's rows are no key points again


def test_a_sentence_pointing_to_a_table_not_found_is_not_quoted(prompts: LunaPrompts) -> None:
    """The demo's "Lohnt sich eine Wärmepumpe?" listed "Die folgende Tabelle zeigt typische Werte …" as a
    key point with no table after it; asked for the values alone, that sentence was the whole answer."""
    answer = _answer(prompts, "Wie effizient arbeitet eine Wärmepumpe?", [_OPENING, _POINTER])
    values = _answer(prompts, "Welche Werte erreichen Luft-Wasser-Wärmepumpen?", [_OPENING, _POINTER])

    assert "desto effizienter arbeitet die Wärmepumpe [chunk p1]" in answer
    assert "folgende Tabelle" not in answer
    assert "[chunk" not in values  # nothing else answers: an honest refusal
