"""At most N candidates of one document in a retrieval leg's list: measured on tune, test and the sixth set.

    .venv/bin/python bench/candidate_diversity.py        # after bench/retrieval_quality.py --fresh

Each leg hands the fusion its best 40 chunks. A law that repeats a question's word in every paragraph
("Cent pro Kilowattstunde" in the EEG's payment lists) can fill the lexical leg's 40 alone, so the one
chunk of another document that answers ("Netzentgelte … 8,12 ct/kWh" in a price sheet) never reaches the
fusion. The variants read each leg 200 deep and keep a document's best N chunks before cutting to 40,
in the lexical leg or in both, then fuse as ``RetrievalService`` does (weighted min-max, 1 : 1, ties to
the dense cosine, the dense leg asked with the statute terms). Prints hit@1 / hit@5 / MRR@10 per split
and the questions whose rank changed; chosen on tune, judged on test and the sixth set.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping, Sequence

from corpus_container import REPO, corpus_container
from everyday_synonyms import answerable_splits, answering_rank, figures

from luna.container import Container
from luna.domain.evaluation import GoldenQuestion
from luna.domain.fusion import ties_to, weighted_score_fusion

DEPTH = 40
READ = 200
#: (label, cap in the lexical leg, cap in the dense leg); None: no cap.
VARIANTS: tuple[tuple[str, int | None, int | None], ...] = (
    ("no cap (shipped)", None, None),
    ("lexical ≤ 20 a document", 20, None),
    ("lexical ≤ 10 a document", 10, None),
    ("lexical ≤ 5 a document", 5, None),
    ("both ≤ 20 a document", 20, 20),
    ("both ≤ 10 a document", 10, 10),
)

Ranked = list[tuple[str, float]]


def capped(ranked: Ranked, item_of: Mapping[str, str], cap: int | None) -> Ranked:
    """The best ``DEPTH`` of ``ranked`` keeping at most ``cap`` chunks of one document."""
    if cap is None:
        return ranked[:DEPTH]
    seen: Counter[str] = Counter()
    kept: Ranked = []
    for chunk_id, score in ranked:
        item = item_of.get(chunk_id, chunk_id)
        if seen[item] < cap:
            seen[item] += 1
            kept.append((chunk_id, score))
            if len(kept) == DEPTH:
                break
    return kept


def legs(c: Container, questions: Sequence[GoldenQuestion]) -> dict[str, tuple[Ranked, Ranked]]:
    kb = c.services.knowledge
    collection = kb.collections.active()
    kb.retrieval.search("Warmlaufen", 1)  # loads the lexical mirror
    result = {}
    for q in questions:
        vector = kb.embedder.embed_query(kb.retrieval.meaning_query(q.question))
        dense = [(hit.point_id, hit.score) for hit in c.vectors.search(collection, vector, READ)]
        lexical = [(hit.chunk_id, hit.score) for hit in kb.lexical.index.search(q.question, READ)]
        result[q.question_id] = (dense, lexical)
    return result


def main() -> int:
    splits = answerable_splits()
    c = corpus_container()
    try:
        questions = [q for qs in splits.values() for q in qs]
        items = c.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
        lists = legs(c, questions)
        ids = {cid for dense, lexical in lists.values() for cid, _ in (*dense, *lexical)}
        with c.database.unit_of_work(read_only=True) as uow:
            chunks = {chunk.chunk_id: chunk for chunk in uow.chunks.get_many(sorted(ids))}
        item_of = {cid: chunk.item_id for cid, chunk in chunks.items()}
        print("| candidates | tune hit@1 / hit@5 / MRR@10 | test | sixth set |\n|---|---|---|---|")
        all_ranks: dict[str, dict[str, int | None]] = {}
        for label, lexical_cap, dense_cap in VARIANTS:
            ranks: dict[str, int | None] = {}
            for q in questions:
                dense, lexical = lists[q.question_id]
                dense = capped(dense, item_of, dense_cap)
                fused = ties_to(
                    weighted_score_fusion([dense, capped(lexical, item_of, lexical_cap)], (1.0, 1.0)),
                    dict(dense),
                )[:10]
                ranks[q.question_id] = answering_rank(fused, chunks, items[q.document or ""], q)
            all_ranks[label] = ranks
            cells = [figures([ranks[q.question_id] for q in qs]) for qs in splits.values()]
            print(f"| {label} | {' | '.join(cells)} |", flush=True)
        shipped = all_ranks[VARIANTS[0][0]]
        for label, ranks in list(all_ranks.items())[1:]:
            moved = [f"{qid} {shipped[qid]}→{ranks[qid]}" for qid in shipped if shipped[qid] != ranks[qid]]
            print(f"\n{label}: {', '.join(moved) or 'no question moved'}")
    finally:
        c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
