"""A CSV or TSV export is a table whose rows Luna can quote with their column names."""

from __future__ import annotations

import pytest

from luna.adapters.extract.local import LocalExtractor
from luna.domain.answer_tables import table_rows
from luna.domain.documents import BlockKind

TARIFF = "Zeitraum;Arbeitspreis ct/kWh\nHT 06-22 Uhr;31,2\nNT 22-06 Uhr;24,8\n"
COMMAS = 'Zeitraum,Arbeitspreis ct/kWh\nHT 06-22 Uhr,"31,2"\nNT 22-06 Uhr,"24,8"\n'


@pytest.mark.parametrize(
    ("data", "name", "declared"),
    [
        (TARIFF, "tarif.csv", "application/vnd.ms-excel"),  # Windows with Excel declares every .csv so
        (COMMAS, "export", "text/csv"),  # named by its type alone
        (TARIFF.replace(";", "\t"), "tarif.tsv", "application/octet-stream"),
    ],
    ids=["semicolon", "comma-by-type", "tab"],
)
def test_a_delimited_export_is_one_table_with_its_header(data: str, name: str, declared: str) -> None:
    doc = LocalExtractor().extract(data.encode(), declared, name)

    [table] = doc.blocks
    assert table.kind is BlockKind.TABLE
    assert [row.text for row in table_rows(table.text)] == [
        "HT 06-22 Uhr: Arbeitspreis ct/kWh 31,2",
        "NT 22-06 Uhr: Arbeitspreis ct/kWh 24,8",
    ]


def test_a_quoted_cell_keeps_its_delimiter() -> None:
    doc = LocalExtractor().extract(b'Tarif;Hinweis\nHT;"werktags; 6-22 Uhr"\n', "text/csv", "t.csv")
    assert "| HT | werktags; 6-22 Uhr |" in doc.text


def test_text_that_is_no_table_stays_text() -> None:
    doc = LocalExtractor().extract(b"Ein Satz, mit Komma.\nNoch einer; ohne Tabelle.\n", "text/csv", "n.csv")
    assert [block.kind for block in doc.blocks] == [BlockKind.PARAGRAPH]


def test_a_text_file_is_never_read_as_a_table() -> None:
    doc = LocalExtractor().extract(TARIFF.encode(), "text/plain", "tarif.txt")
    assert all(block.kind is not BlockKind.TABLE for block in doc.blocks)
