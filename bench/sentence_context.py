"""What the extractive answerer's judge reads of a sentence: the sentence alone, or with its context.

    .venv/bin/python bench/sentence_context.py [variant …] [--asked-part]   # after bench/retrieval_quality.py

The answerer ranks candidate sentences by e5-small's question-sentence cosine. A law's sentence rarely
names its subject ("Der Anspruch verringert sich um 20 Prozent"): the law and the paragraph are in the
chunk's title and section, the subject often in the sentence before. Table rows are already judged with
their table's title and section. Each variant changes only the text embedded for a sentence (what the
answer quotes stays the sentence); the evaluation core (``luna eval run``'s service) then answers both
golden sets on the bench index, tune and test. Prints one Markdown row per variant and split.
``--asked-part``: a sentence's cosine is also taken to the question's asking sentences alone ("Unsere
Heizung ist kaputt. Wie viel Zeit habe ich?" → "Wie viel Zeit habe ich?"), and the better one counts.
``--symmetric``: sentences are embedded as e5 queries, like the question (``query: `` on both sides).
``--confirm [--third | --fifth]``: the variants chosen on tune, on a set written blind afterwards.
``--cut [N …]``: the shipped judge reading the first N characters of "section: sentence" (600 shipped).
``--four-sets``: tune and test on the splits of all four golden sets instead of the first two.
``--before-after``: the sentence alone (0.855) against the shipped judge (section path, 0.86) on the test
split of all four golden sets.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from corpus_container import REPO, corpus_container

import luna.adapters.models.extractive as extractive
from luna.adapters.models.extractive_ranking import MeaningWeights
from luna.adapters.models.extractive_sentences import Sentence, chunk_sentences
from luna.services.evaluation.evaluation import read_golden_sets

SETS = [REPO / "bench" / "questions_de.yaml", REPO / "bench" / "unanswerable_de.yaml"]
HEADER = (
    "| sentence judged as | refuse below cosine | split | states it | first citation answers "
    "| refused unanswerable / answerable | number warnings |\n|---|---|---|---|---|---|---|"
)
#: The refusal threshold was fitted on cosines of the sentence alone; context moves the cosines, so
#: each variant gets its own, chosen on tune by the objective of ``bench/answer_weights.py``.
THRESHOLDS = (0.84, 0.845, 0.85, 0.855, 0.86, 0.865, 0.87, 0.875, 0.88, 0.885, 0.89)
#: The refusal threshold of the sentence judged alone, as shipped before this benchmark: the baseline.
BEFORE = 0.855
SHIPPED = MeaningWeights().min_meaning
#: Questions written after the variants above were measured, by writers who saw neither Luna's answers
#: nor these figures: all of them are held out from every choice made here (``--confirm``).
CONFIRM_SETS = [REPO / "bench" / "questions_confirm_de.yaml"]
#: A third set, written the same way after the second had decided (``--confirm --third``).
THIRD_SETS = [REPO / "bench" / "questions_blind_de.yaml"]
#: A fifth set, written blind the same way to decide the section path's last part (``--confirm --fifth``).
FRESH_SETS = [REPO / "bench" / "questions_fresh_de.yaml"]
#: The sixth set, written blind while refusal rules were measured (``bench/figure_refusal.py``).
SIXTH_SETS = [REPO / "bench" / "questions_sixth_de.yaml"]
#: The thresholds the tune grid chose (first run of this script, 2026-11-25; the last heading's on the
#: tune split of all four sets, ``--four-sets``).
CHOSEN_ON_TUNE = {
    "the sentence alone (shipped before)": BEFORE,
    "section: sentence (shipped since)": 0.86,
    "last heading: sentence": 0.86,
}


def _header(sentence: Sentence) -> str:
    return " › ".join(part for part in (sentence.chunk.title, sentence.chunk.section) if part)


def _alone(sentence: Sentence) -> str:
    return sentence.text


def _with_header(sentence: Sentence) -> str:
    header = _header(sentence)
    return f"{header}: {sentence.text}" if header else sentence.text


def _with_section(sentence: Sentence) -> str:
    return f"{sentence.chunk.section}: {sentence.text}" if sentence.chunk.section else sentence.text


def _last_heading(sentence: Sentence) -> str:
    """The section path's last part ("§ 41 Energielieferverträge …"), without the parts above it."""
    return (sentence.chunk.section or "").split(" > ")[-1]


def _with_last_heading(sentence: Sentence) -> str:
    heading = _last_heading(sentence)
    return f"{heading}: {sentence.text}" if heading else sentence.text


def _with_title_and_last_heading(sentence: Sentence) -> str:
    header = " › ".join(part for part in (sentence.chunk.title, _last_heading(sentence)) if part)
    return f"{header}: {sentence.text}" if header else sentence.text


def _with_previous(sentence: Sentence) -> str:
    before = sentence.preceding
    return f"{before.text} {sentence.text}" if before is not None else sentence.text


def _with_header_and_previous(sentence: Sentence) -> str:
    header = _header(sentence)
    text = _with_previous(sentence)
    return f"{header}: {text}" if header else text


VARIANTS: dict[str, Callable[[Sentence], str]] = {
    "the sentence alone (shipped before)": _alone,
    "title › section: sentence": _with_header,
    "section: sentence (shipped since)": _with_section,
    "previous sentence + sentence": _with_previous,
    "title › section: previous + sentence": _with_header_and_previous,
    "last heading: sentence": _with_last_heading,
    "title › last heading: sentence": _with_title_and_last_heading,
}


def _patched(meaning: Callable[[Sentence], str]) -> Callable[..., list[Sentence]]:
    def sentences(*args: object) -> list[Sentence]:
        built = chunk_sentences(*args)  # type: ignore[arg-type]
        texts = [s.meaning_text if s.is_row else meaning(s) for s in built]
        for sentence, text in zip(built, texts, strict=True):
            object.__setattr__(sentence, "meaning_text", text)
        return built

    return sentences


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_original_cosines = extractive.ExtractiveChatModel._cosines


def asked_part(question: str) -> str:
    """The question's sentences that ask ("… Wie viel Zeit habe ich?"), without the situation before."""
    parts = [part for part in _SENTENCE_END.split(question.strip()) if part]
    asked = [part for part in parts if part.endswith("?")]
    return " ".join(asked) if asked and len(asked) < len(parts) else question


def _cosines_with_asked_part(self: Any, question: str, sentences: Sequence[Sentence]) -> list[float | None]:
    """Each sentence's better cosine: to the whole question, or to the part that asks."""
    whole = _original_cosines(self, question, sentences)
    asked = asked_part(question)
    if asked == question:
        return whole
    part = _original_cosines(self, asked, sentences)
    return [a if a is None or b is None else max(a, b) for a, b in zip(whole, part, strict=True)]


_QUERY_VECTORS: dict[str, list[float]] = {}


class _SentencesAsQueries:
    """The judge's embedder with sentences embedded as e5 queries too (``query: `` on both sides, what
    e5's card names for symmetric similarity), memoised in-process."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def embed_query(self, text: str) -> list[float]:
        return list(self.inner.embed_query(text))

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        for text in texts:
            if text not in _QUERY_VECTORS:
                _QUERY_VECTORS[text] = self.embed_query(text)
        return [_QUERY_VECTORS[text] for text in texts]


def _cosines_symmetric(self: Any, question: str, sentences: Sequence[Sentence]) -> list[float | None]:
    meaning = self._meaning
    self._meaning = _SentencesAsQueries(meaning)
    try:
        return _original_cosines(self, question, sentences)
    finally:
        self._meaning = meaning


def figures(split: str, min_meaning: float, sets: Sequence[Path] = SETS) -> Any:
    """One evaluation run with the answerer's refusal threshold at ``min_meaning``."""
    return figures_with(MeaningWeights(min_meaning=min_meaning), split, sets)


def figures_with(weights: MeaningWeights, split: str, sets: Sequence[Path]) -> Any:
    """One evaluation run of ``sets``' ``split`` with the extractive answerer built on ``weights``."""
    extractive.MeaningWeights = lambda: weights  # type: ignore[misc,assignment]
    container = corpus_container()
    try:
        run = container.services.evaluation.run(
            read_golden_sets(sets),
            split=split,
            name=f"weights-{split}",
            documents_dir=REPO.parent / "shared" / "corpus",
        )
    finally:
        container.close()
    return run.figures


def objective(f: Any) -> float:
    return float(f.answer_holds_needle + f.refusal_rate - 2 * f.false_refusal_rate)


def row(label: str, threshold: float, split: str, f: Any) -> str:
    return (
        f"| {label} | {threshold} | {split} | {f.answer_holds_needle:.3f} | {f.first_citation_hit:.3f} | "
        f"{f.refusal_rate:.3f} / {f.false_refusal_rate:.3f} | {f.false_number_warnings} |"
    )


def confirm(sets: Sequence[Path], variants: Sequence[str]) -> list[str]:
    """Each variant with its tune-chosen threshold on ``sets`` (every question counts)."""
    table = [HEADER]
    for variant in variants:
        threshold = CHOSEN_ON_TUNE[variant]
        extractive.chunk_sentences = _patched(VARIANTS[variant])  # type: ignore[assignment]
        f = figures("all", threshold, sets)
        table.append(row(variant, threshold, "confirmation sets", f))
        retrieval = f"{f.hit_at_1:.3f} / {f.hit_at_5:.3f} / {f.mrr_at_10:.3f}"
        print(table[-1], f"retrieval hit@1 / hit@5 / MRR@10 {retrieval}", flush=True)
    return table


def before_and_after() -> list[str]:
    """The shipped judge against the sentence alone on the test split of all four sets."""
    sets = [*SETS, *CONFIRM_SETS, *THIRD_SETS]
    table = [HEADER]
    for label, meaning, threshold in (
        ("the sentence alone (before)", _alone, BEFORE),
        ("section: sentence (shipped)", _with_section, SHIPPED),
    ):
        extractive.chunk_sentences = _patched(meaning)  # type: ignore[assignment]
        f = figures("test", threshold, sets)
        table.append(row(label, threshold, "test (four sets)", f))
        retrieval = f"{f.hit_at_1:.3f} / {f.hit_at_5:.3f} / {f.mrr_at_10:.3f}"
        print(
            table[-1],
            f"hit@1 / hit@5 / MRR@10 {retrieval}, answer ms p50 / p95 "
            f"{f.answer_ms_p50:.0f} / {f.answer_ms_p95:.0f}",
            flush=True,
        )
    return table


def judged_cut(cuts: Sequence[int]) -> list[str]:
    """The shipped judge with each cut on what it reads of a sentence (the heading counts), on the tune and
    test split of five sets and on every question of the sixth."""
    five = [*SETS, *CONFIRM_SETS, *THIRD_SETS, *FRESH_SETS]
    table = [HEADER]
    extractive.chunk_sentences = _patched(_with_section)  # type: ignore[assignment]
    for cut in cuts:
        extractive._MAX_JUDGED_CHARS = cut  # type: ignore[attr-defined]
        for split, sets, label in (
            ("tune", five, "tune (five sets)"),
            ("test", five, "test (five sets)"),
            ("all", SIXTH_SETS, "sixth set"),
        ):
            table.append(
                row(
                    f"section: sentence, first {cut} characters",
                    SHIPPED,
                    label,
                    figures(split, SHIPPED, sets),
                )
            )
            print(table[-1], flush=True)
    return table


def main(argv: Sequence[str]) -> int:
    if "--cut" in argv:
        print("\n".join(judged_cut([int(arg) for arg in argv if arg.isdigit()] or [600, 900])))
        return 0
    if "--before-after" in argv:
        print("\n".join(before_and_after()))
        return 0
    if "--confirm" in argv and "--fifth" in argv:
        print("\n".join(confirm(FRESH_SETS, [*CHOSEN_ON_TUNE][1:])))
        return 0
    if "--confirm" in argv:
        print("\n".join(confirm(THIRD_SETS if "--third" in argv else CONFIRM_SETS, [*CHOSEN_ON_TUNE][:2])))
        return 0
    asked = "--asked-part" in argv
    sets = [*SETS, *CONFIRM_SETS, *THIRD_SETS] if "--four-sets" in argv else SETS
    if "--symmetric" in argv:
        extractive.ExtractiveChatModel._cosines = _cosines_symmetric  # type: ignore[method-assign]
    wanted = [arg for arg in argv if not arg.startswith("--")]
    chosen = [name for name in VARIANTS if not wanted or any(arg in name for arg in wanted)]
    if asked:
        extractive.ExtractiveChatModel._cosines = _cosines_with_asked_part  # type: ignore[method-assign]
    table = [HEADER]
    for variant in chosen:
        extractive.chunk_sentences = _patched(VARIANTS[variant])  # type: ignore[assignment]
        name = f"{variant}, question: max(whole, asked part)" if asked else variant
        name += ", sentences as queries" if "--symmetric" in argv else ""
        tune = {threshold: figures("tune", threshold, sets) for threshold in THRESHOLDS}
        best = max(THRESHOLDS, key=lambda t: (round(objective(tune[t]), 6), -abs(t - BEFORE)))
        for threshold in sorted({BEFORE, best}):
            table.append(row(name, threshold, "tune", tune[threshold]))
        if VARIANTS[variant] is _alone and best != BEFORE:
            table.append(row(name, BEFORE, "test", figures("test", BEFORE, sets)))
        table.append(row(name + " (chosen on tune)", best, "test", figures("test", best, sets)))
        print("\n".join(table[1:]), flush=True)
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
