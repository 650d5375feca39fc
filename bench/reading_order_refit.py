"""The answer's reading order refitted with the refine leg's judgements as features (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma
    .venv/bin/python bench/refine_sentences.py              # the refine leg caught up
    .venv/bin/python bench/reading_order_refit.py [--data-dir DIR]

The reading order's weights (question words, retrieval place, figure) were fitted by
``bench/sentence_ranker.py`` when e5-small alone judged meaning; EmbeddingGemma then came in by one
hand-chosen mix (``refined_reading``, ``order + 0.35 × (gemma − e5)``). Here a logistic regression over
every candidate sentence of the tune questions (label: it holds a needle of the answering passage)
sees the shipped order and what the answerer and the refine leg already know: both cosines, each
relative to the question's best candidate, the question's words, the chunk's retrieval place and its
passage cosine under EmbeddingGemma, a figure under a figure question, a table row; since the
twenty-sixth session also EmbeddingGemma's cosine to the sentence read with its neighbours (the mean of
their stored vectors) and a restricting sentence ("nicht", "nur", "ohne" …) under a yes/no question.
Regularisation is
chosen by five-fold cross-validation over tune questions. "States it" here is the offline proxy: the
answer is given and one of the two first sentences of the order holds a needle (the real answer adds
lead-ins, a list's items or a table's header, so the evaluation core's figure differs). Only if a
learned order wins on tune (cross-validated) does it go on to the held-out views, which are printed
for the shipped order beside it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from corpus_container import ANSWER_SPLITS, REPO, WORK, caught_up_container
from refine_sentences import REFINE
from sentence_ranker import C_GRID, Case, Ranker, fit, states_it
from sklearn.model_selection import GroupKFold

from luna.adapters.models.extractive import _MAX_JUDGED_CHARS, ExtractiveChatModel
from luna.adapters.models.extractive_order import Ranked
from luna.adapters.models.extractive_sentences import Sentence
from luna.container import Container
from luna.domain.answer_tables import FIGURE_QUESTION
from luna.domain.evaluation import GoldenQuestion, in_split
from luna.ports.chat import ContextChunk
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.knowledge.answering import _context
from luna.services.knowledge.refine import RefineLeg

FEATURES = (
    "shipped order",
    "e5 cosine",
    "gemma cosine",
    "e5 − best",
    "gemma − best",
    "words",
    "chunk place",
    "passage gemma",
    "passage gemma − best",
    "figure",
    "table row",
    "gemma window",
    "gemma window − best",
    "yes/no restriction",
)
#: A yes/no question, after any sentences that set the scene ("Wir übernehmen eine Pension auf Helgoland.
#: Stimmt es, dass …?"): its last sentence opens with a finite verb.
YES_NO = re.compile(
    r"(?:^|[.!?]\s+|,\s*)(?:Kann|Können|Darf|Dürfen|Muss|Müssen|Gilt|Gelten|Ist|Sind|Gibt|Stimmt|Bekomme|"
    r"Bekommen|Brauche|Brauchen|Reicht|Hat|Habe|Haben|Wird|Werden|Zählt|Fällt|Fallen|Lohnt|Besteht|Bin|"
    r"Soll|Sollen|Trifft|Bleibt|Zahle|Zahlen)\b[^.?!]*\?\s*$"
)
#: A sentence that restricts or denies: the answer to a yes/no question is often an exception.
RESTRICTION = re.compile(
    r"\b(?:nicht|kein\w*|nur|ausgenommen|ausgeschlossen|ohne|weder|unzulässig|jedoch|es sei denn)\b",
    re.IGNORECASE,
)
FEATURE_SETS = {
    "order + gemma relative": ("shipped order", "gemma − best"),
    "order + passage gemma": ("shipped order", "passage gemma", "passage gemma − best"),
    "cosines, words, place, figure": ("e5 cosine", "gemma cosine", "words", "chunk place", "figure"),
    "+ relative to the best": (
        "e5 cosine",
        "gemma cosine",
        "e5 − best",
        "gemma − best",
        "words",
        "chunk place",
        "figure",
    ),
    "order + gemma window relative": ("shipped order", "gemma window − best"),
    "order + gemma and window relative": ("shipped order", "gemma − best", "gemma window − best"),
    "order + gemma relative + yes/no restriction": ("shipped order", "gemma − best", "yes/no restriction"),
    "every feature": FEATURES,
}


def case(c: Container, q: GoldenQuestion, wanted: str | None) -> Case:
    kb = c.services.knowledge
    answers, refine = kb.answers, kb.refine
    judge = answers._judge
    assert isinstance(judge, ExtractiveChatModel) and refine is not None
    asked = answers.asked_as(q.question)
    result = kb.retrieval.search(asked, 6)
    chunks = _context(answers.relevant(result))
    ranked = [r for r in judge._rank(asked, chunks) if r.meaning is not None] if chunks else []
    if not ranked:
        return Case(q, np.zeros((0, len(FEATURES))), np.zeros(0, dtype=bool), False)
    gemma = refine.sentence_cosines(asked, [r.sentence.meaning_text[:_MAX_JUDGED_CHARS] for r in ranked])
    passages = refine.scores(kb.retrieval.meaning_query(asked), [chunk.chunk_id for chunk in chunks]) or {}
    owners = _owners(c, chunks)
    rows = _rows(
        q, ranked, gemma or [r.meaning or 0.0 for r in ranked], passages, _windows(refine, asked, ranked)
    )
    needles = [" ".join(n.split()) for n in q.needles]
    hits = [
        owners.get(r.sentence.chunk.chunk_id) == wanted
        and any(n in " ".join(r.sentence.text.split()) for n in needles)
        for r in ranked
    ]
    return Case(q, np.array(rows), np.array(hits, dtype=bool), judge._answers(asked, ranked))


def _windows(refine: RefineLeg, asked: str, ranked: Sequence[Ranked]) -> list[float]:
    """EmbeddingGemma's cosine of the question to each sentence read with its neighbours: the mean of
    the three sentences' vectors (a row, or a sentence whose neighbours were not judged, alone)."""

    def text(s: Sentence) -> str:
        return s.meaning_text[:_MAX_JUDGED_CHARS]

    windows = [
        [r.sentence]
        if r.sentence.is_row
        else [n for n in (r.sentence.preceding, r.sentence, r.sentence.following) if n]
        for r in ranked
    ]
    texts = list(dict.fromkeys(text(s) for window in windows for s in window))
    vectors = refine._embedder.cached(texts)
    if vectors is None:  # a neighbour beyond the judged sentences: each sentence alone
        vectors = refine._embedder.cached(texts := [text(r.sentence) for r in ranked]) or []
        windows = [[r.sentence] for r in ranked]
    unit = {t: np.asarray(v) / np.linalg.norm(v) for t, v in zip(texts, vectors, strict=True)}
    query = np.asarray(refine._query(asked))
    query = query / np.linalg.norm(query)
    cosines = []
    for window in windows:
        summed = np.sum([unit[text(s)] for s in window if text(s) in unit], axis=0)
        cosines.append(float(summed @ query / np.linalg.norm(summed)))
    return cosines


def _rows(
    q: GoldenQuestion,
    ranked: Sequence[Ranked],
    gemma: Sequence[float],
    passages: dict[str, float],
    windows: Sequence[float],
) -> list[list[float]]:
    figure_question = FIGURE_QUESTION.search(q.question) is not None
    yes_no = YES_NO.search(q.question) is not None
    best_e5 = max(r.meaning or 0.0 for r in ranked)
    best_gemma = max(gemma)
    best_passage = max(passages.values(), default=0.0)
    best_window = max(windows)
    rows = []
    for r, g, w in zip(ranked, gemma, windows, strict=True):
        passage = passages.get(r.sentence.chunk.chunk_id, best_passage)
        rows.append(
            [
                r.order,
                r.meaning or 0.0,
                g,
                (r.meaning or 0.0) - best_e5,
                g - best_gemma,
                r.coverage,
                float(r.sentence.chunk_rank),
                passage,
                passage - best_passage,
                float(figure_question and r.sentence.has_figure),
                float(r.sentence.is_row),
                w,
                w - best_window,
                float(yes_no and RESTRICTION.search(r.sentence.text) is not None),
            ]
        )
    return rows


def _owners(c: Container, chunks: Sequence[ContextChunk]) -> dict[str, str]:
    with c.database.unit_of_work(read_only=True) as uow:
        return {k.chunk_id: k.item_id for k in uow.chunks.get_many([x.chunk_id for x in chunks])}


def cross_validated(cases: Sequence[Case], columns: Sequence[int]) -> tuple[float, float]:
    """(best C, its states it) over five folds of the tune questions."""
    usable = [c for c in cases if c.question.answerable and len(c.x) and c.hit.any()]
    folds = list(GroupKFold(n_splits=5).split(usable, groups=range(len(usable))))
    answerable = sum(c.question.answerable for c in cases)

    def cv(c_value: float) -> float:
        stated = 0.0
        for train, held in folds:
            ranker = fit([usable[i] for i in train], columns, c_value)  # usable: answerable only
            stated += states_it([usable[i] for i in held], ranker) * len(held)
        return stated / answerable  # cases without a needle in the context count as misses

    return max(((c_value, cv(c_value)) for c_value in C_GRID), key=lambda p: (round(p[1], 6), -p[0]))


def all_cases(data_dir: Path) -> dict[str, list[Case]]:
    with caught_up_container(data_dir, REFINE) as c:
        views: dict[str, list[Case]] = {}
        for split, sets, label in ANSWER_SPLITS:
            questions = in_split(read_golden_sets(sets), split)
            items = c.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
            views[label] = [case(c, q, items.get(q.document or "")) for q in questions]
            print(f"cases of {label}: {len(views[label])}", file=sys.stderr, flush=True)
        return views


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=WORK, help="a copy of the bench index")
    args = parser.parse_args(argv)
    views = all_cases(args.data_dir)
    tune = views["tune (five sets)"]
    shipped = Ranker(None, [])
    print("| reading order | tune states it (proxy; learned: 5-fold) |\n|---|---|")
    print(f"| shipped | {states_it(tune, shipped):.3f} |")
    best: tuple[float, str, list[int], float] = (states_it(tune, shipped), "shipped", [], 0.0)
    for label, names in FEATURE_SETS.items():
        columns = [FEATURES.index(n) for n in names]
        c_value, stated = cross_validated(tune, columns)
        print(f"| {label} (C {c_value}) | {stated:.3f} |", flush=True)
        best = max(best, (round(stated, 6), label, columns, c_value), key=lambda b: b[0])
    print(f"\nchosen on tune: {best[1]}\n", file=sys.stderr)
    answerable = [c for c in tune if c.question.answerable]
    chosen = fit(answerable, best[2], best[3]) if best[2] else shipped
    if chosen.model is not None:
        names = [FEATURES[i] for i in chosen.columns]
        print(
            "weights: " + ", ".join(f"{n} {w:.3f}" for n, w in zip(names, chosen.model.coef_[0], strict=True))
        )
    print("\n| view | shipped | chosen |\n|---|---|---|")
    for label, cases in views.items():
        ceiling = sum(bool(c.hit.any()) for c in cases if c.question.answerable)
        answerable = sum(c.question.answerable for c in cases) or 1
        print(
            f"| {label} | {states_it(cases, shipped):.3f} | {states_it(cases, chosen):.3f} "
            f"(ceiling {ceiling / answerable:.3f}) |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
