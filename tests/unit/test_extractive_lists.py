"""How the extractive answerer quotes a law's enumerations: an item never stands without the sentence
that opens its list, and a sentence that opens a list never stands without its items."""

from __future__ import annotations

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.domain.answers import ContextChunk, LunaPrompts, build_rag_messages
from tests.fakes import AllAlikeEmbedder

#: § 11 EnEfG as the corpus writes it: each paragraph opens a numbered list mid-sentence.
DATA_CENTRES = ContextChunk(
    "c1",
    "(1) Rechenzentren, die vor dem 1. Juli 2026 den Betrieb aufnehmen, sind so zu betreiben, dass sie\n\n"
    "1. ab dem 1. Juli 2027 eine Energieverbrauchseffektivität von kleiner oder gleich 1,5 und\n\n"
    "2. ab dem 1. Juli 2030 eine Energieverbrauchseffektivität von kleiner oder gleich 1,3 erreichen.\n\n"
    "(2) Rechenzentren, die ab dem 1. Juli 2026 den Betrieb aufnehmen, sind so zu betreiben, dass sie\n\n"
    "1. eine Energieverbrauchseffektivität von kleiner oder gleich 1,2 erreichen und\n\n"
    "2. Abwärme von mindestens 10 Prozent wiederverwenden.",
)


def _answer(prompts: LunaPrompts, question: str, chunks: list[ContextChunk], points: int = 1) -> str:
    model = ExtractiveChatModel(prompts, meaning=AllAlikeEmbedder(), max_points=points)
    return model.answer(build_rag_messages(prompts, question, chunks))


def test_a_list_item_is_quoted_after_the_sentence_that_opens_its_list_with_the_other_items(
    prompts: LunaPrompts,
) -> None:
    question = "Wie viel Abwärme muss ein neues Rechenzentrum wiederverwenden?"

    lead = _answer(prompts, question, [DATA_CENTRES]).split("\n\n")[0]

    assert lead.splitlines() == [
        "Kurz gesagt: (2) Rechenzentren, die ab dem 1. Juli 2026 den Betrieb aufnehmen, "
        "sind so zu betreiben, dass sie [chunk c1]:",
        "- eine Energieverbrauchseffektivität von kleiner oder gleich 1,2 erreichen und [chunk c1]",
        "- Abwärme von mindestens 10 Prozent wiederverwenden [chunk c1]",
    ]


def test_the_next_best_sentence_still_leads_before_a_list(prompts: LunaPrompts) -> None:
    rule = ContextChunk("c2", "Neue Rechenzentren müssen Abwärme wiederverwenden.")
    question = "Wie viel Abwärme muss ein neues Rechenzentrum wiederverwenden?"

    lead = _answer(prompts, question, [DATA_CENTRES, rule], points=3).split("\n\n")[0]

    first, *items = lead.splitlines()
    # The list goes last: a line after a Markdown list would read as part of its last item.
    assert first.startswith("Kurz gesagt: Neue Rechenzentren müssen Abwärme wiederverwenden [chunk c2]. (2) ")
    assert first.endswith("dass sie [chunk c1]:")
    assert items[-1] == "- Abwärme von mindestens 10 Prozent wiederverwenden [chunk c1]"


def test_a_sentence_that_stops_mid_way_is_quoted_as_going_on_when_its_list_is_not(
    prompts: LunaPrompts,
) -> None:
    cut = ContextChunk("c3", "Der Zuschlag wird ab Aufnahme des Dauerbetriebs gezahlt für bis zu")
    rule = ContextChunk("c4", "Der Zuschlag wird für 30 000 Vollbenutzungsstunden gezahlt.")

    answer = _answer(prompts, "Wie lange wird der Zuschlag gezahlt?", [rule, cut], points=3)

    assert "gezahlt für bis zu … [chunk c3]." in answer


def test_a_list_whose_opening_sentence_refers_back_comes_after_the_sentence_it_refers_to(
    prompts: LunaPrompts,
) -> None:
    audit = ContextChunk(
        "c5",
        "Unternehmen müssen das Energieaudit binnen zwei Monaten dem Bundesamt erklären. "
        "Hierfür haben sie folgende Angaben zu übermitteln:\n"
        "1. Angaben zum Unternehmen,\n2. den Gesamtenergieverbrauch in Kilowattstunden pro Jahr.",
    )

    lead = _answer(prompts, "Welchen Gesamtenergieverbrauch muss ich beim Energieaudit angeben?", [audit])

    first, *items = lead.split("\n\n")[0].splitlines()
    assert first == (
        "Kurz gesagt: Unternehmen müssen das Energieaudit binnen zwei Monaten dem Bundesamt erklären "
        "[chunk c5]. Hierfür haben sie folgende Angaben zu übermitteln [chunk c5]:"
    )
    assert items[-1] == "- den Gesamtenergieverbrauch in Kilowattstunden pro Jahr [chunk c5]"


def test_a_bare_bullet_that_ends_on_a_small_word_is_an_item_not_a_list_of_its_own(
    prompts: LunaPrompts,
) -> None:
    audit = ContextChunk(
        "c6",
        "Inhalt des Berichts\n- die Person, die das Audit durchgeführt hat\n- die Kosten des Audits\n"
        "- den Verbrauch, den das Unternehmen hat",
    )

    answer = _answer(prompts, "Welche Person hat das Audit durchgeführt?", [audit], points=4)

    assert answer.startswith("Kurz gesagt: … die Person, die das Audit durchgeführt hat [chunk c6].")
    assert ":" not in answer.replace("Kurz gesagt:", "").replace("Im Einzelnen:", "")
    assert "hat …" not in answer


def test_an_item_quoted_beside_the_list_comes_after_the_sentence_that_opens_its_own_list(
    prompts: LunaPrompts,
) -> None:
    question = "Welche Energieverbrauchseffektivität gilt ab dem 1. Juli 2030 und wie viel Abwärme?"

    answer = _answer(prompts, question, [DATA_CENTRES], points=4)

    # The 2030 value is a rule for data centres running before July 2026, not one of its own.
    assert (
        "(1) Rechenzentren, die vor dem 1. Juli 2026 den Betrieb aufnehmen, sind so zu betreiben, dass sie … "
        "ab dem 1. Juli 2030 eine Energieverbrauchseffektivität von kleiner oder gleich 1,3 erreichen "
        "[chunk c1]."
    ) in answer
    assert "kleiner oder gleich 1,5 und … [chunk c1]." in answer  # an item that goes on says so
    assert not answer.startswith("Kurz gesagt: Abwärme")


def test_a_sentence_that_opens_a_list_not_shown_is_quoted_as_going_on(prompts: LunaPrompts) -> None:
    forms = ContextChunk(
        "c7",
        "Der Antrag muss folgende Angaben enthalten:\n- den Namen\n- die Adresse\n\n"
        "Der Bericht muss folgende Angaben enthalten:\n- den Verbrauch\n- die Kosten",
    )

    answer = _answer(prompts, "Welche Angaben muss der Bericht enthalten?", [forms], points=4)

    assert "Der Antrag muss folgende Angaben enthalten … [chunk c7]." in answer
    assert "Der Bericht muss folgende Angaben enthalten [chunk c7]:\n- den Verbrauch [chunk c7]" in answer


def test_a_long_list_is_shown_around_the_item_that_answers(prompts: LunaPrompts) -> None:
    rates = "\n".join(f"{n}. bei Anlagen der Klasse {n} {n * 10} Euro," for n in range(1, 13))
    surcharge = ContextChunk("c8", f"Der Zuschlag beträgt:\n{rates}\n13. sonst 5 Euro.")

    answer = _answer(prompts, "Wie hoch ist der Zuschlag bei Anlagen der Klasse 11?", [surcharge], points=4)

    lines = answer.split("\n\n")[0].splitlines()
    assert lines[1] == "- …"  # the first items are left out, and it says so
    assert "- bei Anlagen der Klasse 11 110 Euro [chunk c8]" in lines
    assert len(lines) == 1 + 1 + 8


ENWG = "Gesetz über die Elektrizitäts- und Gasversorgung (Energiewirtschaftsgesetz – EnWG)"


def _section(title: str, section: str, *paragraphs: str) -> ContextChunk:
    """A chunk of a law section, its paragraphs one to a line as the corpus writes them."""
    return ContextChunk("c1", "\n\n".join(paragraphs), title=title, section=section)


def test_a_section_read_from_its_beginning_quotes_a_lists_opening_once_with_its_item(
    prompts: LunaPrompts,
) -> None:
    purpose = _section(
        ENWG,
        "Teil 1 > § 1 Zweck und Ziele des Gesetzes",
        # Two paragraphs as long as the statute's: the list's opening does not fit the lead with them.
        "(1) Zweck des Gesetzes ist eine möglichst sichere, preisgünstige, verbraucherfreundliche, "
        "effiziente, umweltverträgliche und treibhausgasneutrale leitungsgebundene Versorgung der "
        "Allgemeinheit mit Elektrizität, Gas und Wasserstoff, die zunehmend auf erneuerbaren Energien "
        "beruht.",
        "(2) Die Regulierung der Elektrizitäts- und Gasversorgungsnetze dient den Zielen der Sicherstellung "
        "eines wirksamen und unverfälschten Wettbewerbs bei der Versorgung mit Elektrizität und Gas und der "
        "Sicherung eines langfristig angelegten leistungsfähigen und zuverlässigen Betriebs der Netze.",
        "(3) Zur Verfolgung der Ziele berücksichtigt die Regulierung insbesondere",
        "1. den Ausbau der Netze,",
        "2. die Digitalisierung der Netze.",
    )

    answer = _answer(prompts, "Was regelt § 1 EnWG?", [purpose], points=4)

    assert answer.startswith("Kurz gesagt: (§ 1 Abs. 1 EnWG) Zweck des Gesetzes ist"), answer
    assert answer.count("berücksichtigt die Regulierung insbesondere") == 1, answer
    assert "insbesondere … den Ausbau der Netze" in answer
