"""Filtered vector search latency at 100,000 chunks: qdrant-edge (Luna's embedded index) against an
exact NumPy scan of the same vectors (the baseline, run in the same process), plus recall@10.

    .venv/bin/python bench/search_latency.py [--points 100000] [--queries 200]

Vectors are 384-dimensional and clustered (like embeddings of a real corpus: 200 topics), each with a
payload of ``kind`` (3 values) and ``tags`` (1–2 of 20); queries filter on one ``kind`` and one tag
(about 3 % of the points) or on ``kind`` alone (a third). Index build (upsert + optimize) is timed too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from luna.adapters.vectors.qdrant_edge import QdrantEdgeVectorIndex
from luna.ports.vectors import VectorPoint

DIM = 384
KINDS = ("document", "regulation", "note")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(200, DIM)).astype(np.float32)
    topic = rng.integers(0, 200, args.points)
    vectors = centres[topic] + 0.6 * rng.normal(size=(args.points, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    kinds = rng.integers(0, 3, args.points)
    tags = [sorted({f"t{rng.integers(20)}", f"t{rng.integers(20)}"}) for _ in range(args.points)]
    ids = [str(uuid.UUID(int=i + 1)) for i in range(args.points)]
    tag_masks = {f"t{k}": np.fromiter((f"t{k}" in t for t in tags), bool, args.points) for k in range(20)}

    with tempfile.TemporaryDirectory() as folder:
        index = QdrantEdgeVectorIndex(Path(folder), hnsw_ef=128)
        index.create_collection("chunks_v1", DIM)
        began = time.perf_counter()
        for start in range(0, args.points, 1000):
            index.upsert(
                "chunks_v1",
                [
                    VectorPoint(ids[i], vectors[i].tolist(), {"kind": KINDS[kinds[i]], "tags": tags[i]})
                    for i in range(start, min(start + 1000, args.points))
                ],
            )
        upsert_sec = time.perf_counter() - began
        began = time.perf_counter()
        index.optimize("chunks_v1")
        optimize_sec = time.perf_counter() - began

        queries = centres[rng.integers(0, 200, args.queries)] + 0.6 * rng.normal(size=(args.queries, DIM))
        queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
        results: dict[str, dict[str, float]] = {}
        for label, make_filter in (
            ("unfiltered", lambda n: None),
            ("kind", lambda n: {"kind": KINDS[n % 3]}),
            ("kind+tag", lambda n: {"kind": KINDS[n % 3], "tags": f"t{n % 20}"}),
        ):
            edge_ms, exact_ms, recall = [], [], []
            for n, query in enumerate(queries):
                where = make_filter(n)
                began = time.perf_counter()
                hits = index.search("chunks_v1", query.tolist(), 10, where)
                edge_ms.append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                mask = np.ones(args.points, dtype=bool)
                if where is not None:
                    mask &= kinds == KINDS.index(str(where["kind"]))
                    if "tags" in where:
                        mask &= tag_masks[str(where["tags"])]
                scores = np.where(mask, vectors @ query, -np.inf)
                top = np.argpartition(-scores, 10)[:10]
                exact_ms.append((time.perf_counter() - began) * 1000)
                truth = {ids[i] for i in top if np.isfinite(scores[i])}
                recall.append(len(truth & {h.point_id for h in hits}) / max(len(truth), 1))
            results[label] = {
                "edge_p50_ms": statistics.median(edge_ms),
                "edge_p95_ms": percentile(edge_ms, 95),
                "numpy_exact_p50_ms": statistics.median(exact_ms),
                "numpy_exact_p95_ms": percentile(exact_ms, 95),
                "recall@10": statistics.fmean(recall),
            }
        index.close()
    print(
        json.dumps(
            {
                "points": args.points,
                "upsert_sec": upsert_sec,
                "optimize_sec": optimize_sec,
                "search": results,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
