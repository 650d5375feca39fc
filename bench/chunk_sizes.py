"""Chunk size as a retrieval candidate of issue #14: the law corpus indexed at each size, measured held-out.

    .venv/bin/python bench/chunk_sizes.py [--sizes 350:50,250:40,175:30] [--fresh] [--set KEY=VALUE …]

Each size (``chunk_tokens:chunk_overlap_tokens``) gets its own data dir ``bench/out/chunks-<size>/``,
ingests the corpus through Luna's real ingest service and answers both golden sets through the
evaluation core on ``tune`` and ``test``: retrieval hit@1 / hit@5 / MRR@10 and what the extractive
answerer makes of the smaller or larger passages (states it, refusal). A paragraph of a law often
holds several provisions; a smaller chunk gives each its own vector, a larger one more context.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from corpus_container import REPO, corpus_container, ingest_corpus

from luna.services.evaluation.evaluation import read_golden_sets

SETS = (REPO / "bench" / "questions_de.yaml", REPO / "bench" / "unanswerable_de.yaml")


def measure(tokens: int, overlap: int, corpus: Path, fresh: bool, settings: dict[str, str]) -> list[str]:
    """Ingest at one size (with ``settings`` on top) and return its table rows, one per split."""
    suffix = "".join(f"-{value}" for value in settings.values())
    data_dir = REPO / "bench" / "out" / f"chunks-{tokens}{suffix}"
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    overrides = {
        "LUNA_INGEST__CHUNK_TOKENS": str(tokens),
        "LUNA_INGEST__CHUNK_OVERLAP_TOKENS": str(overlap),
        **settings,
    }
    container = corpus_container(data_dir, overrides)
    try:
        container.database.upgrade()
        started = time.perf_counter()
        _, _, chunks = ingest_corpus(container.services.knowledge, corpus)
        ingest_sec = time.perf_counter() - started
        questions = read_golden_sets(list(SETS))
        rows = []
        for split in ("tune", "test"):
            run = container.services.evaluation.run(
                questions, split=split, name=f"chunks-{tokens}-{split}", documents_dir=corpus
            )
            f = run.figures
            rows.append(
                f"| {tokens} / {overlap}{suffix} | {split} | {chunks or '(kept)'} | {ingest_sec:.0f} | "
                f"{f.hit_at_1:.3f} / {f.hit_at_5:.3f} / {f.mrr_at_10:.3f} | {f.answer_holds_needle:.3f} | "
                f"{f.first_citation_hit:.3f} | {f.refusal_rate:.3f} / {f.false_refusal_rate:.3f} | "
                f"{f.answer_ms_p50:.0f} |"
            )
        return rows
    finally:
        container.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--sizes", default="350:50,250:40,175:30", help="tokens:overlap, comma-separated")
    parser.add_argument("--fresh", action="store_true", help="start every size from an empty data dir")
    parser.add_argument("--set", action="append", default=[], help="a setting as LUNA_…=VALUE for every size")
    args = parser.parse_args(argv)
    settings = dict(entry.split("=", 1) for entry in args.set)
    rows = []
    for size in args.sizes.split(","):
        tokens, overlap = (int(part) for part in size.split(":"))
        rows += measure(tokens, overlap, args.corpus, args.fresh, settings)
    print(
        "| chunk tokens / overlap | split | chunks | ingest s | hit@1 / hit@5 / MRR@10 | states it "
        "| first citation answers | refused unanswerable / answerable | answer ms p50 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
