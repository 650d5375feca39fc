"""How many retrieved chunks the answer reads, measured on the tune and the held-out test split.

    .venv/bin/python bench/answer_context.py 6 8 10     # after bench/retrieval_quality.py

Answers read the six best chunks (``top_k`` 6, and the extractive answerer embeds the sentences of
as many). For a fifth of the golden questions the answering chunk ranks 6th–10th, so a wider context
might let the answer state it. Each size runs both golden sets through the evaluation core.
"""

from __future__ import annotations

import dataclasses
import functools
import sys

from corpus_container import REPO, corpus_container

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.services.evaluation.evaluation import read_golden_sets


def main(sizes: list[int]) -> None:
    c = corpus_container()
    answers = c.services.knowledge.answers
    answerer = answers._chat  # the extractive answerer of the embedded profile
    assert isinstance(answerer, ExtractiveChatModel)
    shipped_weights, shipped_ask = answerer._weights, type(answers).ask
    golden = read_golden_sets([REPO / "bench" / "questions_de.yaml", REPO / "bench" / "unanswerable_de.yaml"])
    print("| chunks | split | states it | first citation answers | refused unanswerable / answerable |")
    print("|---|---|---|---|---|")
    for size in sizes:
        answerer._weights = dataclasses.replace(shipped_weights, chunks=size)
        answers.ask = functools.partial(shipped_ask, answers, top_k=size)  # type: ignore[method-assign]
        for split in ("tune", "test"):
            run = c.services.evaluation.run(
                golden, split=split, name=f"context-{size}", documents_dir=REPO.parent / "shared" / "corpus"
            )
            f = run.figures
            print(
                f"| {size} | {split} | {f.answer_holds_needle:.3f} | {f.first_citation_hit:.3f} "
                f"| {f.refusal_rate:.3f} / {f.false_refusal_rate:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main([int(size) for size in sys.argv[1:]] or [6, 8, 10])
