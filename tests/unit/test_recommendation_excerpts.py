"""What a recommendation card shows of a chunk: readable lines, never table pipes or HTML tags."""

from __future__ import annotations

from luna.web.customer.excerpts import card_excerpt, readable_lines

APPLIANCES = (
    "| Gerät | Leistung | Energie je Einsatz | verschiebbar |\n"
    "| --- | --- | --- | --- |\n"
    "| Waschmaschine (40 °C) | 2,0 kW | 0,6 kWh | ja, Startzeitvorwahl |\n"
    "| Geschirrspüler (Eco) | 1,8 kW | 0,8 kWh | ja, Startzeitvorwahl |\n"
    "| Kühlschrank | 0,1 kW | 0,4 kWh pro Tag | nein |"
)


def test_a_table_row_reads_as_a_line_that_names_its_columns() -> None:
    assert readable_lines(APPLIANCES) == [
        "Waschmaschine (40 °C): Leistung 2,0 kW · Energie je Einsatz 0,6 kWh · verschiebbar ja, "
        "Startzeitvorwahl",
        "Geschirrspüler (Eco): Leistung 1,8 kW · Energie je Einsatz 0,8 kWh · verschiebbar ja, "
        "Startzeitvorwahl",
        "Kühlschrank: Leistung 0,1 kW · Energie je Einsatz 0,4 kWh pro Tag · verschiebbar nein",
    ]


def test_a_card_excerpt_of_a_table_has_no_markup_and_ends_at_a_word() -> None:
    excerpt = card_excerpt("Nicht jeder Verbraucher lässt sich verschieben.\n\n" + APPLIANCES, limit=120)

    assert "|" not in excerpt and "---" not in excerpt
    assert excerpt.startswith(
        "Nicht jeder Verbraucher lässt sich verschieben.\nWaschmaschine (40 °C): Leistung"
    )
    assert excerpt.endswith(" …") and len(excerpt) <= 122


def test_an_html_table_reads_like_a_markdown_one() -> None:
    text = (
        "<p>Preise&nbsp;2026:</p><table><tr><th>Tarif</th><th>Arbeitspreis</th></tr>"
        "<tr><td>Grundversorgung</td><td>40,1 ct/kWh</td></tr>"
        "<tr><td>Dynamisch</td><td>Börse + 19,8 ct/kWh</td></tr></table>"
    )

    assert readable_lines(text) == [
        "Preise 2026:",
        "Grundversorgung: Arbeitspreis 40,1 ct/kWh",
        "Dynamisch: Arbeitspreis Börse + 19,8 ct/kWh",
    ]


def test_markdown_marks_and_html_tags_leave_only_their_text() -> None:
    text = (
        "## Förderung\n"
        "Die **BEG** fördert den [Heizungstausch](https://example.org/beg) mit bis zu *70 %*.<br>"
        "Anträge stellen Sie beim <abbr title='Bundesamt'>BAFA</abbr>.\n"
        "- Wärmepumpen\n"
        "* Biomasse"
    )

    assert readable_lines(text) == [
        "Förderung",
        "Die BEG fördert den Heizungstausch mit bis zu 70 %.",
        "Anträge stellen Sie beim BAFA.",
        "• Wärmepumpen",
        "• Biomasse",
    ]


def test_rows_without_a_header_rule_show_their_cells() -> None:
    assert readable_lines("| Wallbox | 11 kW |\n| Wärmepumpe | 2,5 kW |") == [
        "Wallbox · 11 kW",
        "Wärmepumpe · 2,5 kW",
    ]


def test_plain_prose_is_left_as_it_is_and_short_text_is_not_cut() -> None:
    prose = "Seit dem 1. Januar 2025 müssen alle Lieferanten einen dynamischen Tarif anbieten (x < 5 > 3)."

    assert card_excerpt(prose) == prose
    assert card_excerpt("") == ""
