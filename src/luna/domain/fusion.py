"""Fusing ranked result lists (dense, lexical, …) into one ranking.

Two methods, to be compared per corpus on an evaluation set (published BEIR figures disagree on which
wins, and the German probe saw equal-weight RRF hurt a strong dense ranking):

- :func:`rrf`, reciprocal rank fusion: uses ranks only, so it needs no score calibration.
- :func:`weighted_score_fusion`: normalises each list's scores, then adds them with weights; it keeps
  the *size* of score gaps that RRF throws away.

Both take lists of ``(id, score)`` ordered best first and return fused ``(id, score)`` best first.
Equal fused scores are ordered by id, and sums are exact (``math.fsum``), so the output never depends
on the order of the input lists. An id listed twice in one list counts at its first (best) place.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Literal

Ranked = Sequence[tuple[str, float]]
Normalisation = Literal["minmax", "zscore"]


def rrf(
    result_lists: Sequence[Ranked], k: float = 60, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: ``score(d) = Σ_i weight_i / (k + rank_i(d))`` with ranks from 1.

    A larger ``k`` flattens the difference between top and lower ranks (60 is the usual default).
    """
    if k < 0:
        raise ValueError(f"k must not be negative, got {k}")
    list_weights = _weights(result_lists, weights)
    contributions: dict[str, list[float]] = {}
    for ranked, weight in zip(result_lists, list_weights, strict=True):
        for rank, item_id in enumerate(_first_places(ranked), start=1):
            contributions.setdefault(item_id, []).append(weight / (k + rank))
    return _ordered({item_id: math.fsum(parts) for item_id, parts in contributions.items()})


def weighted_score_fusion(
    result_lists: Sequence[Ranked], weights: Sequence[float], normalisation: Normalisation = "minmax"
) -> list[tuple[str, float]]:
    """``score(d) = Σ_i weight_i · norm_i(d)``, each list normalised on its own.

    ``minmax`` maps a list's best score to 1 and its worst to 0 (a list whose scores are all equal
    maps them all to 1); a document missing from the list gets 0. ``zscore`` maps scores to standard
    deviations from the list's mean (a list with no spread maps to 0); a missing document gets one
    below the list's worst, so being retrieved always beats being missing.
    """
    if normalisation not in ("minmax", "zscore"):
        raise ValueError(f"unknown normalisation {normalisation!r}")
    list_weights = _weights(result_lists, weights)
    normalised = [
        (scores, 0.0 if normalisation == "minmax" else min(scores.values()) - 1.0, weight)
        for scores, weight in zip(
            (_normalise(ranked, normalisation) for ranked in result_lists), list_weights, strict=True
        )
        if scores
    ]
    all_ids = {item_id for scores, _, _ in normalised for item_id in scores}
    return _ordered(
        {
            item_id: math.fsum(weight * scores.get(item_id, floor) for scores, floor, weight in normalised)
            for item_id in all_ids
        }
    )


def ties_to(fused: Ranked, scores: Mapping[str, float]) -> list[tuple[str, float]]:
    """``fused`` with equal fused scores ordered by ``scores`` (higher first, missing last), else as given.

    Weighted min-max fusion ties structurally: when neither leg retrieved the other's best document,
    both fuse to exactly the weight sum, and the ID order that settles it is arbitrary (chunk IDs are
    random). Ordering ties by one leg's own score makes the ranking a property of the documents.
    """
    return sorted(fused, key=lambda pair: (-pair[1], -scores.get(pair[0], -math.inf)))


def in_order(fused: Ranked, order: Sequence[str]) -> list[tuple[str, float]]:
    """``fused`` with the items of ``order`` read in that order: they take the places and scores they
    held together (so the list stays sorted by score), the others keep theirs. A law section read from
    its beginning ("Was regelt § 48 EEG?") lists its chunks in the law's order, not by relevance."""
    position = {item_id: at for at, item_id in enumerate(order)}
    places = [at for at, (item_id, _) in enumerate(fused) if item_id in position]
    reordered = sorted((fused[at][0] for at in places), key=position.__getitem__)
    result = list(fused)
    for at, item_id in zip(places, reordered, strict=True):
        result[at] = (item_id, fused[at][1])
    return result


def _weights(result_lists: Sequence[Ranked], weights: Sequence[float] | None) -> list[float]:
    if weights is None:
        return [1.0] * len(result_lists)
    if len(weights) != len(result_lists):
        raise ValueError(f"got {len(weights)} weights for {len(result_lists)} result lists")
    if any(weight < 0 or not math.isfinite(weight) for weight in weights):
        raise ValueError(f"weights must be finite and not negative, got {list(weights)}")
    return [float(weight) for weight in weights]


def _first_places(ranked: Ranked) -> list[str]:
    return list(dict.fromkeys(item_id for item_id, _ in ranked))


def _best_scores(ranked: Ranked) -> dict[str, float]:
    best: dict[str, float] = {}
    for item_id, score in ranked:
        best.setdefault(item_id, float(score))
    return best


def _normalise(ranked: Ranked, normalisation: Normalisation) -> dict[str, float]:
    scores = _best_scores(ranked)
    if not scores:
        return {}
    values = list(scores.values())
    if normalisation == "minmax":
        low, high = min(values), max(values)
        if high == low:
            return dict.fromkeys(scores, 1.0)
        return {item_id: (score - low) / (high - low) for item_id, score in scores.items()}
    mean = statistics.fmean(values)
    spread = statistics.pstdev(values)
    if spread == 0:
        return dict.fromkeys(scores, 0.0)
    return {item_id: (score - mean) / spread for item_id, score in scores.items()}


def _ordered(scores: Mapping[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
