"""Maximal marginal relevance (Carbonell & Goldstein, 1998): a list that is relevant *and* varied.

A recommender that ranks by relevance alone fills the list with near-copies: the five chunks of the one
document closest to the user's profile. MMR picks greedily the candidate with the best

    lambda · relevance − (1 − lambda) · max similarity to anything already picked,

so each pick pays for resembling what the list already holds. Luna's candidates are chunks, and what a
reader wants varied are documents: chunks of the same ``group`` (item) count as identical (similarity 1)
and at most ``max_per_group`` of them are taken at all.

Inputs should be on comparable scales (relevance and similarity both in 0..1); :func:`rescale` brings
raw cosine similarities there. Ties go to the earlier candidate, so the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]


def mmr(
    relevance: Sequence[float],
    similarity: Matrix,
    k: int,
    *,
    lambda_: float,
    groups: Sequence[str] | None = None,
    max_per_group: int | None = None,
    start: Sequence[int] = (),
) -> list[int]:
    """Indexes of up to ``k`` candidates in pick order.

    ``similarity`` is the symmetric candidate × candidate matrix; ``lambda_ = 1`` ranks by relevance
    alone (still honouring ``max_per_group``), ``lambda_ = 0`` by novelty alone. ``start`` continues a
    list picked earlier (with fewer candidates, or another cap): those indexes come first, in their
    order, and count against the new picks' similarity and their groups' cap, so a list filled up from
    a second pool stays as varied as one picked at once.
    """
    n = len(relevance)
    if similarity.shape != (n, n):
        raise ValueError(f"similarity must be {n}×{n}, got {similarity.shape}")
    if not 0.0 <= lambda_ <= 1.0:
        raise ValueError(f"lambda_ must lie in 0..1, got {lambda_}")
    if groups is not None and len(groups) != n:
        raise ValueError("groups must name one group per candidate")
    if k <= 0 or n == 0:
        return []
    rel = np.asarray(relevance, dtype=np.float64)
    sim = similarity.astype(np.float64, copy=True)
    labels = np.asarray(groups if groups is not None else range(n), dtype=object)
    sim[labels[:, None] == labels[None, :]] = 1.0
    taken_per_group: dict[str, int] = {}
    picked: list[int] = []
    available = np.ones(n, dtype=bool)
    # Highest similarity of every candidate to the picks so far (none yet: no penalty).
    closest = np.full(n, -np.inf)

    def take(index: int) -> None:
        nonlocal closest
        picked.append(index)
        available[index] = False
        closest = np.maximum(closest, sim[index])
        if groups is not None and max_per_group is not None:
            group = groups[index]
            taken_per_group[group] = taken_per_group.get(group, 0) + 1
            if taken_per_group[group] >= max_per_group:
                available[labels == group] = False

    for index in start:
        take(index)
    while len(picked) < k and available.any():
        penalty = np.where(np.isfinite(closest), closest, 0.0)
        marginal = lambda_ * rel - (1.0 - lambda_) * penalty
        marginal[~available] = -np.inf
        take(int(np.argmax(marginal)))
    return picked[:k]


def cosine_matrix(vectors: Matrix) -> Matrix:
    """Pairwise cosine similarity of the rows of ``vectors`` (zero rows give 0)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors, dtype=np.float64), where=norms > 0)
    product: Matrix = unit @ unit.T
    return product


def rescale(values: Matrix) -> Matrix:
    """Min–max scale to 0..1 over the off-diagonal entries of a square matrix, or all entries of a vector.

    Embedding models squeeze cosine similarities into a narrow band (e5: mostly 0.7–0.9), where the
    raw numbers would make every pair look alike; rescaling over the candidate pool restores contrast.
    A constant input becomes all zeros.
    """
    data = values.astype(np.float64)
    if data.ndim == 2 and data.shape[0] == data.shape[1] and data.shape[0] > 1:
        mask = ~np.eye(data.shape[0], dtype=bool)
        low, high = float(data[mask].min()), float(data[mask].max())
    elif data.size:
        low, high = float(data.min()), float(data.max())
    else:
        return data
    if high - low <= 1e-12:
        return np.zeros_like(data)
    scaled: Matrix = np.clip((data - low) / (high - low), 0.0, 1.0)
    return scaled
