"""Refusal by the refine leg's judgement: EmbeddingGemma's cosine of the question to its context (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    .venv/bin/python bench/refine_leg.py --weight 4         # fills the refine collection (its catch-up)
    .venv/bin/python bench/refine_refusal.py [--near]

The shipped refusal rule judges the best sentence with e5-small (its cosine, its share of the
question's words, the answer reader). With the refine leg caught up, a stronger model's cosine of the
question to each passage of the answer's context is there for free (the search computed it). Here
every golden question gets the best such cosine over the context the answer would read; a threshold
below which Luna would refuse as well is chosen on ``tune`` by the objective of
``bench/answer_weights.py`` (states it + refused unanswerable − 2 × refused answerable), then measured
once on every held-out view, beside the shipped rule, question by question from the same answers.
``--near`` adds ``bench/unanswerable_near_de.yaml`` (near-topic questions the corpus does not answer,
written to choose thresholds on) to the tune view; it is never a held-out view. ``--prompt`` reads the
question under another of EmbeddingGemma's task prompts for the leg's features (the answers stay the
shipped ones; ``bench/refine_query_prompt.py``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from corpus_container import REPO, WORK, corpus_container, split_outcomes
from refine_query_prompt import PROMPTS, SHIPPED, use_prompts
from refine_sentences import REFINE
from sklearn.metrics import roc_auc_score

from luna.adapters.models.extractive import _MAX_JUDGED_CHARS, ExtractiveChatModel
from luna.container import Container
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.knowledge.answering import _context

#: Each feature's grid of thresholds (its lowest refuses nothing more than the shipped rule).
FEATURES = {
    "cosine": tuple(round(0.30 + 0.01 * i, 2) for i in range(41)),
    "spread": tuple(round(-0.05 + 0.005 * i, 3) for i in range(41)),
    "gemma_sentence": tuple(round(0.30 + 0.01 * i, 2) for i in range(41)),
}
SENTENCE_GRID = (*(round(0.80 + 0.005 * i, 3) for i in range(25)), 9.0)
CACHE = WORK.parent / "refine_refusal.json"


def cache(prompt: str) -> Path:
    """Where the judged questions are kept, one file per prompt."""
    return CACHE if prompt == SHIPPED else CACHE.with_stem(f"{CACHE.stem}-{prompt.replace(' ', '-')}")


NEAR = REPO / "bench" / "unanswerable_near_de.yaml"
NEAR_LABEL = "near-topic set (tune only)"


@dataclass(frozen=True)
class Judged:
    answerable: bool
    refused: bool
    states_it: bool
    cosine: float | None  # the refine leg's best cosine over the context; None: it had no vector
    spread: float | None  # that cosine less the mean over the search's ten hits
    sentence: float | None = None  # e5-small's best cosine of a context sentence (the shipped judge's)
    gemma_sentence: float | None = None  # the refine leg's best cosine of a judged sentence (its job's)


def sentence_cosines(c: Container, question: str) -> tuple[float | None, float | None]:
    """The shipped judge's best e5-small cosine of a sentence of the answer's context, and the refine
    leg's best over the same judged sentences (their vectors stored by its job)."""
    kb = c.services.knowledge
    answers = kb.answers
    asked = answers.asked_as(question)
    chunks = _context(answers.relevant(kb.retrieval.search(asked, 6)))
    judge = answers._judge
    if not chunks or not isinstance(judge, ExtractiveChatModel) or kb.refine is None:
        return None, None
    judged = [r for r in judge._rank(asked, chunks) if r.meaning is not None]
    if not judged:
        return None, None
    texts = [r.sentence.meaning_text[:_MAX_JUDGED_CHARS] for r in judged]
    gemma = kb.refine.sentence_cosines(asked, texts)
    return max(r.meaning or 0.0 for r in judged), max(gemma) if gemma else None


def refine_cosines(c: Container, question: str) -> tuple[float | None, float | None]:
    """The refine leg's best cosine over the passages the answer would read (``AnswerService.stream``),
    and how far it stands above the mean of the search's ten hits."""
    kb = c.services.knowledge
    assert kb.refine is not None
    asked = kb.answers.asked_as(question)
    result = kb.retrieval.search(asked, 10)
    context = kb.answers.relevant(result)[:6]
    if not context:
        return None, None
    scores = kb.refine.scores(kb.retrieval.meaning_query(asked), [cit.chunk_id for cit in result.citations])
    if not scores:
        return None, None
    best = max(scores[cit.chunk_id] for cit in context)
    return best, best - sum(scores.values()) / len(scores)


def figures(rows: Sequence[Judged], refuses: Callable[[Judged], bool]) -> tuple[float, float, float]:
    """(states it, refused unanswerable, refused answerable) when ``refuses`` refuses too."""
    refused = [r.refused or refuses(r) for r in rows]
    answerable = [(r, no) for r, no in zip(rows, refused, strict=True) if r.answerable]
    unanswerable = [no for r, no in zip(rows, refused, strict=True) if not r.answerable]
    share = len(answerable) or math.nan  # the near-topic set has no answerable question
    return (
        sum(r.states_it and not no for r, no in answerable) / share,
        sum(unanswerable) / len(unanswerable),
        sum(no for _, no in answerable) / share,
    )


def below(feature: str, threshold: float, sentence_below: float = 9.0) -> Callable[[Judged], bool]:
    """Refuses when ``feature`` is under ``threshold`` and the e5 judge's best sentence is under
    ``sentence_below`` (9: whatever it is)."""
    return lambda r: (
        _below(getattr(r, feature), threshold) and (r.sentence is None or r.sentence < sentence_below)
    )


def _below(value: float | None, threshold: float) -> bool:
    return value is not None and value < threshold


def cells(figures: Sequence[float]) -> str:
    return " / ".join("–" if math.isnan(x) else f"{x:.3f}" for x in figures)


def objective(states: float, refused: float, false: float) -> float:
    return states + refused - 2 * false


def report(views: dict[str, list[Judged]], refuses: Callable[[Judged], bool]) -> None:
    print("| view | shipped rule: states it / refused unanswerable / answerable | + refusal by the leg |")
    print("|---|---|---|")
    for label, view in views.items():
        print(f"| {label} | {cells(figures(view, lambda r: False))} | {cells(figures(view, refuses))} |")


def judge_all(near: bool, prompts: Sequence[str]) -> dict[str, dict[str, list[Judged]]]:
    """Every view's questions through the evaluation core, then the refine leg's cosines with the
    question read under each of ``prompts``; ``near`` adds the near-topic set's. Per prompt, per view."""
    c = corpus_container(overrides=REFINE)
    judged: dict[str, dict[str, list[Judged]]] = {}
    try:
        refine = c.services.knowledge.refine
        assert refine is not None and refine.pending() == 0, "run bench/refine_leg.py first (catch-up)"
        outcomes = list(split_outcomes(c, "refine-refusal"))
        if near:
            questions = read_golden_sets([NEAR])
            run = c.services.evaluation.run(questions, split="all", name="refine-refusal-near")
            outcomes.append((NEAR_LABEL, run, list(zip(run.outcomes, questions, strict=True))))
        for prompt in prompts:
            use_prompts(c, prompt, prompt)  # after the answers: only the features read it so
            views = judged[prompt] = {
                label: [
                    Judged(
                        q.answerable,
                        o.refused,
                        o.answer_holds_needle,
                        *refine_cosines(c, q.question),
                        *sentence_cosines(c, q.question),
                    )
                    for o, q in pairs
                ]
                for label, _, pairs in outcomes
            }
            cache(prompt).write_text(
                json.dumps({k: [asdict(r) for r in v] for k, v in views.items()}), "utf-8"
            )
            print(f"judged every view, prompt {prompt}", file=sys.stderr, flush=True)
    finally:
        c.close()
    return judged


def choose_and_report(views: dict[str, list[Judged]], near: bool) -> None:
    """Each feature's threshold chosen on tune (with the near-topic set when given), every view's
    figures with it."""
    tune = views["tune (five sets)"] + (views.get(NEAR_LABEL, []) if near else [])
    for feature, grid in FEATURES.items():
        rows = [r for r in tune if getattr(r, feature) is not None]
        auc = roc_auc_score([r.answerable for r in rows], [getattr(r, feature) for r in rows])
        chosen = max(grid, key=lambda t: (objective(*figures(tune, below(feature, t))), -t))
        pooled = objective(*figures(tune, below(feature, chosen)))
        print(
            f"\n{feature}: tune AUC answerable vs unanswerable {auc:.3f}; chosen on tune: {chosen} "
            f"(tune objective {pooled:.3f}, shipped rule {objective(*figures(tune, lambda r: False)):.3f})"
        )
        report(views, below(feature, chosen))
    pairs = [(a, b) for a in FEATURES["cosine"] for b in SENTENCE_GRID]
    a, b = max(pairs, key=lambda p: (objective(*figures(tune, below("cosine", *p))), -p[0], -p[1]))
    pooled = objective(*figures(tune, below("cosine", a, b)))
    print(
        f"\ncosine under {a} while the e5 judge's best sentence is under {b}, chosen on tune "
        f"(tune objective {pooled:.3f})"
    )
    report(views, below("cosine", a, b))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reuse", action="store_true", help=f"score the questions judged before ({CACHE.name})"
    )
    parser.add_argument("--near", action="store_true", help=f"tune on {NEAR.name} too")
    parser.add_argument(
        "--prompt", nargs="+", choices=PROMPTS, default=[SHIPPED], help="the question's task prompts"
    )
    args = parser.parse_args(argv)
    if args.reuse:
        judged = {
            prompt: {
                k: [Judged(**r) for r in v] for k, v in json.loads(cache(prompt).read_text("utf-8")).items()
            }
            for prompt in args.prompt
        }
    else:
        judged = judge_all(args.near, args.prompt)
    for prompt, views in judged.items():
        print(f"\n## Question read under: {prompt}")
        choose_and_report(views, args.near)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
