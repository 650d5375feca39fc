"""Which sentence leads an extractive answer when the embedding model finds several equally near."""

from __future__ import annotations

import pytest

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.adapters.models.extractive_sentences import chunk_sentences, is_no_key_point
from luna.adapters.models.extractive_words import GermanStemmer
from luna.domain.answer_tables import FIGURE_QUESTION, FIGURE_WITH_UNIT
from luna.domain.answers import (
    ContextChunk,
    Exchange,
    LunaPrompts,
    build_rag_messages,
)
from tests.fakes import AllAlikeEmbedder


def _lead(prompts: LunaPrompts, question: str, chunks: list[ContextChunk]) -> str:
    model = ExtractiveChatModel(prompts, meaning=AllAlikeEmbedder(), max_points=1)
    return model.answer(build_rag_messages(prompts, question, chunks)).split("\n\n")[0]


def test_among_equally_near_sentences_the_one_with_the_questions_words_leads(prompts: LunaPrompts) -> None:
    chunk = ContextChunk(
        "c1", "Die Anlage wird jährlich geprüft. Die Einspeisevergütung für kleine Solaranlagen sinkt stetig."
    )

    lead = _lead(prompts, "Wie ändert sich die Einspeisevergütung für Solaranlagen?", [chunk])

    assert lead.startswith(
        "Kurz gesagt: Die Einspeisevergütung für kleine Solaranlagen sinkt stetig [chunk c1]."
    )


def test_among_equally_near_sentences_the_better_retrieved_chunk_leads(prompts: LunaPrompts) -> None:
    chunks = [
        ContextChunk("first", "Der Zähler wird vom Messstellenbetreiber gewechselt."),
        ContextChunk("second", "Der Zähler wird vom Netzbetreiber abgelesen."),
    ]

    lead = _lead(prompts, "Wer kümmert sich um den Zähler?", chunks)

    assert lead.startswith("Kurz gesagt: Der Zähler wird vom Messstellenbetreiber gewechselt [chunk first].")


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Wie hoch ist der Arbeitspreis mit Leistungsmessung?", "Bei Kunden mit Leistungsmessung beträgt"),
        ("Wie hoch ist der Arbeitspreis ohne eine Leistungsmessung?", "Bei Kunden ohne Leistungsmessung"),
    ],
)
def test_a_sentence_that_says_without_what_the_question_asks_with_holds_not_its_word(
    prompts: LunaPrompts, question: str, answer: str
) -> None:
    chunk = ContextChunk(
        "c1",
        "Bei Kunden ohne Leistungsmessung beträgt der Arbeitspreis 8,12 ct/kWh. "
        "Bei Kunden mit Leistungsmessung beträgt der Arbeitspreis 6,48 ct/kWh.",
    )

    assert _lead(prompts, question, [chunk]).startswith(f"Kurz gesagt: {answer}")


def test_with_and_without_are_read_after_an_article_and_in_any_case() -> None:
    stemmer = GermanStemmer()

    with_, without = stemmer.with_and_without("Mit einer Wärmepumpe, aber ohne den Speicher und mit 5 kW")

    assert (with_, without) == (frozenset(stemmer.content_stems("Wärmepumpe")), frozenset({"speich"}))


def test_a_price_question_is_led_by_the_sentence_with_the_amount(prompts: LunaPrompts) -> None:
    chunk = ContextChunk(
        "c1", "Der Grundpreis wird monatlich abgerechnet. Der Grundpreis beträgt 60 Euro im Jahr."
    )

    lead = _lead(prompts, "Was kostet der Grundpreis?", [chunk])

    assert lead.startswith("Kurz gesagt: Der Grundpreis beträgt 60 Euro im Jahr [chunk c1].")


def test_a_figure_asked_in_a_later_clause_is_led_by_the_sentence_with_the_amount(
    prompts: LunaPrompts,
) -> None:
    chunk = ContextChunk(
        "c1", "Der Wärmespeicher wird gefördert. Gefördert wird der Wärmespeicher mit 250 Euro."
    )

    lead = _lead(prompts, "Wird der Wärmespeicher gefördert, und mit wie viel?", [chunk])

    assert lead.startswith("Kurz gesagt: Gefördert wird der Wärmespeicher mit 250 Euro [chunk c1].")


@pytest.mark.parametrize("amount", ["17 Rappen pro kWh", "1'500 Franken", "CHF 900"])
def test_a_swiss_amount_is_a_figure_too(prompts: LunaPrompts, amount: str) -> None:
    chunk = ContextChunk("c1", f"Die Vergütung wird jährlich festgelegt. Die Vergütung beträgt {amount}.")

    lead = _lead(prompts, "Wie viel Vergütung bekomme ich?", [chunk])

    assert lead.startswith(f"Kurz gesagt: Die Vergütung beträgt {amount} [chunk c1].")


@pytest.mark.parametrize(
    "amount",
    ["acht Werktage im Voraus", "zwölf Kalendermonaten", "500 Quadratmetern", "19 Grad Celsius"],
)
def test_a_statute_s_spelled_out_period_or_size_is_a_figure_too(prompts: LunaPrompts, amount: str) -> None:
    chunk = ContextChunk("c1", f"Die Grenze wird jährlich geprüft. Die Grenze liegt bei {amount}.")

    lead = _lead(prompts, "Wie hoch ist die Grenze?", [chunk])

    assert lead.startswith(f"Kurz gesagt: Die Grenze liegt bei {amount} [chunk c1].")


def test_a_question_for_what_is_needed_is_led_by_the_requirement_and_what_it_implies(
    prompts: LunaPrompts,
) -> None:
    chunk = ContextChunk(
        "c1",
        "Ein dynamischer Tarif folgt dem Börsenpreis. Voraussetzung ist ein intelligentes Messsystem. "
        "Ohne diese Messung wird nach Standardlastprofil abgerechnet. Der Tarif lohnt sich mittags.",
    )
    model = ExtractiveChatModel(prompts, meaning=AllAlikeEmbedder(), max_points=2)

    question = "Was brauche ich für einen dynamischen Tarif?"
    answer = model.answer(build_rag_messages(prompts, question, [chunk]))

    assert answer.startswith(
        "Kurz gesagt: Voraussetzung ist ein intelligentes Messsystem [chunk c1]. "
        "Ohne diese Messung wird nach Standardlastprofil abgerechnet [chunk c1]."
    )


def test_a_question_that_states_a_size_is_led_by_the_band_that_includes_it(prompts: LunaPrompts) -> None:
    chunk = ContextChunk(
        "c1",
        "Der Zuschlag beträgt für den Leistungsanteil von mehr als 2 Megawatt 1,5 Cent je Kilowattstunde. "
        "Der Zuschlag beträgt für den Leistungsanteil von bis zu 50 Kilowatt 8 Cent je Kilowattstunde.",
    )

    lead = _lead(prompts, "Wie viel Zuschlag bekommt ein BHKW mit 40 kW?", [chunk])

    assert lead.startswith(
        "Kurz gesagt: Der Zuschlag beträgt für den Leistungsanteil von bis zu 50 Kilowatt 8 Cent je "
        "Kilowattstunde [chunk c1]."
    )


#: Two sentences that both answer "Was gilt für den Tarif?" as well as each other.
TARIFF = ContextChunk(
    "c1", "Der Tarif folgt stündlich dem Börsenpreis. Der Tarif verlangt einen Zähler je Viertelstunde."
)


#: What Luna answered to "Was gilt für den Tarif?" the first time.
SAID_BEFORE = "Kurz gesagt: Der Tarif folgt stündlich dem Börsenpreis [chunk c1]."


def _lead_after(prompts: LunaPrompts, question: str) -> str:
    history = [Exchange("Was gilt für den Tarif?", SAID_BEFORE)]
    messages = build_rag_messages(prompts, question, [TARIFF], history)
    model = ExtractiveChatModel(prompts, meaning=AllAlikeEmbedder(), max_points=1)
    return model.answer(messages).split("\n\n")[0]


def test_a_follow_up_leads_with_what_the_conversation_has_not_heard_yet(prompts: LunaPrompts) -> None:
    lead = _lead_after(prompts, "Was gilt für den Tarif? Und sonst?")

    assert lead == "Kurz gesagt: Der Tarif verlangt einen Zähler je Viertelstunde [chunk c1]."


PRICES = ContextChunk(
    "c1",
    "Für Haushalte kostet die Netznutzung 8,12 ct/kWh. Für Gewerbe kostet die Netznutzung 7,64 ct/kWh. "
    "Mit Leistungsmessung kostet die Netznutzung 2,71 ct/kWh.",
)


def test_a_follow_up_that_names_what_was_said_among_others_leads_with_it(prompts: LunaPrompts) -> None:
    first = "Was kostet die Netznutzung?"
    said = (
        "Kurz gesagt: Für Haushalte kostet die Netznutzung 8,12 ct/kWh [chunk c1]. "
        "Für Gewerbe kostet die Netznutzung 7,64 ct/kWh [chunk c1]."
    )
    model = ExtractiveChatModel(prompts, meaning=AllAlikeEmbedder(), max_points=1)

    def lead(follow_up: str) -> str:
        messages = build_rag_messages(prompts, f"{first} {follow_up}", [PRICES], [Exchange(first, said)])
        return model.answer(messages).split("\n\n")[0]

    # the trade row was said, but "Gewerbe" is what the follow-up asks about: news would not answer it
    assert lead("Und für Gewerbe?").startswith("Kurz gesagt: Für Gewerbe kostet die Netznutzung 7,64 ct/kWh")
    # a follow-up that asks something new of the same thing still hears the news first
    assert lead("Und sonst?").startswith("Kurz gesagt: Mit Leistungsmessung kostet die Netznutzung 2,71")


def test_a_sentence_counts_as_said_only_when_quoted_whole(prompts: LunaPrompts) -> None:
    said = "Kurz gesagt: Der Tarif folgt stündlich dem Börsenpreisindex [chunk c9]."
    history = [Exchange("Was gilt für den Tarif?", said)]
    messages = build_rag_messages(prompts, "Was gilt für den Tarif? Und sonst?", [TARIFF], history)

    model = ExtractiveChatModel(prompts, meaning=AllAlikeEmbedder(), max_points=1)
    lead = model.answer(messages).split("\n\n")[0]

    assert lead == SAID_BEFORE  # the earlier answer named another index: this sentence is news


def test_the_same_question_asked_again_gets_the_same_answer(prompts: LunaPrompts) -> None:
    assert _lead_after(prompts, "Was gilt für den Tarif?") == SAID_BEFORE


def test_what_was_said_is_said_again_when_nothing_new_answers(prompts: LunaPrompts) -> None:
    unrelated = ContextChunk("c2", "Ein Zähler folgt später.")  # shares a word, answers nothing
    history = [Exchange("Was gilt für den Tarif?", "Der Tarif folgt stündlich dem Börsenpreis [chunk c1].")]
    only = ContextChunk("c1", "Der Tarif folgt stündlich dem Börsenpreis.")
    question = "Und wie folgt der Tarif dem Börsenpreis?"
    messages = build_rag_messages(prompts, question, [only, unrelated], history)

    answer = ExtractiveChatModel(prompts, max_points=1).answer(messages)

    assert answer.startswith("Kurz gesagt: Der Tarif folgt stündlich dem Börsenpreis [chunk c1].")


def test_a_best_sentence_that_refers_back_is_quoted_after_the_sentence_it_refers_to(
    prompts: LunaPrompts,
) -> None:
    chunk = ContextChunk(
        "c1",
        "Muss eine Heizung vorzeitig ersetzt werden, kann eine Übergangslösung bewilligt werden. "
        "Diese erlaubt den befristeten Einbau einer Ölheizung als Zwischenlösung.",
    )

    lead = _lead(prompts, "Welche Zwischenlösung darf ich befristet einbauen?", [chunk])

    assert lead == (
        "Kurz gesagt: Muss eine Heizung vorzeitig ersetzt werden, kann eine Übergangslösung bewilligt "
        "werden [chunk c1]. Diese erlaubt den befristeten Einbau einer Ölheizung als Zwischenlösung "
        "[chunk c1]."
    )


def test_a_sentence_that_introduces_a_list_leads_with_the_items_up_to_the_lists_end(
    prompts: LunaPrompts,
) -> None:
    chunk = ContextChunk(
        "c1",
        "Die Immobilienanzeige muss folgende Pflichtangaben zum Energieausweis enthalten:\n"
        "1. die Art des Energieausweises,\n2. den Endenergiebedarf des Gebäudes und\n"
        "3. die Energieeffizienzklasse.\nDer Aushang im Treppenhaus ist freiwillig.",
    )
    model = ExtractiveChatModel(prompts, meaning=AllAlikeEmbedder(), max_points=1)

    question = "Welche Pflichtangaben zum Energieausweis muss die Immobilienanzeige enthalten?"
    lead = model.answer(build_rag_messages(prompts, question, [chunk])).split("\n\n")[0]

    assert lead.splitlines() == [
        "Kurz gesagt: Die Immobilienanzeige muss folgende Pflichtangaben zum Energieausweis enthalten "
        "[chunk c1]:",
        "- die Art des Energieausweises [chunk c1]",
        "- den Endenergiebedarf des Gebäudes und [chunk c1]",
        "- die Energieeffizienzklasse [chunk c1]",
    ]


def test_a_list_of_bare_bullets_ends_where_its_bullets_do(prompts: LunaPrompts) -> None:
    chunk = ContextChunk(
        "c1",
        "Für die Anmeldung der Anlage brauchen Sie folgende Unterlagen:\n- Lageplan\n- Datenblatt\n"
        "Netzanschluss\nDer Netzbetreiber prüft den Antrag.",
    )
    model = ExtractiveChatModel(prompts, meaning=AllAlikeEmbedder(), max_points=1)

    question = "Welche Unterlagen brauche ich für die Anmeldung der Anlage?"
    lead = model.answer(build_rag_messages(prompts, question, [chunk])).split("\n\n")[0]

    assert lead.splitlines()[1:] == ["- Lageplan [chunk c1]", "- Datenblatt [chunk c1]"]


def test_advice_already_quoted_as_the_lead_or_a_list_item_is_not_recommended_again(
    prompts: LunaPrompts,
) -> None:
    chunk = ContextChunk(
        "c1",
        "Vor dem Kauf eines Speichers sollten Sie Folgendes prüfen:\n"
        "- Prüfen Sie die Garantie des Herstellers.\n"
        "Ein Speicher lohnt sich bei hohem Eigenverbrauch.",
    )
    model = ExtractiveChatModel(prompts, meaning=AllAlikeEmbedder(), max_points=2)

    question = "Was sollte ich vor dem Kauf eines Speichers prüfen?"
    answer = model.answer(build_rag_messages(prompts, question, [chunk]))

    assert answer.count("Prüfen Sie die Garantie") == 1
    assert answer.count("sollten Sie Folgendes prüfen") == 1


def test_a_heading_is_no_sentence_to_refer_back_to(prompts: LunaPrompts) -> None:
    chunk = ContextChunk(
        "c1", "Einspeisevergütung für kleine Anlagen\nSie erhalten die Einspeisevergütung 20 Jahre lang."
    )

    lead = _lead(prompts, "Wie lange erhalte ich die Einspeisevergütung?", [chunk])

    assert lead == "Kurz gesagt: Sie erhalten die Einspeisevergütung 20 Jahre lang [chunk c1]."


@pytest.mark.parametrize(
    ("question", "asks_a_figure"),
    [
        ("Wird der Speicher gefördert, und mit wie viel Euro?", True),
        ("Wird der Speicher gefördert? Wie hoch ist die Förderung?", True),
        ("Wird der Speicher gefördert und wie hoch ist die Förderung?", True),
        ("Muss ich, wie viele andere Vermieter, eine Heizungsprüfung durchführen lassen?", False),
        ("Was bedeutet, welche Frist gilt?", False),
    ],
)
def test_a_figure_question_opens_a_sentence_or_a_clause_joined_by_und_or_oder(
    question: str, asks_a_figure: bool
) -> None:
    assert (FIGURE_QUESTION.search(question) is not None) is asks_a_figure


def test_an_amount_after_an_abbreviation_s_dot_is_a_figure_and_a_thousands_group_is_no_new_number() -> None:
    assert FIGURE_WITH_UNIT.search("Die Einsparung beträgt ca.30 Prozent.") is not None
    amount = FIGURE_WITH_UNIT.search("1.234,56 EUR")
    assert amount is not None and amount[0] == "1.234,56 EUR"


def test_a_run_of_digits_without_a_unit_is_no_figure() -> None:
    # How long such a run takes is a benchmark (bench/figure_regex.py), not this test.
    assert FIGURE_WITH_UNIT.search("1" * 500 + " Zeichen") is None
    assert FIGURE_WITH_UNIT.search("1," * 200 + "x") is None
    assert FIGURE_WITH_UNIT.search("Preis: 1.234,56 EUR") is not None


def test_a_question_the_source_asks_itself_is_read_with_its_answer(prompts: LunaPrompts) -> None:
    faq = ContextChunk(
        "f1",
        "Wie kann ich kündigen?\n\nMit einer Frist von einem Monat.\n\n"
        "Gibt es eine Preisgarantie?\n\nJa, bis zum 31.12.2026 auf den Arbeitspreis.",
    )

    lead = _lead(prompts, "Gibt es bei Ihnen eine Preisgarantie?", [faq])

    question, answer = "Gibt es eine Preisgarantie [chunk f1]?", "Ja, bis zum 31.12.2026 auf den Arbeitspreis"
    assert lead.startswith(f"Kurz gesagt: {question} {answer} [chunk f1].")


_GUIDE = ContextChunk(
    "g0",
    "Dieser Leitfaden erklärt, wie Haushalte mit einem dynamischen Stromtarif Kosten sparen, indem sie "
    "flexible Verbraucher in günstige Stunden verschieben.",
    title="Stromtarife und Lastverschiebung",
)


def test_a_sentence_about_the_document_itself_is_no_answer_where_another_sentence_answers(
    prompts: LunaPrompts,
) -> None:
    """The demo's "Wann ist Strom am günstigsten?" led with "Dieser Leitfaden erklärt, wie …"."""
    prices = ContextChunk(
        "g1",
        "In den Mittagsstunden drückt die Einspeisung aus Photovoltaik die Preise. Am frühen Abend steigt "
        "der Preis auf das Tageshoch.",
        title="Stromtarife und Lastverschiebung",
        section="Dynamische Stromtarife",
    )
    model = ExtractiveChatModel(prompts, meaning=AllAlikeEmbedder())
    answer = model.answer(build_rag_messages(prompts, "Wann ist Strom am günstigsten?", [_GUIDE, prices]))

    assert answer.startswith("Kurz gesagt: In den Mittagsstunden drückt die Einspeisung")
    assert "Dieser Leitfaden" not in answer  # nor a key point


def test_what_the_document_covers_answers_when_nothing_else_does(prompts: LunaPrompts) -> None:
    lead = _lead(prompts, "Worum geht es im Leitfaden zu dynamischen Stromtarifen?", [_GUIDE])
    (description,) = chunk_sentences(_GUIDE, 0, GermanStemmer())
    law = ContextChunk("l1", "Dieses Gesetz regelt die Einspeisung von Strom aus erneuerbaren Energien.")

    assert lead.startswith("Kurz gesagt: Dieser Leitfaden erklärt, wie Haushalte")
    assert is_no_key_point(description)  # where it does not lead, it is not listed either
    assert not is_no_key_point(chunk_sentences(law, 0, GermanStemmer())[0])  # a law's scope answers
