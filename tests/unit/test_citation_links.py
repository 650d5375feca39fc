"""A finished answer on the page: Markdown whose source numbers are links, and nothing else runs."""

from __future__ import annotations

from nicegui.elements.markdown import prepare_content

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
    assert "§ 14a [2] EnWG" in shown(linked.text)
    assert linked.text.count("<a ") == 1


def test_markdown_links_and_images_from_a_document_stay_text_and_load_nothing() -> None:
    """Shown, the answer must not fetch a stranger's image (a tracking pixel, or a model's answer that
    carries data out in its URL) nor put a stranger's link in Luna's voice."""
    answer = (
        "Details unter [Kundenportal](https://evil.invalid/login) und ![logo](http://evil.invalid/t.png) "
        "[chunk c3]. Siehe [x]: https://evil.invalid/ref und [ref][x] [chunk d4]"
    )

    page = shown(linked_citations(answer, turn=1).text)

    assert "<img" not in page
    assert 'href="http' not in page and "<a " in page  # only the source links are links
    assert "[Kundenportal](https://evil.invalid/login)" in page  # shown as written
    assert "![logo](http://evil.invalid/t.png)" in page
    assert page.count('class="luna-mark"') == 2


def shown(markdown: str) -> str:
    """The HTML NiceGUI's ``ui.markdown`` makes of ``markdown`` on the server."""
    return prepare_content(markdown, "fenced-code-blocks,tables")


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
