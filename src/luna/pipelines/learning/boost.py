"""The bounded boost retrieval adds to a chunk's fused score from its learned scores.

``boost = boost_max · scale · strength`` with ``strength`` in [0, 1]: half the chunk's popularity, half how
far its quality lies above the prior (a chunk rated below the prior gets no quality part; a chunk never
viewed nor rated has no score and gets 0). ``scale`` is the largest score the fusion method can give, so
``boost_max`` means the same share of the score range for both methods:

- weighted fusion adds min-max normalised leg scores: at most ``dense_weight + lexical_weight``;
- reciprocal rank fusion adds ``weight / (k + rank)``: at most ``(dense_weight + lexical_weight) / (k + 1)``.

The boost can therefore never lift a chunk by more than ``boost_max`` of the best possible score, and the
retrieval benchmark (``bench/retrieval_boost.py``) measures how small it must be so that even an
adversarial boost never lifts an irrelevant chunk above a relevant one on the team's question set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

FusionMethod = Literal["rrf", "weighted"]


def boost_strength(popularity: float, quality: float, prior_mean: float) -> float:
    """``0.5 · popularity + 0.5 · (quality − prior) / (1 − prior)``, each part clipped to [0, 1]."""
    lift = 0.0 if prior_mean >= 1.0 else (quality - prior_mean) / (1.0 - prior_mean)
    return 0.5 * _unit(popularity) + 0.5 * _unit(lift)


def fusion_scale(method: FusionMethod, dense_weight: float, lexical_weight: float, rrf_k: float) -> float:
    """The largest fused score ``method`` can give (the score of a chunk first in both legs)."""
    total = dense_weight + lexical_weight
    return total if method == "weighted" else total / (rrf_k + 1)


@dataclass(frozen=True, slots=True)
class Boosted:
    chunk_id: str
    score: float
    boost: float


def rerank(
    ranked: Sequence[tuple[str, float]], strengths: Mapping[str, float], amount: float
) -> list[Boosted]:
    """Add ``amount · strength`` to each fused score and sort again, best first.

    Equal boosted scores keep the fused order, so without boosts the ranking is exactly the fused one.
    """
    boosted = [
        Boosted(
            chunk_id, score + amount * strengths.get(chunk_id, 0.0), amount * strengths.get(chunk_id, 0.0)
        )
        for chunk_id, score in ranked
    ]
    return sorted(boosted, key=lambda hit: -hit.score)


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)
