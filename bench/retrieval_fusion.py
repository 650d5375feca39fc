"""Fusion candidates of issue #14 on the features of ``bench/retrieval_features.py``, tune vs test.

    .venv/bin/python bench/retrieval_fusion.py

The shipped ranking is the weighted fusion of the dense and the lexical leg (each min-max normalised
over its own 40 candidates). Each candidate adds min-max normalised signals of the same candidates
with a weight: the title › section header's cosine, the chunk's best sentence's cosine, and the best
dense cosine of the chunk's document (a document prior). Weights are chosen on ``tune`` (by hit@5,
then MRR@10) and measured once on ``test``. Prints a Markdown table.

A second table is the refusal candidates: unanswerable questions (``bench/unanswerable_de.yaml``)
against answerable ones by the best dense cosine, the best sentence cosine of the six fused best
chunks (what the answerer sees) and the best BM25 score, alone and in a logistic regression fitted on
``tune``; each threshold lets one answerable tune question be refused (≈ 0.02).
"""

from __future__ import annotations

import itertools
import json
import math
import statistics
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from corpus_container import WORK
from heldout import refusal_table

FEATURES = WORK.parent / "retrieval_features.json"
DEPTH = 40
GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)


def minmax(values: Mapping[str, float]) -> dict[str, float]:
    if not values:
        return {}
    low, high = min(values.values()), max(values.values())
    return {k: (v - low) / (high - low) if high > low else 1.0 for k, v in values.items()}


def signals(candidates: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """Per signal, each candidate's normalised value (legs only over their own top 40)."""
    by_dense = sorted(candidates, key=lambda c: -c["dense"])[:DEPTH]
    lexical = {c["chunk_id"]: c["lexical"] for c in candidates if c["lexical"] > 0}
    document_best: dict[str, float] = {}
    for c in candidates:
        document_best[c["item_id"]] = max(document_best.get(c["item_id"], -1.0), c["dense"])
    return {
        "dense": minmax({c["chunk_id"]: c["dense"] for c in by_dense}),
        "lexical": minmax(lexical),
        "header": minmax({c["chunk_id"]: c["header"] for c in candidates}),
        "sentence": minmax({c["chunk_id"]: c["sentence"] for c in candidates}),
        "document": minmax({c["chunk_id"]: document_best[c["item_id"]] for c in candidates}),
    }


def ranking(row: Mapping[str, Any], weights: Mapping[str, float]) -> list[bool]:
    normalised = signals(row["candidates"])
    scored = sorted(
        row["candidates"],
        key=lambda c: (
            -sum(w * normalised[name].get(c["chunk_id"], 0.0) for name, w in weights.items()),
            c["chunk_id"],
        ),
    )
    return [bool(c["hit"]) for c in scored[:10]]


def figures(rows: Sequence[Mapping[str, Any]], weights: Mapping[str, float]) -> tuple[float, float, float]:
    ranks = [next((i for i, hit in enumerate(ranking(r, weights), 1) if hit), None) for r in rows]
    return (
        sum(r == 1 for r in ranks) / len(ranks),
        sum(bool(r and r <= 5) for r in ranks) / len(ranks),
        statistics.fmean([1 / r if r and r <= 10 else 0.0 for r in ranks]),
    )


def refusal_features(row: Mapping[str, Any]) -> list[float]:
    candidates = row["candidates"]
    n = signals(candidates)
    fused = sorted(
        candidates, key=lambda c: -(n["dense"].get(c["chunk_id"], 0) + n["lexical"].get(c["chunk_id"], 0))
    )
    return [
        max(c["dense"] for c in candidates),
        max(c["sentence"] for c in fused[:6]),
        math.log1p(max([c["lexical"] for c in candidates] + [0.0])),
    ]


def main() -> int:
    everything = json.loads(FEATURES.read_text(encoding="utf-8"))
    rows = [r for r in everything if r["answerable"]]
    tune = [r for r in rows if r["split"] == "tune"]
    test = [r for r in rows if r["split"] == "test"]
    shipped = {"dense": 1.0, "lexical": 1.0}
    tried: list[tuple[str, dict[str, float]]] = [("weighted dense + lexical (shipped)", shipped)]
    for name in ("header", "sentence", "document"):
        best = max(
            ({**shipped, name: w} for w in GRID[1:]),
            key=lambda weights: figures(tune, weights)[1:],
        )
        tried.append((f"+ {name} {best[name]}", best))
    combos = [
        {"dense": 1.0, "lexical": lw, "header": h, "sentence": s, "document": d}
        for lw, h, s, d in itertools.product((0.5, 1.0), GRID, GRID, GRID)
    ]
    best_all = max(combos, key=lambda weights: figures(tune, weights)[1:])
    tried.append(("all, chosen on tune: " + ", ".join(f"{k} {v}" for k, v in best_all.items()), best_all))
    print("| candidate | tune hit@1 / hit@5 / MRR@10 | test hit@1 / hit@5 / MRR@10 |\n|---|---|---|")
    for label, weights in tried:
        cells = [" / ".join(f"{v:.3f}" for v in figures(split, weights)) for split in (tune, test)]
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    refusal_table(
        everything,
        refusal_features,
        [
            ("best dense cosine", [0]),
            ("best sentence cosine of the context", [1]),
            ("best BM25 score", [2]),
            ("dense + sentence", [0, 1]),
            ("dense + sentence + BM25", [0, 1, 2]),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
