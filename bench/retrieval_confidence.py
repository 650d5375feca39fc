"""The levels of the ``retrieval_confidence_low`` alert, measured on the golden sets (issue #14).

    .venv/bin/python bench/retrieval_confidence.py        # after bench/retrieval_quality.py

The flywheel's KPI ``retrieval_confidence`` is the mean, over a window's answered turns, of the best
score among the sources an answer cites (``Citation.score``: the fused score plus the learned boost).
A refused turn cites nothing and does not count. The alert is meant to fire when answers rest on weak
matches, usually because the knowledge base lacks what is asked.

Every golden question of the five sets is asked through the shipped answer path on the bench index;
each answered one gives one best score. Days of ``DAY`` answered turns (the alert's ``min_samples``) are
drawn with replacement: "good" days from answered answerable questions only, "gap" days with
``GAP_SHARE`` of their turns from answered unanswerable questions or answerable ones whose answer
misses the expected passage. Levels are chosen on the tune split (warning: the 1st percentile of good
days' means; critical: the 0.1th) and judged once on the test split: the share of good days that would
warn (false alarms) and of gap days that would (detection).
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass

import numpy as np
from corpus_container import FIVE_GOLDEN_SETS, corpus_container

from luna.domain.evaluation import GoldenQuestion, is_hit
from luna.services.evaluation.evaluation import read_golden_sets

DAY = 20
GAP_SHARE = 0.5
DAYS = 20_000


@dataclass(frozen=True, slots=True)
class Turn:
    split: str
    answerable: bool
    found: bool  # the expected passage is among the cited sources
    best: float


def ask_all(questions: list[GoldenQuestion]) -> tuple[list[Turn], int]:
    """One turn per answered question; the count of refused ones."""
    c = corpus_container()
    answers = c.services.knowledge.answers
    turns: list[Turn] = []
    refused = 0
    for question in questions:
        answer = answers.ask(question.question)
        if not answer.citations:
            refused += 1
            continue
        found = question.answerable and any(
            is_hit(True, citation.payload.get("text", ""), question.needles) for citation in answer.citations
        )
        best = max(citation.score for citation in answer.citations)
        turns.append(Turn(question.split, question.answerable, found, best))
    return turns, refused


def day_means(good: np.ndarray, gap: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Means of ``DAYS`` days of ``DAY`` turns, ``share`` of each day's turns drawn from ``gap``."""
    from_gap = round(DAY * share)
    parts = [rng.choice(good, size=(DAYS, DAY - from_gap))]
    if from_gap:
        parts.append(rng.choice(gap, size=(DAYS, from_gap)))
    return np.concatenate(parts, axis=1).mean(axis=1)


def scores(turns: list[Turn], split: str) -> tuple[np.ndarray, np.ndarray]:
    """Best scores of good turns (answerable, passage found) and of gap turns (everything else)."""
    mine = [t for t in turns if t.split == split]
    good = np.array([t.best for t in mine if t.answerable and t.found])
    gap = np.array([t.best for t in mine if not (t.answerable and t.found)])
    return good, gap


def describe(name: str, values: np.ndarray) -> str:
    q = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95])
    cells = " / ".join(f"{v:.3f}" for v in q)
    return f"| {name} | {len(values)} | {statistics.fmean(values):.3f} | {cells} |"


def main() -> int:
    questions = read_golden_sets(FIVE_GOLDEN_SETS)
    turns, refused = ask_all(questions)
    print(f"{len(questions)} questions, {len(turns)} answered, {refused} refused\n")
    print("| answered turns | n | mean best score | p5 / p25 / p50 / p75 / p95 |\n|---|---|---|---|")
    for split in ("tune", "test"):
        good, gap = scores(turns, split)
        print(describe(f"{split}: answerable, passage cited", good))
        print(describe(f"{split}: unanswerable, or passage not cited", gap))
    rng = np.random.default_rng(0)
    good, gap = scores(turns, "tune")
    tune_good = day_means(good, gap, 0.0, rng)
    warning, critical = (float(np.quantile(tune_good, q)) for q in (0.01, 0.001))
    print(f"\nchosen on tune ({DAY} turns a day): warning < {warning:.3f}, critical < {critical:.3f}\n")
    print("| split | days | mean of the day's means | warns | critical |\n|---|---|---|---|---|")
    for split in ("tune", "test"):
        good, gap = scores(turns, split)
        for label, share in (
            ("good", 0.0),
            (f"gap ({GAP_SHARE:.0%} weak turns)", GAP_SHARE),
            ("all weak", 1.0),
        ):
            means = day_means(good, gap, share, rng)
            print(
                f"| {split} | {label} | {statistics.fmean(means):.3f} | {np.mean(means < warning):.3f} "
                f"| {np.mean(means < critical):.3f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
