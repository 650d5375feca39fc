"""Late interaction on e5's token states as a re-ranker of the fused candidates (issue #14).

    .venv/bin/python bench/late_interaction.py        # after bench/retrieval_quality.py

The misses of the shipped retrieval find the right law and rank the answering paragraph 6th–25th
among its neighbours: one vector per chunk cannot tell paragraphs of one law apart. No cross-encoder
is installable offline here, so this tries the nearest thing e5-small offers: ColBERT-style MaxSim
between the question's and the passage's final token states (``query:``/``passage:`` prefixes, the
prefix tokens dropped), computed on the ONNX encoder (fp32) for the top ``RERANK`` fused candidates.
e5 was not trained for token-level matching; whether its token states carry enough is what this
measures. Two question-side poolings: the plain mean over question tokens, and a mean weighted by
each token's idf over the corpus's chunks (so "Wärmepumpe" counts more than "Wie").

Per golden question the shipped legs (dense + lexical, 40 candidates each, weighted fusion) give
the candidates; the re-ranked score is ``fused + w · minmax(MaxSim)`` with ``w`` chosen on ``tune``
(hit@5, then MRR@10) and measured once on ``test``. Token states are cached per chunk text in
``bench/out/token_states/``. Prints Markdown tables.
"""

from __future__ import annotations

import hashlib
import math
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from corpus_container import WORK, corpus_container
from heldout import first_hit, rank_figures, refusal_table
from sparse_leg import SparseHead, answering_chunks, golden_questions, shipped_legs

from luna.adapters.models.e5_tokenizer import PASSAGE_PREFIX, QUERY_PREFIX
from luna.domain.fusion import weighted_score_fusion
from luna.services.knowledge.indexing import indexed_text

RERANK = 30
CACHE = WORK.parent / "token_states"
GRID = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
Matrix = npt.NDArray[np.float32]


def unit_rows(states: Matrix) -> Matrix:
    return states / np.linalg.norm(states, axis=1, keepdims=True)


class TokenStates:
    """Normalised token states of texts without their prefix tokens, cached on disk by text hash."""

    def __init__(self, head: SparseHead) -> None:
        self.head = head
        self.query_skip = len(head.tokenizer.content_ids([""], QUERY_PREFIX)[0])
        self.passage_skip = len(head.tokenizer.content_ids([""], PASSAGE_PREFIX)[0])
        CACHE.mkdir(parents=True, exist_ok=True)

    def query(self, text: str) -> tuple[Matrix, list[int]]:
        ids = self.head.tokenizer.content_ids([text], QUERY_PREFIX)[0][self.query_skip :]
        return unit_rows(self.head.token_states(text, QUERY_PREFIX)[self.query_skip :]), ids

    def passage(self, text: str) -> Matrix:
        path = CACHE / f"{hashlib.sha256(text.encode()).hexdigest()}.npy"
        if path.is_file():
            return np.load(path).astype(np.float32)
        states = unit_rows(self.head.token_states(text, PASSAGE_PREFIX)[self.passage_skip :])
        np.save(path, states.astype(np.float16))
        return states


def corpus_idf(c: Any, head: SparseHead) -> tuple[dict[str, str], dict[int, float]]:
    """Every active chunk's indexed text, and each token id's idf over those texts."""
    with c.database.unit_of_work(read_only=True) as uow:
        chunks = [chunk for batch in uow.chunks.all_active() for chunk in batch]
        texts = {chunk.chunk_id: indexed_text(uow.items.get(chunk.item_id), chunk) for chunk in chunks}
    frequency: Counter[int] = Counter()
    for ids in head.tokenizer.content_ids(list(texts.values()), ""):
        frequency.update(set(ids))
    return texts, {token: math.log(len(texts) / count) for token, count in frequency.items()}


def maxsim(question: Matrix, passage: Matrix, weights: npt.NDArray[np.float64]) -> float:
    return float(np.average((question @ passage.T).max(axis=1), weights=weights))


def question_rows(
    c: Any, states: TokenStates, texts: Mapping[str, str], idf: Mapping[int, float]
) -> list[dict[str, Any]]:
    questions, items = golden_questions(c)
    rows = []
    for number, q in enumerate(questions, 1):
        legs = shipped_legs(c, q.question)
        fused = weighted_score_fusion([legs["dense"], legs["lexical"]], [1.0, 1.0])
        matrix, ids = states.query(q.question)
        weights = {
            "mean": np.ones(len(ids)),
            "idf": np.array([idf.get(token, max(idf.values())) for token in ids]),
        }
        late = {
            name: [(cid, maxsim(matrix, states.passage(texts[cid]), w)) for cid, _ in fused[:RERANK]]
            for name, w in weights.items()
        }
        hits = answering_chunks(c, q, items, {cid for cid, _ in fused})
        rows.append(
            {"split": q.split, "answerable": q.answerable, "fused": fused, "late": late, "hits": hits}
        )
        if number % 10 == 0:
            print(f"questions: {number}/{len(questions)}", file=sys.stderr)
    return rows


def reranked(row: Mapping[str, Any], pooling: str, weight: float | None) -> list[str]:
    """Chunk ids after re-ranking; ``weight`` None ranks the candidates by MaxSim alone."""
    late = dict(row["late"][pooling])
    if weight is None:
        return [cid for cid, _ in sorted(late.items(), key=lambda pair: -pair[1])]
    low, high = min(late.values()), max(late.values())
    spread = (high - low) or 1.0
    head = [(cid, score + weight * (late[cid] - low) / spread) for cid, score in row["fused"][:RERANK]]
    return [cid for cid, _ in sorted(head, key=lambda pair: -pair[1])] + [
        cid for cid, _ in row["fused"][RERANK:]
    ]


def figures(
    rows: Sequence[Mapping[str, Any]], pooling: str, weight: float | None
) -> tuple[float, float, float]:
    return rank_figures(
        [
            first_hit(
                reranked(row, pooling, weight) if weight != 0.0 else [c for c, _ in row["fused"]], row["hits"]
            )
            for row in rows
        ]
    )


def retrieval_table(rows: Sequence[Mapping[str, Any]]) -> None:
    answerable = [r for r in rows if r["answerable"]]
    tune = [r for r in answerable if r["split"] == "tune"]
    test = [r for r in answerable if r["split"] == "test"]
    tried: list[tuple[str, str, float | None]] = [("dense + lexical (shipped)", "mean", 0.0)]
    for pooling in ("mean", "idf"):
        tried.append((f"MaxSim alone over the top {RERANK}, {pooling} pooling", pooling, None))
        best = max(GRID, key=lambda w, p=pooling: figures(tune, p, w)[1:])
        tried.append((f"+ MaxSim {best}, {pooling} pooling (chosen on tune)", pooling, best))
    print("| candidate | tune hit@1 / hit@5 / MRR@10 | test hit@1 / hit@5 / MRR@10 |\n|---|---|---|")
    for label, pooling, weight in tried:
        cells = [" / ".join(f"{v:.3f}" for v in figures(split, pooling, weight)) for split in (tune, test)]
        print(f"| {label} | {cells[0]} | {cells[1]} |")


def best_maxsim(row: Mapping[str, Any]) -> list[float]:
    return [max(s for _, s in row["late"]["mean"]), max(s for _, s in row["late"]["idf"])]


def main() -> int:
    head = SparseHead()
    c = corpus_container()
    texts, idf = corpus_idf(c, head)
    rows = question_rows(c, TokenStates(head), texts, idf)
    c.close()
    retrieval_table(rows)
    refusal_table(rows, best_maxsim, [("best MaxSim, mean pooling", [0]), ("best MaxSim, idf pooling", [1])])
    return 0


if __name__ == "__main__":
    sys.exit(main())
