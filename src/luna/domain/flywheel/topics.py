"""Topics of session questions: groups by meaning, named by the words their questions share.

Grouping is average-linkage clustering on the normalised question embeddings (paraphrases first
grouped in one pass): deterministic for an order, and it needs no number of groups in advance (the
number of topics is what the flywheel wants to find out). A group's label is its two most frequent
content words; the label is what operators read in the dashboard and what per-topic KPIs and
thresholds are keyed by.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final

import numpy as np
from bm25s.stopwords import STOPWORDS_GERMAN

#: Mean cosine similarity over all pairs of two groups for them to be one topic (e5-small question
#: vectors: same-topic pairs score a median 0.89, pairs of different topics a median 0.83; chosen on
#: a tune set of its own, bench/topic_threshold.py, figures in bench/RESULTS.md).
DEFAULT_THRESHOLD: Final = 0.87
#: Questions this similar are paraphrases of one question, grouped before the linkage.
PARAPHRASE: Final = 0.95
#: Paraphrase groups linked pairwise at most (the linkage matrix grows with their square).
MAX_LINKED: Final = 3000
#: Words too general to name a topic in Luna's domain.
_GENERIC: Final = frozenset(
    {
        "luna",
        "bitte",
        "frage",
        "fragen",
        "gibt",
        "eigentlich",
        "genau",
        "welche",
        "welcher",
        "welches",
        "wieviel",
        "viel",
        "wann",
        "warum",
        "kann",
        "können",
        "muss",
        "müssen",
        "sollte",
        "meine",
        "meinen",
        "meinem",
        "meiner",
        "unser",
        "unsere",
        "haben",
        "habe",
        "wird",
        "werden",
        "wäre",
        "gilt",
        "geht",
        "machen",
        "mache",
        "danke",
        "hallo",
        "strom",
        "energie",
        "kosten",
        "kostet",
    }
)
_WORD: Final = re.compile(r"[a-zäöüß]{4,}")


@dataclass(frozen=True, slots=True)
class Topic:
    label: str
    #: Indexes of the questions in the group, in input order.
    members: tuple[int, ...]


@cache
def _stopwords() -> frozenset[str]:
    return frozenset(STOPWORDS_GERMAN) | _GENERIC


def cluster(vectors: Sequence[Sequence[float]], threshold: float = DEFAULT_THRESHOLD) -> list[int]:
    """The group number of every vector (0, 1, … in order of first appearance).

    Average linkage: two groups merge while the mean similarity over all their pairs is at least
    ``threshold``. A centroid rule (join the nearest group's mean) drifts: e5 puts every German energy
    question at 0.82-0.88 of every other, so one mixed group's centroid ends up near all of them and
    swallows new topics. Paraphrases (≥ ``PARAPHRASE``) are grouped first in one pass, which bounds
    the work by the number of distinct meanings rather than of questions.
    """
    if not vectors:
        return []
    matrix = np.asarray(vectors, dtype=np.float64)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    seeds = _leader(matrix, max(threshold, PARAPHRASE))
    if max(seeds) >= MAX_LINKED:  # too many meanings to link pairwise: the centroid pass alone
        seeds = _leader(matrix, threshold)
        return seeds
    merged = _average_linkage(matrix, seeds, threshold)
    first_seen: dict[int, int] = {}
    return [first_seen.setdefault(merged[seed], len(first_seen)) for seed in seeds]


def _leader(matrix: np.ndarray, threshold: float) -> list[int]:
    """Each row joins the first earlier leader at least ``threshold`` similar, or leads a new group."""
    leaders: list[int] = []
    groups: list[int] = []
    for index, row in enumerate(matrix):
        if leaders:
            scores = matrix[leaders] @ row
            best = int(np.argmax(scores))
            if scores[best] >= threshold:
                groups.append(best)
                continue
        leaders.append(index)
        groups.append(len(leaders) - 1)
    return groups


def _average_linkage(matrix: np.ndarray, seeds: Sequence[int], threshold: float) -> list[int]:
    """The final group of every seed group, merging the closest pair (mean pairwise cosine) first.

    The mean cosine over all pairs of two groups is ``sum_a · sum_b / (n_a n_b)`` for unit vectors,
    so each group keeps only its vector sum and size.
    """
    count = max(seeds) + 1
    sums = np.zeros((count, matrix.shape[1]))
    np.add.at(sums, np.asarray(seeds), matrix)
    sizes = np.bincount(np.asarray(seeds), minlength=count).astype(np.float64)
    linkage = (sums @ sums.T) / np.outer(sizes, sizes)
    np.fill_diagonal(linkage, -np.inf)
    owner = list(range(count))
    alive = np.ones(count, dtype=bool)
    while True:
        a, b = (int(i) for i in np.unravel_index(int(np.argmax(linkage)), linkage.shape))
        if linkage[a, b] < threshold:
            break
        sums[a] += sums[b]
        sizes[a] += sizes[b]
        alive[b] = False
        owner = [a if group == b else group for group in owner]
        row = np.where(alive, (sums @ sums[a]) / (sizes * sizes[a]), -np.inf)
        row[a] = -np.inf
        linkage[a], linkage[:, a] = row, row
        linkage[b], linkage[:, b] = -np.inf, -np.inf
    return owner


def label(questions: Sequence[str]) -> str:
    """The two content words most questions of the group use ("einspeisevergütung balkonkraftwerk")."""
    frequency: Counter[str] = Counter()
    for question in questions:
        frequency.update({word for word in _WORD.findall(question.casefold()) if word not in _stopwords()})
    words = [word for word, _ in sorted(frequency.items(), key=lambda item: (-item[1], item[0]))[:2]]
    return " ".join(words) or "sonstiges"


def topics(
    questions: Sequence[str], vectors: Sequence[Sequence[float]], threshold: float = DEFAULT_THRESHOLD
) -> list[Topic]:
    """The groups of ``questions`` with their labels; groups that end up with one label are merged."""
    groups = cluster(vectors, threshold)
    members: dict[int, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    by_label: dict[str, list[int]] = {}
    for indexes in members.values():
        by_label.setdefault(label([questions[i] for i in indexes]), []).extend(indexes)
    return [
        Topic(name, tuple(sorted(indexes)))
        for name, indexes in sorted(by_label.items(), key=lambda kv: min(kv[1]))
    ]
