"""What the extractive answer recommends, and how it quotes a cut-off sentence.

A "Handlungsempfehlung" is advice the sources give in the passage the answer quotes ("sollte",
"empfohlen", "Prüfen Sie …"); a legal duty with a deadline is not advice, and a recommendation from
another passage of the context is about something else (issue #14: none rather than an unrelated one).
"""

from __future__ import annotations

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.domain.answers import ContextChunk, LunaPrompts, build_rag_messages

QUESTION = "Mit welcher Frist kann ich den Grundversorgungsvertrag kündigen?"
TERMINATION = ContextChunk(
    "g20",
    "Der Grundversorgungsvertrag kann mit einer Frist von zwei Wochen gekündigt werden. Für die "
    "Schlussrechnung gilt eine eigene Frist, die der Messstellenbetreiber rechtzeitig beantragen muss.",
    title="StromGVV",
    section="§ 20 Kündigung",
)


def ask(prompts: LunaPrompts, question: str, chunks: list[ContextChunk]) -> str:
    return ExtractiveChatModel(prompts).answer(build_rag_messages(prompts, question, chunks))


def test_a_legal_duty_with_a_deadline_is_not_offered_as_advice(prompts: LunaPrompts) -> None:
    answer = ask(prompts, QUESTION, [TERMINATION])

    assert answer.startswith("Kurz gesagt: Der Grundversorgungsvertrag kann mit einer Frist von zwei Wochen")
    assert "Handlungsempfehlung" not in answer
    assert answer.splitlines()[-1] == "Nachzulesen in „StromGVV“ [chunk g20]."


def test_advice_in_the_quoted_passage_is_recommended(prompts: LunaPrompts) -> None:
    advised = ContextChunk(
        "g20",
        f"{TERMINATION.text} Kunden sollten die Kündigung schriftlich einreichen und den Zählerstand "
        "notieren.",
        title="StromGVV",
    )
    answer = ask(prompts, QUESTION, [advised])

    assert answer.splitlines()[-1] == (
        "Handlungsempfehlung: Kunden sollten die Kündigung schriftlich einreichen und den Zählerstand "
        "notieren [chunk g20]."
    )


def test_advice_from_a_passage_the_answer_does_not_quote_is_left_out(prompts: LunaPrompts) -> None:
    elsewhere = ContextChunk(
        "w7",
        "Vor einer Kündigung im Denkmalschutzgebiet empfiehlt es sich, frühzeitig die Denkmalpflege "
        "anzufragen und alle Unterlagen, Pläne, Fotos und Gutachten der Fassade vorzulegen.",
        title="Energieportal Winterthur",
    )
    answer = ask(prompts, QUESTION, [TERMINATION, elsewhere])

    assert "[chunk w7]" not in answer
    assert "Handlungsempfehlung" not in answer


def test_a_sentence_cut_off_by_chunking_is_quoted_as_an_excerpt(prompts: LunaPrompts) -> None:
    cut = ContextChunk(
        "r3",
        "und solange die Nachprüfung des Messgeräts läuft, bleibt die Rechnung gestundet. Danach wird sie "
        "innerhalb von zwei Wochen fällig.",
        title="StromGVV",
    )
    answer = ask(prompts, "Bleibt die Rechnung während der Nachprüfung des Messgeräts gestundet?", [cut])

    assert answer.startswith(
        "Kurz gesagt: … und solange die Nachprüfung des Messgeräts läuft, bleibt die Rechnung"
    )


def test_an_item_of_a_list_that_goes_on_is_quoted_as_going_on(prompts: LunaPrompts) -> None:
    listing = ContextChunk(
        "k8",
        "Der Zuschlag für modernisierte KWK-Anlagen wird gezahlt für 15 000 Vollbenutzungsstunden, wenn die "
        "Kosten der Modernisierung mindestens 25 Prozent der Kosten einer Neuerrichtung betragen,",
        title="KWKG",
    )
    answer = ask(
        prompts,
        "Für wie viele Vollbenutzungsstunden wird der Zuschlag für modernisierte KWK-Anlagen gezahlt?",
        [listing],
    )

    assert "einer Neuerrichtung betragen … [chunk k8]." in answer.splitlines()[0]
    assert ", [chunk" not in answer
