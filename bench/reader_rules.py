"""The rules that turn the answer reader's scores into answers (issue #14), numpy only: read by
``bench/answer_reader.py`` (tables for RESULTS) and by ``bench/answer_reader_train.py`` (choosing the
variant to export on tune where it trains, a GPU machine without Luna's venv).

A case is one golden question as ``answer_reader.py prepare`` wrote it to ``cases.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

LEAD = 2
#: Candidates the reader reads per question (``rag.reader.candidates``): the golden scores cover these.
SCORED_PER_QUESTION = 30


def _order(case: dict[str, Any], reader: np.ndarray | None, mix: float) -> list[int]:
    """The candidates in the order they would be read: the shipped order (no reader, or ``mix`` < 0),
    the reader's score (``mix`` 0), or the shipped score plus ``mix`` × the reader's probability."""
    n = len(case["hits"])
    if reader is None or mix < 0:
        return list(range(n))
    shipped = np.asarray(case.get("order", case["score"]), dtype=np.float64)
    key = reader if mix == 0 else shipped + mix * (1 / (1 + np.exp(-reader)))
    return list(np.argsort(-key, kind="stable"))


Rule = str  # "gate" (shipped), "gate and reader", "reader", "gate or reader", "logistic"


def _answered(case: dict[str, Any], reader: np.ndarray | None, rule: Rule, floor: float) -> bool:
    """Whether the question is answered: the service's own refusals (country, unknown names) always
    hold; then the shipped gate, the reader's best score against ``floor``, or both combined."""
    if case["extra_refusal"] or not case["hits"]:
        return False
    gate = bool(case["gate"])
    if reader is None or rule == "gate":
        return gate
    if rule == "logistic":
        return float(case["logistic"]) >= floor
    if rule.startswith("gate and reader below "):  # the reader asked only where no cosine comes close
        near = max(case["meaning"], default=-1.0) >= float(rule.rsplit(" ", 1)[1])
        return gate and (near or float(reader.max()) >= floor)
    read = float(reader.max()) >= floor
    return {"gate and reader": gate and read, "reader": read, "gate or reader": gate or read}[rule]


def figures(
    cases: Sequence[dict[str, Any]], scores: Sequence[np.ndarray | None], mix: float, rule: Rule, floor: float
) -> tuple[float, float, float]:
    """States it, refused unanswerable, refused answerable."""
    stated = refused_un = refused_ans = 0
    for c, r in zip(cases, scores, strict=True):
        answered = _answered(c, r, rule, floor)
        if c["answerable"]:
            refused_ans += not answered
            stated += answered and any(c["hits"][i] for i in _order(c, r, mix)[:LEAD])
        else:
            refused_un += not answered
    answerable = sum(c["answerable"] for c in cases)
    return (
        stated / max(1, answerable),
        refused_un / max(1, len(cases) - answerable),
        refused_ans / max(1, answerable),
    )


def objective(f: tuple[float, float, float]) -> float:
    """The refusal rules' objective of earlier sessions: states it + refused unanswerable − 2 × refused
    answerable."""
    return f[0] + f[1] - 2 * f[2]


#: The shipped rule: the reader is asked only where no candidate comes within this cosine.
SHIPPED_RULE = "gate and reader below 0.89"


def tune_choice(cases: Sequence[dict[str, Any]], scores: Sequence[np.ndarray | None]) -> tuple[float, float]:
    """The floor the tune split's objective chooses for the shipped rule, and that objective."""
    floors = sorted({float(x.max()) for x in scores if x is not None})
    best = max(floors, key=lambda f: objective(figures(cases, scores, -1, SHIPPED_RULE, f)))
    return best, objective(figures(cases, scores, -1, SHIPPED_RULE, best))
