"""A finished answer on the page: Markdown whose source numbers are links, and nothing else runs."""

from __future__ import annotations

from luna.web.customer.citation_marks import linked_citations, source_anchor


def test_markers_become_numbered_links_to_the_source_cards_of_their_answer() -> None:
    linked = linked_citations("8,12 ct/kWh [chunk a1]. Grundpreis 60 € [chunk b2], siehe [chunk a1].", turn=2)

    assert linked.chunk_ids == ("a1", "b2")
    assert linked.text.count('href="#quelle-2-1"') == 2 and 'href="#quelle-2-2"' in linked.text
    assert 'data-turn="2" data-n="2"' in linked.text and ">[2]</a>" in linked.text
    assert source_anchor(2, 1) == "quelle-2-1"


def test_html_from_a_document_is_shown_not_run_and_its_own_brackets_are_no_links() -> None:
    linked = linked_citations('<img src=x onerror="alert(1)"> nach § 14a [2] EnWG [chunk c3]', turn=0)

    assert "<img" not in linked.text and "&lt;img" in linked.text
    assert "§ 14a [2] EnWG" in linked.text
    assert linked.text.count("<a ") == 1


def test_lists_and_tables_get_the_blank_lines_markdown_needs() -> None:
    answer = "Im Einzelnen:\n- eins\n- zwei\n| a | b |\n| --- | --- |\n| 1 | 2 |\nNachzulesen in „X“."

    lines = linked_citations(answer, turn=0).text.split("\n")

    assert lines == [
        "Im Einzelnen:",
        "",
        "- eins",
        "- zwei",
        "",
        "| a | b |",
        "| --- | --- |",
        "| 1 | 2 |",
        "",
        "Nachzulesen in „X“.",
    ]
