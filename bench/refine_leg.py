"""The refine leg (``rag.refine``): EmbeddingGemma re-scoring the shipped index's candidates (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    .venv/bin/python bench/gemma_local.py --fresh           # EmbeddingGemma's vectors of the same chunks
    .venv/bin/python bench/refine_leg.py

The refine collection of the shipped index (``bench/out/retrieval/``) is filled by the real job's code
(``RefineLeg.catch_up``). Its passage vectors come through the embedding cache: the ones
``bench/gemma_local.py`` computed for the same indexed texts are copied into this index's cache first
(the refine leg's cost is measured there: 720 s for the law corpus on two cores), so this bench takes
minutes. The leg's weight is chosen on the tune questions (hit@5, then MRR@10) from a small grid;
then every golden view goes through the evaluation core with the chosen weight, beside the leg
switched off, in the same run.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from collections.abc import Mapping, Sequence

from corpus_container import FIVE_GOLDEN_SETS, REPO, WORK, corpus_container, figure_header, print_views
from heldout import first_hit, rank_figures

from luna.container import Container
from luna.domain.evaluation import GoldenQuestion, in_split, is_hit
from luna.services.evaluation.evaluation import read_golden_sets

GEMMA_WORK = REPO / "bench" / "out" / "gemma"
REFINE = {"LUNA_RAG__REFINE__ENABLED": "true"}
WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 10.0)


def share_model_and_cache() -> None:
    """The prepared model and the Gemma passage vectors of ``bench/gemma_local.py``, reused here when
    that bench has run; without them, prepare the model into this index's folder
    (``LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma``) and the
    catch-up computes the vectors itself."""
    models = WORK / "models"
    models.mkdir(parents=True, exist_ok=True)
    link, prepared = models / "embeddinggemma-300m-int8", GEMMA_WORK / "models" / "embeddinggemma-300m-int8"
    if prepared.is_dir() and not link.exists():
        link.symlink_to(prepared, target_is_directory=True)
    if not (GEMMA_WORK / "luna.db").is_file():
        return
    with sqlite3.connect(WORK / "luna.db") as db:
        db.execute("ATTACH DATABASE ? AS gemma", (str(GEMMA_WORK / "luna.db"),))
        db.execute(
            "INSERT OR IGNORE INTO embedding_cache SELECT * FROM gemma.embedding_cache "
            "WHERE model = 'embeddinggemma-300m-int8'"
        )


def searching_too(c: Container) -> None:
    """A variant: the refine leg also brings its own 40 nearest chunks (unfiltered), not only scores
    for the fast legs' candidates; the bench's questions use no filters, so it can be measured here."""
    kb = c.services.knowledge
    refine = kb.refine
    assert refine is not None
    scores = refine.scores

    def with_own_hits(question: str, chunk_ids: Sequence[str]) -> dict[str, float] | None:
        own = c.vectors.search(refine.collection, refine._embedder.embed_query(question), 40)
        return scores(question, [*chunk_ids, *(hit.point_id for hit in own)])

    refine.scores = with_own_hits  # type: ignore[method-assign]


def retrieval_figures(
    c: Container, questions: Sequence[GoldenQuestion], items: Mapping[str, str]
) -> tuple[float, float, float]:
    """hit@1, hit@5 and MRR@10 of ``questions`` as ``c``'s hybrid search ranks them now; ``items``:
    the item id of each golden document."""
    ranks = []
    for q in questions:
        citations = c.services.knowledge.retrieval.search(q.question, 10).citations
        hits = {
            cit.chunk_id
            for cit in citations
            if is_hit(
                cit.payload.get("item_id") == items.get(q.document or ""), cit.payload["text"], q.needles
            )
        }
        ranks.append(first_hit([cit.chunk_id for cit in citations], hits))
    return rank_figures(ranks)


def tune_weight(c: Container, label: str = "re-scores candidates") -> float:
    """The grid's weight with the best tune hit@5 (then MRR@10); every weight's row is printed."""
    kb = c.services.knowledge
    assert kb.refine is not None
    questions = [q for q in in_split(read_golden_sets(FIVE_GOLDEN_SETS), "tune") if q.answerable]
    items = c.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
    print(f"\n| refine leg {label}: weight | tune hit@1 / hit@5 / MRR@10 |\n|---|---|")
    best: tuple[float, float, float] = (-1.0, -1.0, 0.0)
    for weight in WEIGHTS:
        kb.refine.weight = weight
        h1, h5, mrr = retrieval_figures(c, questions, items)
        print(f"| {weight} | {h1:.3f} / {h5:.3f} / {mrr:.3f} |", flush=True)
        best = max(best, (h5, mrr, weight))
    return best[2]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weight", type=float, help="skip the tuning and use this weight")
    parser.add_argument(
        "--searching", action="store_true", help="tune the variant that searches too, then stop"
    )
    args = parser.parse_args(argv)
    share_model_and_cache()
    c = corpus_container(WORK, REFINE)
    try:
        refine = c.services.knowledge.refine
        assert refine is not None, "rag.refine did not switch on"
        started = time.perf_counter()
        result = refine.catch_up()
        print(f"catch-up: {result} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        if args.searching:
            searching_too(c)
            tune_weight(c, "also searches")
            return 0
        weight = args.weight if args.weight is not None else tune_weight(c)
        print(f"\nchosen weight: {weight}\n")
        print(figure_header("retrieval", "split"))
        for label, chosen in (
            ("e5-small + BM25 (refine off)", 0.0),
            (f"+ refine leg, weight {weight}", weight),
        ):
            refine.weight = chosen
            print_views(c, label, f"refine-{chosen}")
    finally:
        c.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
