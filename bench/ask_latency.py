"""``/rag/ask`` latency with the embedded answerer: time to first token and tokens per second, against
the retrieval step alone (the baseline: what the answer costs on top of the search).

    .venv/bin/python bench/ask_latency.py   # after bench/retrieval_quality.py has ingested the corpus

Runs over the corpus ingested by ``bench/retrieval_quality.py`` (``bench/out/retrieval/``) and the first
30 questions of ``bench/questions_de.yaml``. Tokens are counted as the streamed pieces (words and
markers), which is what a client sees arriving.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np
import yaml
from corpus_container import REPO, WORK, corpus_container


def main() -> int:
    if not (WORK / "luna.db").exists():
        print("run bench/retrieval_quality.py first (it ingests the corpus)", file=sys.stderr)
        return 1
    container = corpus_container()
    kb = container.services.knowledge
    questions = [q["question"] for q in yaml.safe_load((REPO / "bench" / "questions_de.yaml").read_text())][
        :30
    ]
    kb.retrieval.search(questions[0], 6)  # loads the model and builds the lexical index once
    search_ms, first_ms, total_ms, rates = [], [], [], []
    for question in questions:
        began = time.perf_counter()
        kb.retrieval.search(question, 6)
        search_ms.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        first: float | None = None
        pieces = 0
        for event in kb.answers.stream(question, 6):
            if event.kind == "token":
                pieces += 1
                if first is None:
                    first = time.perf_counter() - began
        total = time.perf_counter() - began
        assert first is not None
        first_ms.append(first * 1000)
        total_ms.append(total * 1000)
        rates.append(pieces / max(total - first, 1e-6))
    container.close()
    print(
        json.dumps(
            {
                "questions": len(questions),
                "model": container.settings.chat.model,
                "retrieval_only_ms": {
                    "p50": statistics.median(search_ms),
                    "p95": float(np.percentile(search_ms, 95)),
                },
                "time_to_first_token_ms": {
                    "p50": statistics.median(first_ms),
                    "p95": float(np.percentile(first_ms, 95)),
                },
                "whole_answer_ms": {
                    "p50": statistics.median(total_ms),
                    "p95": float(np.percentile(total_ms, 95)),
                },
                "tokens_per_sec_p50": statistics.median(rates),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
