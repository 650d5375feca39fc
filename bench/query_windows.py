"""Embedding a question from its first two 510-token windows, against all of them (the baseline, in the
same run): what the cap costs real questions (nothing, if none needs more) and saves hostile ones.

    .venv/bin/python bench/query_windows.py [--samples 500] [--repeats 5]   # after retrieval_quality.py

The API takes questions of up to 2,000 characters. Real ones are drawn as 2,000-character stretches of
the shared corpus (German law, documents, notes: the longest real German text can be): their token
counts say how many windows a real question needs. Three questions, two hostile ("ﷺ" × 2,000: one
character, four tokens; 2,000 random CJK characters) and one real, are embedded with and without the
cap; each time is the median of ``--repeats``. The ONNX model is the one ``retrieval_quality.py``
converted into ``bench/out/retrieval/models``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from corpus_container import REPO, WORK

import luna.adapters.models.onnx_e5 as onnx_e5
from luna.adapters.models.onnx_e5 import QUERY_PREFIX, OnnxE5Embedder

CORPUS = REPO.parent / "shared" / "corpus"
LIMIT = 2_000  # the API's longest question, in characters


def real_questions(samples: int) -> list[str]:
    """``samples`` stretches of 2,000 characters from the corpus's Markdown and text files."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*")) if p.suffix in {".md", ".txt"}]
    long_enough = [t for t in texts if len(t) > LIMIT]
    rng = random.Random(7)
    picks = []
    for _ in range(samples):
        text = rng.choice(long_enough)
        start = rng.randrange(len(text) - LIMIT)
        picks.append(text[start : start + LIMIT])
    return picks


def median_seconds(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    embedder = OnnxE5Embedder(Path(WORK) / "models")
    embedder.embed_query("Aufwärmen")
    tokenizer = embedder._loaded.tokenizer  # type: ignore[union-attr]  # the bench reads the adapter's own
    real = list(tokenizer.content_ids(real_questions(args.samples), QUERY_PREFIX))
    counts = [len(ids) for ids in real]
    windows = [len(tokenizer.windows(ids)) for ids in real]
    print(
        f"real questions of {LIMIT} characters ({args.samples} corpus stretches): tokens median "
        f"{statistics.median(counts):.0f}, max {max(counts)}; windows max {max(windows)}, "
        f"above {onnx_e5.MAX_QUERY_WINDOWS}: {sum(w > onnx_e5.MAX_QUERY_WINDOWS for w in windows)}"
    )
    rng = random.Random(7)
    questions = {
        '"ﷺ" × 2,000': "ﷺ" * LIMIT,
        "2,000 random CJK characters": "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(LIMIT)),
        "a real 2,000-character question": real_questions(1)[0],
    }
    capped = onnx_e5.MAX_QUERY_WINDOWS
    print(
        "\n| question | tokens | windows | all windows (before) | first two (shipped) |\n"
        "|---|---|---|---|---|"
    )
    for name, text in questions.items():
        (ids,) = tokenizer.content_ids([text], QUERY_PREFIX)
        cells = []
        for cap in (None, capped):
            onnx_e5.MAX_QUERY_WINDOWS = cap  # type: ignore[assignment]
            cells.append(f"{median_seconds(lambda t=text: embedder.embed_query(t), args.repeats):.3f} s")
        onnx_e5.MAX_QUERY_WINDOWS = capped
        print(f"| {name} | {len(ids)} | {len(tokenizer.windows(ids))} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
