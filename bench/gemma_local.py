"""EmbeddingGemma in-process (``embeddings.kind: gemma``, the ``quality`` profile) against the shipped
e5-small, through Luna's real ingest and answer path (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    .venv/bin/python bench/gemma_local.py [--fresh]         # prepares the model once, ingests, asks

The ``quality`` profile's settings as overrides on the bench's embedded container: its own data dir
``bench/out/gemma/`` (the prepared model under ``models/``), the law corpus ingested through the
knowledge base (timed), then every golden set through the evaluation core (the service behind ``luna
eval run``), printed beside the shipped index's figures from the same run. The profile's lexical
weight 0.5 and dense floor 0.45 were chosen on the tune questions for EmbeddingGemma served by Ollama
(``config/server.yaml``); nothing is chosen here.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from corpus_container import REPO, WORK, corpus_container, figure_cells, ingest_corpus, split_outcomes

from luna.container_models import prepare_gemma

GEMMA_WORK = REPO / "bench" / "out" / "gemma"
QUALITY = {
    "LUNA_EMBEDDINGS__KIND": "gemma",
    "LUNA_RAG__LEXICAL_WEIGHT": "0.5",
    "LUNA_RAG__MIN_DENSE_SCORE": "0.45",
}


def rows(label: str, data_dir: Path = WORK, overrides: Mapping[str, str] | None = None) -> None:
    c = corpus_container(data_dir, overrides)
    try:
        for split, run, _ in split_outcomes(c, f"gemma-local-{label}"):
            print(f"| {label} | {split} {figure_cells(run.figures)}", flush=True)
    finally:
        c.close()


def ingest(fresh: bool) -> None:
    GEMMA_WORK.mkdir(parents=True, exist_ok=True)
    for path in GEMMA_WORK.iterdir() if fresh else ():
        if path.is_dir() and path.name != "models":
            shutil.rmtree(path)
        elif path.is_file():
            path.unlink()
    prepare_gemma(GEMMA_WORK / "models", lambda line: print(line, file=sys.stderr))
    c = corpus_container(GEMMA_WORK, QUALITY)
    try:
        c.database.upgrade()
        started = time.perf_counter()
        _, _, chunks = ingest_corpus(c.services.knowledge, REPO.parent / "shared" / "corpus")
        seconds = time.perf_counter() - started
        if chunks:
            print(f"ingest: {chunks} chunks in {seconds:.0f} s ({chunks / seconds:.2f} chunks/s)", flush=True)
    finally:
        c.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="ingest into an empty data dir (model kept)")
    parser.add_argument("--no-shipped", action="store_true", help="skip the shipped index's rows")
    args = parser.parse_args(argv)
    ingest(args.fresh)
    print(
        "| retriever | split | hit@1 / hit@5 / MRR@10 | states it | first citation answers "
        "| refused unanswerable / answerable | number warnings | answer ms p50 / p95 |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    if not args.no_shipped:
        rows("e5-small (shipped)")
    rows("EmbeddingGemma in-process", GEMMA_WORK, QUALITY)
    return 0


if __name__ == "__main__":
    sys.exit(main())
