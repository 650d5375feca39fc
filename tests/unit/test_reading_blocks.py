"""A passage read in full (the source dialog, a recommendation's "Lesen"): tables stay tables, with plain
cells, while a card's excerpt stays a few lines of text."""

from __future__ import annotations

from luna.web.customer.excerpts import Table, card_excerpt, reading_blocks

APPLIANCES = (
    "| Gerät | Leistung | Energie je Einsatz |\n"
    "| --- | ---: | --- |\n"
    "| **Waschmaschine** (40 °C) | 2,0 kW | 0,6 kWh |\n"
    "| Kühlschrank | 0,1 kW | 0,4 kWh pro Tag |"
)


def test_a_markdown_table_between_paragraphs_is_a_table_with_plain_cells() -> None:
    text = (
        f"## Lastverschiebung\nNicht jeder Verbraucher lässt sich verschieben.\n\n{APPLIANCES}\n\n"
        "Die Wallbox zählt *am meisten*."
    )

    assert reading_blocks(text) == [
        "Lastverschiebung\nNicht jeder Verbraucher lässt sich verschieben.",
        Table(
            header=("Gerät", "Leistung", "Energie je Einsatz"),
            rows=(
                ("Waschmaschine (40 °C)", "2,0 kW", "0,6 kWh"),
                ("Kühlschrank", "0,1 kW", "0,4 kWh pro Tag"),
            ),
        ),
        "Die Wallbox zählt am meisten.",
    ]


def test_an_html_table_is_a_table_too() -> None:
    text = (
        "<p>Preise&nbsp;2026:</p><table><tr><th>Tarif</th><th>Arbeitspreis</th></tr>"
        "<tr><td>Grundversorgung</td><td>40,1 ct/kWh</td></tr></table>"
    )

    assert reading_blocks(text) == [
        "Preise 2026:",
        Table(header=("Tarif", "Arbeitspreis"), rows=(("Grundversorgung", "40,1 ct/kWh"),)),
    ]


def test_ragged_rows_are_padded_to_one_width_and_empty_rows_dropped() -> None:
    text = "| A | B |\n|---|---|\n| 1 |\n|  |  |\n| 2 | 3 | 4 |"

    assert reading_blocks(text) == [Table(header=("A", "B", ""), rows=(("1", "", ""), ("2", "3", "4")))]


def test_paragraphs_stay_apart_and_their_lines_together() -> None:
    text = "Erster Absatz,\nzweite Zeile.\n\n\n- Punkt eins\n- Punkt zwei\n\nLetzter Absatz."

    assert reading_blocks(text) == [
        "Erster Absatz,\nzweite Zeile.",
        "• Punkt eins\n• Punkt zwei",
        "Letzter Absatz.",
    ]


def test_pipes_without_a_header_rule_are_no_table_and_read_as_cells() -> None:
    assert reading_blocks("Geräte:\n| Wallbox | 11 kW |\n| Wärmepumpe | 2,5 kW |") == [
        "Geräte:\nWallbox · 11 kW\nWärmepumpe · 2,5 kW"
    ]


def test_the_card_excerpt_of_the_same_passage_stays_short_text() -> None:
    excerpt = card_excerpt(f"Nicht jeder Verbraucher lässt sich verschieben.\n\n{APPLIANCES}", limit=90)

    assert "|" not in excerpt and "---" not in excerpt and len(excerpt) <= 92
    assert excerpt.startswith(
        "Nicht jeder Verbraucher lässt sich verschieben.\nWaschmaschine (40 °C): Leistung"
    )
