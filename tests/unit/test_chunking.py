"""Chunking: self-contained passages per section, whole tables and sentences, German abbreviations."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from luna.adapters.extract.text import markdown_blocks
from luna.domain.chunking import Chunk, chunk_document, count_tokens, legal_heading_level, split_sentences
from luna.domain.documents import BlockKind, ExtractedDocument, TextBlock

ENWG = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "gesetze" / "enwg.md"


def _doc(*blocks: TextBlock, title: str | None = None) -> ExtractedDocument:
    return ExtractedDocument(title, "text/plain", list(blocks))


def _heading(text: str, level: int = 1) -> TextBlock:
    return TextBlock(BlockKind.HEADING, text, level=level)


def _paragraph(text: str, page: int | None = None) -> TextBlock:
    return TextBlock(BlockKind.PARAGRAPH, text, page)


def _sentences(count: int, first: int = 0) -> str:
    """Distinct sentences of 10 approximate tokens each."""
    return " ".join(f"Satz {n} Wärmepumpe Wärmepumpe Wärmepumpe läuft." for n in range(first, first + count))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Geräte wie z. B. die Wallbox laufen nachts. Das spart Geld.",
            ["Geräte wie z. B. die Wallbox laufen nachts.", "Das spart Geld."],
        ),
        (
            "Es gilt § 3 Abs. 1. Satz 2 regelt Ausnahmen. Nr. 5 bleibt unberührt.",
            ["Es gilt § 3 Abs. 1. Satz 2 regelt Ausnahmen.", "Nr. 5 bleibt unberührt."],
        ),
        (
            "Der Tarif gilt ab dem 1. Januar 2026. Die Preise sinken ca. 3 %. Also, d. h. weniger Kosten.",
            [
                "Der Tarif gilt ab dem 1. Januar 2026.",
                "Die Preise sinken ca. 3 %.",
                "Also, d. h. weniger Kosten.",
            ],
        ),
        (
            "Wärmepumpen bzw. Wallboxen gem. § 14a EnWG i.V.m. der Festlegung. Stand 2025. Neu?  Ja!",
            [
                "Wärmepumpen bzw. Wallboxen gem. § 14a EnWG i.V.m. der Festlegung.",
                "Stand 2025.",
                "Neu?",
                "Ja!",
            ],
        ),
        (
            "Er sagte: „Der Zähler ist defekt.“ Danach kam der Techniker.",
            ["Er sagte: „Der Zähler ist defekt.“", "Danach kam der Techniker."],
        ),
    ],
)
def test_sentences_split_at_real_ends_only(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_law_structure_lines_are_headings_but_references_are_not() -> None:
    assert legal_heading_level("§ 3 Begriffsbestimmungen") == 5
    assert legal_heading_level("§ 14a Steuerbare Verbrauchseinrichtungen") == 5
    assert legal_heading_level("Teil 1 Allgemeine Vorschriften") == 1
    assert legal_heading_level("Abschnitt 2 Entflechtung") == 3
    assert legal_heading_level("§ 3 Abs. 1 gilt entsprechend") is None
    assert legal_heading_level("§ 3 regelt die Begriffe.") is None
    assert legal_heading_level("Der § 3 enthält Begriffe") is None


def test_token_count_approximates_subwords() -> None:
    assert count_tokens("Strom") == 1
    assert count_tokens("Netzentgeltverordnung") == 3  # 21 characters: three pieces of up to seven
    assert count_tokens("Die Preise sinken um 3 %.") == 7


def test_headings_start_chunks_and_become_their_section_path() -> None:
    doc = _doc(
        _heading("Ratgeber Strom", 1),
        _paragraph("Einleitung ohne Abschnitt."),
        _heading("Kapitel 2", 2),
        _paragraph("Text in Kapitel zwei."),
        _heading("Tarife", 3),
        _paragraph("Der Tarif kostet 30 ct/kWh."),
        _heading("Kapitel 3", 2),
        _paragraph("Text in Kapitel drei."),
        title="Ratgeber Strom",
    )
    chunks = chunk_document(doc)
    assert [(c.section, c.text) for c in chunks] == [
        (None, "Einleitung ohne Abschnitt."),
        ("Kapitel 2", "Text in Kapitel zwei."),
        ("Kapitel 2 > Tarife", "Der Tarif kostet 30 ct/kWh."),
        ("Kapitel 3", "Text in Kapitel drei."),
    ]
    assert [c.index for c in chunks] == [0, 1, 2, 3]
    assert all(c.kind == "text" for c in chunks)


def test_paragraph_lines_of_a_law_open_sections() -> None:
    doc = _doc(
        _paragraph("§ 1 Zweck"),
        _paragraph("(1) Zweck des Gesetzes ist eine sichere Versorgung."),
        _paragraph("§ 2 Begriffe"),
        _paragraph("(1) Im Sinne dieses Gesetzes ist Strom Elektrizität."),
    )
    assert [(c.section, c.text[:3]) for c in chunk_document(doc)] == [
        ("§ 1 Zweck", "(1)"),
        ("§ 2 Begriffe", "(1)"),
    ]


def test_long_text_respects_the_budget_sentence_boundaries_and_overlaps() -> None:
    text = _sentences(40)
    chunks = chunk_document(_doc(_paragraph(text, page=4)), max_tokens=60, overlap_tokens=20)
    sentences = split_sentences(text)
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.tokens <= 60
        assert chunk.page == 4
        assert all(part in sentences for part in split_sentences(chunk.text)), "a sentence was cut"
    for before, after in itertools.pairwise(chunks):
        first_of_next = split_sentences(after.text)[0]
        assert first_of_next in split_sentences(before.text), "no overlap of whole sentences"
    covered = {sentence for chunk in chunks for sentence in split_sentences(chunk.text)}
    assert covered == set(sentences)


def test_overlap_never_crosses_a_heading() -> None:
    doc = _doc(
        _heading("A"), _paragraph(_sentences(10)), _heading("B"), _paragraph("Neuer Abschnitt beginnt hier.")
    )
    last = chunk_document(doc, max_tokens=60, overlap_tokens=20)[-1]
    assert (last.section, last.text) == ("B", "Neuer Abschnitt beginnt hier.")


def test_a_paragraph_that_fits_a_chunk_is_not_split() -> None:
    first, second = _sentences(3), _sentences(4, first=3)
    chunks = chunk_document(_doc(_paragraph(first), _paragraph(second)), max_tokens=60, overlap_tokens=0)
    assert [c.text for c in chunks] == [first, second]


def test_tables_stay_whole_with_their_header_in_a_chunk_of_their_own() -> None:
    table = TextBlock.table(
        [["Gerät", "Leistung"], ["Waschmaschine", "2,0 kW"], ["Wallbox", "11 kW"]], page=2
    )
    assert table is not None
    chunks = chunk_document(_doc(_paragraph("Vorher."), table, _paragraph("Nachher.")))
    assert [(c.kind, c.page) for c in chunks] == [("text", None), ("table", 2), ("text", None)]
    assert (
        chunks[1].text
        == "| Gerät | Leistung |\n| --- | --- |\n| Waschmaschine | 2,0 kW |\n| Wallbox | 11 kW |"
    )


def test_table_blocks_escape_pipes_and_pad_short_rows() -> None:
    table = TextBlock.table(
        [["Tarif", "Preis | netto", "Hinweis"], ["Basis\n(Grundversorgung)", None], [None, ""]]
    )
    assert table is not None and table.kind is BlockKind.TABLE
    assert (
        table.text
        == "| Tarif | Preis \\| netto | Hinweis |\n| --- | --- | --- |\n| Basis (Grundversorgung) |  |  |"
    )
    assert TextBlock.table([[None, " "]]) is None


def test_a_large_table_is_split_by_rows_repeating_the_header() -> None:
    rows = [["Stunde", "Preis (ct/kWh)", "Zeitfenster"]] + [
        [f"{h:02d}:00", f"{20 + h},5", "Standardlast"] for h in range(24)
    ]
    table = TextBlock.table(rows)
    assert table is not None
    parts = chunk_document(_doc(table), max_tokens=60, overlap_tokens=10)
    assert len(parts) > 1
    header = "| Stunde | Preis (ct/kWh) | Zeitfenster |\n| --- | --- | --- |"
    body_rows: list[str] = []
    for part in parts:
        assert part.kind == "table" and part.text.startswith(header + "\n")
        assert part.tokens <= 60
        body_rows += part.text.split("\n")[2:]
    assert body_rows == table.text.split("\n")[2:], "every row exactly once, in order"


def test_an_over_long_sentence_is_cut_at_words_and_nothing_is_empty() -> None:
    sentence = " ".join(["Energieversorgungsnetz"] * 200) + "."
    chunks = chunk_document(_doc(_paragraph(sentence), _paragraph("   ")), max_tokens=50, overlap_tokens=10)
    assert all(c.text.strip() and c.tokens <= 50 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == sentence.split()


def test_a_run_without_spaces_is_cut_to_the_budget_so_no_chunk_grows_with_the_upload() -> None:
    run = "[" * 5_000 + "x" * 3_000
    chunks = chunk_document(_doc(_paragraph(run)), max_tokens=50, overlap_tokens=10)
    assert all(0 < c.tokens <= 50 for c in chunks)
    assert "".join(c.text for c in chunks) == run, "every character once, in order"


def test_an_over_long_heading_is_read_as_text_not_as_every_chunks_section() -> None:
    heading = "Preisblatt " * 200
    chunks = chunk_document(
        _doc(_heading(heading), _paragraph("Der Grundpreis steigt.")), max_tokens=50, overlap_tokens=10
    )
    assert all(c.section is None and c.tokens <= 50 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == (heading + "Der Grundpreis steigt.").split()


def test_a_table_row_of_many_chunks_is_cut_and_a_header_too_long_to_repeat_makes_the_table_text() -> None:
    huge_row = TextBlock.table([["Stunde", "Hinweis"], ["01:00", "sehr " * 400], ["02:00", "kurz"]])
    wide_header = TextBlock.table([["Spalte " * 60, "b"], ["1", "2"]])
    assert huge_row is not None and wide_header is not None
    parts = chunk_document(_doc(huge_row), max_tokens=50, overlap_tokens=10)
    assert len(parts) > 8 and all(p.kind == "table" and p.tokens <= 60 for p in parts)
    assert parts[-1].text.endswith("| 02:00 | kurz |")
    as_text = chunk_document(_doc(wide_header), max_tokens=50, overlap_tokens=10)
    assert all(c.kind == "text" and c.tokens <= 50 for c in as_text)


def test_a_document_of_headings_only_still_yields_its_text() -> None:
    chunks = chunk_document(_doc(_heading("Preisblatt 2026"), _heading("Anlage 1", 2)))
    assert [c.text for c in chunks] == ["Preisblatt 2026\n\nAnlage 1"]
    assert chunk_document(_doc(_paragraph("  "))) == []


def test_invalid_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap_tokens"):
        chunk_document(_doc(_paragraph("Text.")), max_tokens=50, overlap_tokens=50)


def test_the_real_enwg_gets_one_section_per_paragraph_sign() -> None:
    """The EnWG as published (Markdown from the shared corpus): every § is a section, nothing crosses one."""
    if not ENWG.exists():
        pytest.skip(f"shared corpus not present at {ENWG}")
    text = ENWG.read_text(encoding="utf-8")
    blocks = markdown_blocks(text)
    chunks: list[Chunk] = chunk_document(
        ExtractedDocument(
            "Gesetz über die Elektrizitäts- und Gasversorgung (Energiewirtschaftsgesetz – EnWG)",
            "text/markdown",
            blocks,
        )
    )
    sections = {c.section for c in chunks}
    assert "Teil 1 Allgemeine Vorschriften > § 3 Begriffsbestimmungen" in sections
    assert (
        "Teil 2 Entflechtung > Abschnitt 1 Gemeinsame Vorschriften für Verteilernetzbetreiber und "
        "Transportnetzbetreiber > § 6 Anwendungsbereich und Ziel der Entflechtung" in sections
    )
    signs_with_text = {
        block.text
        for block, following in itertools.pairwise(blocks)
        if block.kind is BlockKind.HEADING
        and block.text.startswith("§")
        and following.kind is not BlockKind.HEADING
    }
    assert len(signs_with_text) > 200
    assert signs_with_text <= {s.rsplit(" > ", 1)[-1] for s in sections if s}
    assert all(c.tokens <= 350 or c.kind == "table" for c in chunks)
    definitions = [c for c in chunks if c.section and c.section.endswith("§ 3 Begriffsbestimmungen")]
    assert len(definitions) > 5 and definitions[0].text.startswith("Im Sinne dieses Gesetzes")


def test_direction_overrides_are_dropped_so_no_quoted_heading_reverses_the_text_after_it() -> None:
    chunks = chunk_document(
        _doc(_heading("Heizkosten \u202esparen\u202c"), _paragraph("Im Winter \u2067lüften\u2069."))
    )

    assert [(c.section, c.text) for c in chunks] == [("Heizkosten sparen", "Im Winter lüften.")]
