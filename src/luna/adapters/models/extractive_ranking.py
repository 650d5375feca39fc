"""How the extractive answerer weighs a candidate sentence: for refusal, and for the order it reads.

Two scores, each fitted on the tune split of the team's golden questions and measured on the held-out
split (figures in ``bench/RESULTS.md``, "Right answers"):

* :func:`sentence_score` decides *whether* anything answers (the best sentence's cosine or words
  against the refusal thresholds, ``bench/refusal_thresholds.py``), which sentences count as key points
  (at least half as good as the best) and which are dropped (score 0).
* :func:`reading_order` decides *which* sentences lead the answer: the cosine plus a little of the
  question's words, a little less per retrieval place and a little more for a figure under a figure
  question — a logistic regression over the candidates of the tune questions
  (``bench/sentence_ranker.py``) that states the answer for 0.36 of the held-out questions where
  ordering by :func:`sentence_score` did for 0.28.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from luna.domain.legal_references import section_number
from luna.ports.reader import AnswerReader

#: "Was kostet …?" is answered by a sentence or table row with a figure before one without.
_FIGURE_BONUS = 1.3
#: e5 puts unrelated German sentences near this cosine; meaning counts from here up to 1.
_MEANING_FLOOR = 0.7


@dataclass(frozen=True, slots=True)
class MeaningWeights:
    """How sentences are ranked when the embedding model judges their meaning too.

    The score's weights were fitted by ``bench/answer_weights.py``, the refusal thresholds by
    ``bench/refusal_thresholds.py``, the reading order by ``bench/sentence_ranker.py``, all on the
    tune split of the team's golden questions.
    """

    #: Weight of the question-sentence cosine against the share of the question's words (1 − this).
    meaning_share: float = 1.0
    #: Score lost per place the sentence's chunk stands lower in retrieval.
    rank_penalty: float = 0.02
    #: Below this cosine and below ``min_coverage`` in words, nothing answers: Luna refuses.
    #: Chosen on tune by ``bench/sentence_context.py`` for sentences judged after their section
    #: heading (the sentence alone had 0.855, from ``bench/refusal_thresholds.py``).
    min_meaning: float = 0.86
    min_coverage: float = 0.5
    #: Sentences of this many best-retrieved chunks are embedded (the others rank by words only).
    chunks: int = 6
    #: Reading order, in units of cosine: per share of the question's words the sentence holds …
    reading_words: float = 0.093
    #: … less per retrieval place of its chunk …
    reading_place: float = 0.017
    #: … and more for a figure with its unit when the question asks for one. The golden questions
    #: cannot tell 0.02 (the fit) from 0.10 apart: equal on tune and test. The demo price table's
    #: row wins over a heat-pump sentence for "Was kostet die Netznutzung …?" from 0.05 on.
    reading_figure: float = 0.06
    #: … and more for a stated requirement under "Was brauche ich …?" (a rule: one golden question of
    #: 114 has the type, so no split can fit it). The demo guide's "Voraussetzung ist ein intelligentes
    #: Messsystem" lies 0.07 in cosine below the guide's introduction for such a question.
    reading_requirement: float = 0.1
    #: … and more (less) for a sentence whose size bands include (exclude) the size the question
    #: states ("ein BHKW mit 40 kW": "bis zu 50 Kilowatt", not "mehr als 50 Megawatt");
    #: :mod:`luna.domain.quantity_ranges`; chosen on tune by ``bench/quantity_ranges.py`` (0.03 … 0.25 tie).
    reading_band: float = 0.03
    #: How far the refine leg's model (EmbeddingGemma) moves the order, where it has judged every
    #: candidate: ``order + this × (its cosine − e5's)``. Chosen on tune by ``bench/refine_sentences.py``
    #: (0.35 of 0 … 1); it leaves refusal alone.
    refined_reading: float = 0.35


@dataclass(frozen=True, slots=True)
class ReaderCheck:
    """A second opinion on refusal from the answer reader (:class:`~luna.ports.reader.AnswerReader`).

    When the refusal thresholds let a question through but no candidate's cosine reaches
    ``consult_below``, the reader reads the first ``candidates`` sentences in reading order and Luna
    answers only if one scores ``min_score`` or more. All three were chosen on the tune split by
    ``bench/answer_reader.py`` (states it + refused unanswerable − 2 × refused answerable).
    """

    reader: AnswerReader
    min_score: float = 0.08
    consult_below: float = 0.89
    candidates: int = 30
    #: Judge only answers that lead with a law's numbered section ("§ 41a …"): the reader was validated
    #: on statutes and misjudges price-sheet rows and guides (``bench/answer_reader.py``).
    laws_only: bool = True

    def judges(self, section: str | None) -> bool:
        """Whether it gives its opinion on an answer whose first sentence stands in ``section``."""
        return not self.laws_only or section_number(section) is not None

    def agrees(self, question: str, sentences: Sequence[str]) -> bool:
        """Whether one of the first ``candidates`` sentences scores ``min_score`` or more. They are read
        one at a time, in reading order, up to the first that does: the answering sentence usually reads
        early, so an answered question waits for a few pairs instead of all (the ONNX reader reads each
        pair on its own anyway, so nothing is batched away)."""
        first = sentences[: self.candidates]
        return any(self.reader.scores(question, [sentence])[0] >= self.min_score for sentence in first)


def sentence_score(
    coverage: float,
    cosine: float | None,
    chunk_rank: int,
    figure: bool,
    share: float,
    weights: MeaningWeights,
) -> float:
    """A candidate sentence's score: its words and its meaning, its chunk's retrieval place (the
    retriever already judged the first chunk most relevant) and, for a figure question, a figure."""
    base = share * _meaning_strength(cosine) + (1 - share) * coverage
    score = base * max(0.0, 1 - weights.rank_penalty * min(chunk_rank, 10))
    return score * _FIGURE_BONUS if figure else score


def reading_order(
    coverage: float,
    cosine: float,
    chunk_rank: int,
    figure: bool,
    weights: MeaningWeights,
    requirement: bool = False,
    band: int = 0,
) -> float:
    """Which judged sentence leads the answer (higher first): a linear score fitted to put the
    sentence that holds the answer first; its scale means nothing outside one question. ``figure`` and
    ``requirement``: the sentence is of the kind the question asks for; ``band``: +1 / −1 when its size
    bands include / exclude the question's size."""
    return (
        cosine
        + weights.reading_words * coverage
        - weights.reading_place * chunk_rank
        + (weights.reading_figure if figure else 0.0)
        + (weights.reading_requirement if requirement else 0.0)
        + weights.reading_band * band
    )


def _meaning_strength(cosine: float | None) -> float:
    """A cosine mapped onto [0, 1] above the floor of unrelated text (0 when not judged)."""
    if cosine is None:
        return 0.0
    return max(0.0, (cosine - _MEANING_FLOOR) / (1 - _MEANING_FLOOR))
