"""The extractive answerer's order of its candidate sentences, after they are weighed: a question the
source asks itself gives way to its answer, and rows of one table that the model cannot tell apart
are read in the table's order (``bench/table_rows.py``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from luna.adapters.models.extractive_sentences import Sentence, answered_question

#: Rows of one table whose reading order lies this close to the best row's count as one answer, read in
#: the table's order: the demo price sheet's rows lie 0.002–0.013 apart for "Wie hoch sind die
#: Netzentgelte 2026 pro Kilowattstunde?", which names no customer group; a question that names one
#: ("Und für Gewerbe?") puts its row 0.1 ahead.
_ROW_TIE = 0.015


@dataclass(frozen=True, slots=True)
class Ranked:
    """A candidate sentence as the answerer weighs it."""

    sentence: Sentence
    coverage: float
    score: float
    #: Cosine between the question and the sentence in the embedding model, when one is given.
    meaning: float | None = None
    #: Where it stands in the answer (higher first): :func:`reading_order` when judged, else ``score``.
    order: float = 0.0


def rows_move_together(sentences: Sequence[Sentence], shifts: Sequence[float]) -> list[float]:
    """The rows of one table all move by their best row's shift: the stronger model judging the reading
    order prefers one row over its neighbours where the question names none of their labels ("Was
    kostet die Netznutzung pro Kilowattstunde?" read the demo price sheet's 6,48 ct row before the
    household's 8,12), so among them the table's own order still decides (see
    :func:`table_order_among_tied_rows`); the table as a whole moves as its best row would."""
    best: dict[str, float] = {}
    for sentence, shift in zip(sentences, shifts, strict=True):
        if sentence.is_row:
            table = sentence.chunk.chunk_id
            best[table] = max(best.get(table, shift), shift)
    return [best[s.chunk.chunk_id] if s.is_row else shift for s, shift in zip(sentences, shifts, strict=True)]


def answers_for_questions(ranked: list[Ranked]) -> list[Ranked]:
    """A question the source asks itself is no answer, however close to the reader's: the sentence that
    answers it takes its place (with its score and order, when higher) and is read after it."""
    best: dict[tuple[str, str], Ranked] = {}
    for candidate in ranked:
        answer = answered_question(candidate.sentence)
        if answer is not None:
            candidate = dataclasses.replace(candidate, sentence=answer)
        held = best.get(candidate.sentence.key)
        if held is None or (candidate.order, candidate.score) > (held.order, held.score):
            best[candidate.sentence.key] = candidate
    return sorted(best.values(), key=lambda r: (r.order, r.score), reverse=True)


def table_order_among_tied_rows(ranked: list[Ranked], position: dict[tuple[str, str], int]) -> list[Ranked]:
    """The rows of the best-ranked row's table that e5 cannot tell apart from it are read in the
    table's own order, from that row's place on: tables list the common case first ("Haushalt" before
    "Leistungsmessung ab 2.500 h/a"), and a question that names no row's label gives near-equal
    cosines. A sentence that ranks before the best row keeps its place ("Was kostet die Netznutzung
    pro Kilowattstunde?" leads with the price sheet's sentence, then the household row, not the row
    whose cosine was 0.004 higher)."""
    first = next((at for at, r in enumerate(ranked) if r.sentence.is_row), None)
    if first is None:
        return ranked
    best = ranked[first]
    table = best.sentence.chunk.chunk_id
    tied = [
        r
        for r in ranked[first:]
        if r.sentence.is_row and r.sentence.chunk.chunk_id == table and best.order - r.order <= _ROW_TIE
    ]
    tied_keys = {r.sentence.key for r in tied}
    tied.sort(key=lambda r: position[r.sentence.key])
    return ranked[:first] + tied + [r for r in ranked[first:] if r.sentence.key not in tied_keys]
