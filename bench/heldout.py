"""Held-out tables the retrieval benchmarks of issue #14 share: rank figures and refusal by a fitted rule.

Every row is one golden question with its ``split`` (``tune`` or ``test``) and ``answerable`` flag.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
from sklearn.linear_model import LogisticRegression

Candidate = TypeVar("Candidate")
Rows = Sequence[Mapping[str, Any]]


def first_hit(order: Sequence[str], hits: set[str]) -> int | None:
    """The rank (1–10) of the first answering chunk in ``order``, None when the top 10 miss."""
    return next((i for i, cid in enumerate(order[:10], 1) if cid in hits), None)


def rank_figures(ranks: Sequence[int | None]) -> tuple[float, float, float]:
    """hit@1, hit@5 and MRR@10 of first-hit ranks."""
    return (
        sum(r == 1 for r in ranks) / len(ranks),
        sum(bool(r and r <= 5) for r in ranks) / len(ranks),
        statistics.fmean([1 / r if r else 0.0 for r in ranks]),
    )


def refusal_table(
    rows: Sequence[Mapping[str, Any]],
    features: Callable[[Mapping[str, Any]], list[float]],
    candidates: Sequence[tuple[str, list[int]]],
) -> None:
    """Refusal by a logistic regression on ``tune`` over the named feature columns, measured on both."""
    x = {s: np.array([features(r) for r in rows if r["split"] == s]) for s in ("tune", "test")}
    y = {s: np.array([r["answerable"] for r in rows if r["split"] == s]) for s in ("tune", "test")}
    print(
        "\n| refusal by | tune refused unanswerable / answerable | test refused unanswerable / answerable |"
    )
    print("|---|---|---|")
    for label, columns in candidates:
        model = LogisticRegression(C=100.0, max_iter=1000).fit(x["tune"][:, columns], y["tune"])
        threshold = sorted(model.predict_proba(x["tune"][:, columns])[:, 1][y["tune"]])[1]
        cells = []
        for split in ("tune", "test"):
            p = model.predict_proba(x[split][:, columns])[:, 1]
            cells.append(f"{np.mean(p[~y[split]] < threshold):.3f} / {np.mean(p[y[split]] < threshold):.3f}")
        print(f"| {label} | {cells[0]} | {cells[1]} |")


def rank_table(
    tried: Sequence[tuple[str, Candidate]],
    tune: Rows,
    test: Rows,
    figures: Callable[[Rows, Candidate], tuple[float, float, float]],
) -> None:
    """One Markdown row per candidate: hit@1 / hit@5 / MRR@10 on ``tune`` and on ``test``."""
    print("| candidate | tune hit@1 / hit@5 / MRR@10 | test hit@1 / hit@5 / MRR@10 |\n|---|---|---|")
    for label, candidate in tried:
        cells = [" / ".join(f"{v:.3f}" for v in figures(split, candidate)) for split in (tune, test)]
        print(f"| {label} | {cells[0]} | {cells[1]} |")
