"""The rows of one table move together when the refine leg's model shifts the reading order (issue #14):
it prefers one row over its neighbours where the question names none of their labels, so the table's
own order must still decide among them ("Was kostet die Netznutzung …?" → the household row first)."""

from __future__ import annotations

from luna.adapters.models.extractive_order import rows_move_together
from luna.adapters.models.extractive_sentences import chunk_sentences
from luna.adapters.models.extractive_words import GermanStemmer
from luna.domain.answers import ContextChunk

PRICE_SHEET = ContextChunk(
    "c1",
    "| Kundengruppe | Arbeitspreis (ct/kWh) |\n|---|---|\n| Haushalt | 8,12 |\n| Leistungsmessung | 6,48 |\n",
    title="Netzentgelte 2026",
)
GUIDE = ContextChunk("c2", "Eine Wärmepumpe spart Kosten. Sie braucht Strom.", title="Wärmepumpe")


def test_rows_of_one_table_share_their_best_rows_shift_and_sentences_keep_their_own() -> None:
    sentences = [
        *chunk_sentences(PRICE_SHEET, 0, GermanStemmer()),
        *chunk_sentences(GUIDE, 1, GermanStemmer()),
    ]
    assert [s.is_row for s in sentences] == [True, True, False, False]

    shifts = rows_move_together(sentences, [0.01, 0.05, -0.02, 0.03])

    assert shifts == [0.05, 0.05, -0.02, 0.03]
