"""Retrieval quality and ingest throughput on the German law corpus.

    .venv/bin/python bench/retrieval_quality.py [--fresh] [--corpus ../shared/corpus]

Ingests ``gesetze/*.md`` and ``notizen/energieportal-winterthur.md`` through Luna's real ingest service
(embedded stack in ``bench/out/retrieval/``), then asks every question of ``bench/questions_de.yaml``
in each retrieval mode. A hit is a chunk of the question's file that contains one of its needles.
Prints hit@5 and MRR@10 per mode and, for a fresh ingest, throughput and the share of time spent in
the embedding model itself. ``--fresh`` starts from an empty data dir (no embedding cache).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from corpus_container import REPO, WORK, corpus_container, ingest_corpus

MODES: tuple[tuple[str, str, str | None], ...] = (
    ("dense", "dense", None),
    ("lexical", "lexical", None),
    ("hybrid (rrf)", "hybrid", "rrf"),
    ("hybrid (weighted)", "hybrid", "weighted"),
)


class TimedEmbedder:
    """Wraps the embedder to add up the seconds spent inside the model on passages."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.passages = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        started = time.perf_counter()
        vectors: list[list[float]] = self.inner.embed_passages(texts)
        self.seconds += time.perf_counter() - started
        self.passages += len(texts)
        return vectors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--questions", type=Path, default=REPO / "bench" / "questions_de.yaml")
    parser.add_argument("--fresh", action="store_true", help="start from an empty data dir")
    args = parser.parse_args(argv)
    if args.fresh and WORK.exists():
        shutil.rmtree(WORK)
    container = corpus_container()
    container.database.upgrade()
    timed = TimedEmbedder(container.embedder)
    container.__dict__["embedder"] = timed  # the knowledge base is built on the timed embedder
    kb = container.services.knowledge

    started = time.perf_counter()
    item_of, total_bytes, chunks = ingest_corpus(kb, args.corpus)
    ingest_sec = time.perf_counter() - started

    questions = yaml.safe_load(args.questions.read_text(encoding="utf-8"))
    results: dict[str, dict[str, float]] = {}
    latencies: dict[str, list[float]] = {}
    for label, mode, fusion in MODES:
        hits5, reciprocal, times = 0, [], []
        for question in questions:
            began = time.perf_counter()
            found = kb.retrieval.search(question["question"], 10, mode=mode, fusion=fusion)  # type: ignore[arg-type]
            times.append((time.perf_counter() - began) * 1000)
            wanted = item_of[question["file"]]
            ranks = [
                rank
                for rank, c in enumerate(found.citations, start=1)
                if c.payload["item_id"] == wanted and any(n in c.payload["text"] for n in question["needles"])
            ]
            first = ranks[0] if ranks else None
            hits5 += first is not None and first <= 5
            reciprocal.append(1 / first if first else 0.0)
        results[label] = {"hit@5": hits5 / len(questions), "mrr@10": statistics.fmean(reciprocal)}
        latencies[label] = times
    report: dict[str, Any] = {
        "questions": len(questions),
        "quality": results,
        "search_ms_p50": {k: statistics.median(v) for k, v in latencies.items()},
    }
    if timed.passages:
        report["ingest"] = {
            "files": len(item_of),
            "megabytes": total_bytes / 1e6,
            "chunks": chunks,
            "seconds": ingest_sec,
            "chunks_per_sec": chunks / ingest_sec,
            "mb_per_min": total_bytes / 1e6 / (ingest_sec / 60),
            "model_seconds": timed.seconds,
            "pipeline_overhead_pct": 100 * (ingest_sec - timed.seconds) / timed.seconds,
        }
    print(json.dumps(report, indent=2))
    print("\n| mode | hit@5 | MRR@10 | p50 ms |\n|---|---|---|---|")
    for label, figures in results.items():
        p50 = report["search_ms_p50"][label]
        print(f"| {label} | {figures['hit@5']:.3f} | {figures['mrr@10']:.3f} | {p50:.1f} |")
    container.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
