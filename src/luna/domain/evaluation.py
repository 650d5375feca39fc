"""The evaluation core's vocabulary: golden questions, the held-out split and the metrics of a run.

One core measures retrieval and answers alike, so a change to chunking, fusion, the answerer or a
fine-tuned model is judged by the same figures (``luna eval run``; the flywheel's and fine-tuning's
gates read the same run files). A golden question is *answerable* (it names the document that answers
it and 1–3 verbatim ``needles`` of the answering passage) or *unanswerable* (the knowledge base does not
answer it; Luna must refuse). Tuning happens on the ``tune`` split only; figures that are reported come
from ``test``, which a stable hash of the question's id assigns, so the split never depends on the order
or the number of questions in a file.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from luna.domain.answers import without_citations
from luna.domain.errors import InvalidInput

Split = Literal["tune", "test", "all"]
SPLITS: tuple[Split, ...] = ("tune", "test", "all")
#: Share of questions in the held-out ``test`` split (by hash of the id, so stable as sets grow).
TEST_SHARE = 0.4
MAX_NEEDLES = 5


@dataclass(frozen=True, slots=True)
class GoldenQuestion:
    """One question of a golden set; ``document`` and ``needles`` are empty when it is unanswerable."""

    question_id: str
    question: str
    document: str | None = None
    needles: tuple[str, ...] = ()
    #: The figure the answer must state ("8,12 ct/kWh"), for questions that ask for one.
    figure: str | None = None

    @property
    def answerable(self) -> bool:
        return self.document is not None

    @property
    def split(self) -> Literal["tune", "test"]:
        digest = hashlib.sha256(self.question_id.encode("utf-8")).digest()
        return "test" if int.from_bytes(digest[:4], "big") / 2**32 < TEST_SHARE else "tune"


def parse_golden_set(entries: Any, origin: str) -> list[GoldenQuestion]:
    """Golden questions from a YAML list, with errors that name the file and the entry."""
    if not isinstance(entries, list) or not entries:
        raise InvalidInput(f"{origin}: a golden set is a non-empty YAML list of questions.")
    questions = [_parse_entry(entry, f"{origin}, entry {index}") for index, entry in enumerate(entries, 1)]
    seen: set[str] = set()
    for question in questions:
        if question.question_id in seen:
            raise InvalidInput(f"{origin}: the id {question.question_id!r} appears twice.")
        seen.add(question.question_id)
    return questions


def _parse_entry(entry: Any, where: str) -> GoldenQuestion:
    if not isinstance(entry, Mapping):
        raise InvalidInput(f"{where}: expected a mapping with id and question.")
    question_id, question = entry.get("id"), entry.get("question")
    if not isinstance(question_id, str) or not question_id.strip():
        raise InvalidInput(f"{where}: 'id' must be a non-empty string.")
    if not isinstance(question, str) or not question.strip():
        raise InvalidInput(f"{where} ({question_id}): 'question' must be a non-empty string.")
    document = entry.get("file")
    needles = entry.get("needles") or []
    figure = entry.get("figure")
    if entry.get("answerable", True) is False:
        if document or needles:
            raise InvalidInput(f"{where} ({question_id}): an unanswerable question names no file or needles.")
        return GoldenQuestion(question_id, question.strip())
    if not isinstance(document, str) or not document:
        raise InvalidInput(f"{where} ({question_id}): 'file' names the document that answers it.")
    valid_needles = isinstance(needles, list) and all(isinstance(n, str) and n for n in needles)
    if not valid_needles or not 1 <= len(needles) <= MAX_NEEDLES:
        raise InvalidInput(f"{where} ({question_id}): 'needles' must list 1–{MAX_NEEDLES} text passages.")
    if figure is not None and not isinstance(figure, str):
        raise InvalidInput(f"{where} ({question_id}): 'figure' must be a string such as '8,12 ct/kWh'.")
    return GoldenQuestion(question_id, question.strip(), document, tuple(needles), figure)


def in_split(questions: Iterable[GoldenQuestion], split: Split) -> list[GoldenQuestion]:
    return [q for q in questions if split == "all" or q.split == split]


def first_paragraph(answer: str) -> str:
    """What a reader sees first: the answer up to its first blank line."""
    return answer.strip().split("\n\n", 1)[0]


def states_any(text: str, wanted: Sequence[str]) -> bool:
    """``text`` quotes one of ``wanted``, compared without line breaks (answers re-flow the source) and
    without citation markers: a sentence is cited before its closing mark, so "… Megawattstunde
    [chunk 7]." quotes the needle "… Megawattstunde."."""
    plain = _loose(without_citations(text))
    return any(_loose(w) in plain for w in wanted)


def _loose(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class QuestionOutcome:
    """What happened to one question; ``rank`` is the first hit's place (1-based) or None."""

    question_id: str
    answerable: bool
    rank: int | None = None
    refused: bool = False
    answer_holds_needle: bool = False
    first_citation_hit: bool = False
    unsupported_numbers: tuple[str, ...] = ()
    answer_ms: float = 0.0
    search_ms: float = 0.0


def is_hit(document_matches: bool, text: str, needles: Sequence[str]) -> bool:
    """A retrieved passage answers the question: it comes from the document and holds a needle."""
    return document_matches and any(needle in text for needle in needles)


@dataclass(frozen=True, slots=True)
class RunFigures:
    """The figures of one run over one split, as ``bench/RESULTS.md`` and the gates report them."""

    answerable: int
    unanswerable: int
    hit_at_1: float
    hit_at_5: float
    mrr_at_10: float
    answer_holds_needle: float
    first_citation_hit: float
    refusal_rate: float
    false_refusal_rate: float
    false_number_warnings: int
    answer_ms_p50: float
    answer_ms_p95: float
    search_ms_p50: float


def figures(outcomes: Sequence[QuestionOutcome]) -> RunFigures:
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    ranks = [o.rank for o in answerable]
    answer_ms = [o.answer_ms for o in outcomes]
    return RunFigures(
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        hit_at_1=_share(r is not None and r <= 1 for r in ranks),
        hit_at_5=_share(r is not None and r <= 5 for r in ranks),
        mrr_at_10=statistics.fmean([1 / r if r and r <= 10 else 0.0 for r in ranks]) if ranks else 0.0,
        answer_holds_needle=_share(o.answer_holds_needle for o in answerable),
        first_citation_hit=_share(o.first_citation_hit for o in answerable),
        refusal_rate=_share(o.refused for o in unanswerable),
        false_refusal_rate=_share(o.refused for o in answerable),
        false_number_warnings=sum(1 for o in outcomes if o.unsupported_numbers),
        answer_ms_p50=_quantile(answer_ms, 0.5),
        answer_ms_p95=_quantile(answer_ms, 0.95),
        search_ms_p50=_quantile([o.search_ms for o in outcomes], 0.5),
    )


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def _quantile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
