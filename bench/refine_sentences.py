"""The answer's reading order with the refine leg's model judging the sentences (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma
    .venv/bin/python bench/refine_sentences.py [--fresh-vectors]

The extractive answerer orders the sentences of its context by e5-small's cosine to the question,
plus a little for the question's words, the chunk's place and a figure (``reading_order``). With the
refine leg on, EmbeddingGemma's cosine moves that order (``MeaningWeights.refined_reading``):
``order + alpha × (gemma − e5)``, so alpha 1 orders by EmbeddingGemma (with the same small terms), 0
is e5 alone. The refine job embeds every chunk's sentences beside its passage vector, and an answer
looks them up. ``--fresh-vectors`` drops EmbeddingGemma's cached vectors first, so the catch-up's time
is the whole cost (passages and sentences). Alpha is chosen on tune by the objective of
``bench/answer_weights.py``; then every held-out view goes through the evaluation core with it,
beside alpha 0, in the same run (refine weight as shipped in both: 4 when its table was measured, 6
since the twenty-fourth session).
"""

from __future__ import annotations

import argparse
import dataclasses
import sqlite3
import sys
import time
from collections.abc import Sequence

from corpus_container import (
    FIVE_GOLDEN_SETS,
    REPO,
    WORK,
    corpus_container,
    figure_cells,
    figure_header,
    print_views,
)

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.container import Container
from luna.domain.evaluation import in_split
from luna.services.evaluation.evaluation import read_golden_sets

REFINE = {"LUNA_RAG__REFINE__ENABLED": "true", "LUNA_RAG__REFINE__WEIGHT": "6"}
ALPHAS = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
GEMMA = "embeddinggemma-300m-int8"


def set_alpha(c: Container, alpha: float) -> None:
    """The answerer's (and so the answer gate's) weight of the refine model in the reading order."""
    chat = c.chat
    assert isinstance(chat, ExtractiveChatModel) and c.answer_gate is chat
    chat._weights = dataclasses.replace(chat._weights, refined_reading=alpha)


def drop_gemma_vectors() -> None:
    with sqlite3.connect(WORK / "luna.db") as db:
        db.execute("DELETE FROM embedding_cache WHERE model = ?", (GEMMA,))


def objective(f: object) -> float:
    return f.answer_holds_needle + f.refusal_rate - 2 * f.false_refusal_rate  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh-vectors", action="store_true", help="drop EmbeddingGemma's cached vectors")
    args = parser.parse_args(argv)
    if args.fresh_vectors:
        drop_gemma_vectors()
    c = corpus_container(overrides=REFINE)
    try:
        refine = c.services.knowledge.refine
        assert refine is not None
        started = time.perf_counter()
        result = refine.catch_up()
        print(f"catch-up: {result} in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        tune = in_split(read_golden_sets(FIVE_GOLDEN_SETS), "tune")
        print(figure_header("alpha", tune=True))
        best: tuple[float, float] = (-9.0, 0.0)
        for alpha in ALPHAS:
            set_alpha(c, alpha)
            run = c.services.evaluation.run(
                tune,
                split="tune",
                name=f"gemma-order-{alpha}",
                documents_dir=REPO.parent / "shared" / "corpus",
            )
            print(f"| {alpha} {figure_cells(run.figures)}", flush=True)
            best = max(best, (objective(run.figures), -alpha))
        chosen = -best[1]
        print(f"\nchosen on tune: alpha {chosen}\n", flush=True)
        for alpha in (0.0, chosen):
            set_alpha(c, alpha)
            print_views(c, f"alpha {alpha}", f"gemma-order-{alpha}")
    finally:
        c.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
