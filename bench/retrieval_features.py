"""Features of every retrieval candidate, collected once, for fusion candidates of issue #14.

    .venv/bin/python bench/retrieval_features.py        # after bench/retrieval_quality.py

For each golden question (answerable or not) the union of both legs' candidates (40 each, as
shipped) gets its features: the dense cosine of the indexed text, the BM25 score, the cosine of its
title › section header alone and its best sentence's cosine (sentences of each leg's best 20 only).
Stored as JSON in ``bench/out/retrieval_features.json`` for ``bench/retrieval_fusion.py``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
from corpus_container import REPO, WORK, corpus_container

from luna.domain.answer_sentences import split_sentences
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.knowledge.indexing import indexed_text

DEPTH = 40
SENTENCE_DEPTH = 20
OUT = WORK.parent / "retrieval_features.json"


def main() -> int:
    c = corpus_container()
    questions = read_golden_sets(
        [REPO / "bench" / "questions_de.yaml", REPO / "bench" / "unanswerable_de.yaml"]
    )
    items = c.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
    retrieval = c.services.knowledge.retrieval
    embedder = c.sentence_embedder
    rows: list[dict[str, Any]] = []
    for number, q in enumerate(questions, 1):
        query = np.asarray(embedder.embed_query(q.question), dtype=np.float32)
        dense = retrieval._vectors.search(retrieval._collections.active(), query.tolist(), DEPTH, None)
        retrieval._lexical.ensure_fresh()
        lexical = {h.chunk_id: h.score for h in retrieval._lexical.index.search(q.question, DEPTH, None)}
        ids = list(dict.fromkeys([h.point_id for h in dense] + list(lexical)))
        # Sentences are embedded for the legs' best candidates only (the cost of a feature per sentence).
        judged = {h.point_id for h in dense[:SENTENCE_DEPTH]} | set(list(lexical)[:SENTENCE_DEPTH])
        with c.database.unit_of_work(read_only=True) as uow:
            chunks = {ch.chunk_id: ch for ch in uow.chunks.get_many(ids)}
            item_of = {ch.item_id: uow.items.get(ch.item_id) for ch in chunks.values()}
        candidates = []
        for chunk_id in ids:
            chunk = chunks.get(chunk_id)
            item = item_of.get(chunk.item_id) if chunk else None
            if chunk is None or item is None or chunk.archived:
                continue
            text = indexed_text(item, chunk)
            header = " › ".join(p for p in (item.title, chunk.metadata.get("section")) if p)
            sentences = [s[:600] for s in split_sentences(chunk.text) if len(s) > 20][:40]
            if chunk_id not in judged or not sentences:
                sentences = [text]
            vectors = np.asarray(
                embedder.embed_passages([text, header or text, *sentences]), dtype=np.float32
            )
            cosines = vectors @ query
            candidates.append(
                {
                    "chunk_id": chunk_id,
                    "item_id": item.item_id,
                    "dense": float(cosines[0]),
                    "header": float(cosines[1]),
                    "sentence": float(cosines[2:].max()),
                    "lexical": lexical.get(chunk_id, 0.0),
                    "hit": item.item_id == items.get(q.document or "")
                    and any(n in chunk.text for n in q.needles),
                }
            )
        rows.append(
            {"id": q.question_id, "split": q.split, "answerable": q.answerable, "candidates": candidates}
        )
        print(f"{number}/{len(questions)} {q.question_id}: {len(candidates)} candidates", file=sys.stderr)
    OUT.write_text(json.dumps(rows), encoding="utf-8")
    c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
