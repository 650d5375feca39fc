"""How retrieval uses the learned scores: a bounded boost (weighted fusion) or a tie-breaker (RRF).

A chunk's ``strength`` in [0, 1] is half its popularity plus half how far its quality lies above the
prior (a chunk rated below the prior gets no quality part; a chunk never viewed nor rated has no score
and gets 0).

- **Weighted fusion** adds ``boost = boost_max · scale · strength``, where ``scale`` is the largest fused
  score (``dense_weight + lexical_weight``: min-max normalised legs), so ``boost_max`` is a share of the
  score range. ``bench/retrieval_boost.py`` measures the smallest gap between a relevant chunk and the
  best irrelevant chunk below it on the team's 74 questions (0.8 % of the range); a ``boost_max`` below
  it cannot lift an irrelevant chunk above a relevant one there even if every irrelevant chunk got the
  maximum boost.
- **Reciprocal rank fusion** knows ranks only, and equal-weight rank sums tie exactly (ranks 1 and 4 in
  the two legs give the same score as 4 and 1) or nearly (1 and 4 against 2 and 3 differ by 0.05 % of the
  range): the benchmark finds relevant chunks tied with irrelevant ones, so no additive boost is safe.
  There the scores only **break exact ties**, which RRF would otherwise break by chunk ID; the fused
  score and every strict order stay as they are.
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
    """The largest fused score ``method`` can give (the score of a chunk first in both legs): the unit
    ``boost_max`` is a share of under weighted fusion, and the benchmark's unit for margins."""
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


def break_ties(ranked: Sequence[tuple[str, float]], strengths: Mapping[str, float]) -> list[Boosted]:
    """Order chunks with exactly equal fused scores by strength (strongest first), keep everything else.

    Nothing is added to a score, so ``boost`` is 0 for every hit.
    """
    ordered = sorted(ranked, key=lambda hit: (-hit[1], -strengths.get(hit[0], 0.0)))
    return [Boosted(chunk_id, score, 0.0) for chunk_id, score in ordered]


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)
