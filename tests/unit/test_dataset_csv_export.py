"""A dataset's CSV export is opened in spreadsheets: a text cell must never run as a formula there."""

from __future__ import annotations

import polars as pl

from luna.services.datasets.reads import spreadsheet_safe


def test_text_cells_that_start_like_a_formula_are_quoted_and_numbers_stay() -> None:
    frame = pl.DataFrame(
        {
            "answer": [
                '=HYPERLINK("http://evil.example","Klick")',
                "+49 30 123",
                "-5 € im Monat",
                "@SUM(A1)",
            ],
            "question": ["Was kostet Strom?", "\tTab", "a=b", None],
            "rating": [-1.0, 1.0, -0.5, 0.0],
        }
    )

    safe = spreadsheet_safe(frame)

    assert safe["answer"].to_list() == [
        '\'=HYPERLINK("http://evil.example","Klick")',
        "'+49 30 123",
        "'-5 € im Monat",
        "'@SUM(A1)",
    ]
    assert safe["question"].to_list() == ["Was kostet Strom?", "'\tTab", "a=b", None]
    assert safe["rating"].to_list() == [-1.0, 1.0, -0.5, 0.0]
