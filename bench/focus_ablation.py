"""Refusing when the best sentence does not address a word the question turns on, judged by meaning.

    .venv/bin/python bench/focus_ablation.py        # after bench/retrieval_quality.py --fresh

Most unanswerable questions that get through share the context's topic and ask about something it
never mentions: "In welcher Farbe gibt es ein Balkonkraftwerk?", "Welche Kündigungsfrist hat der
Ökostromtarif von LichtBlick?", "Wie entlüfte ich meine Heizkörper?". A rule on shared words was
dropped (the fourth session's `bench/unknown_words.py`): everyday questions share few words with the
law even when it answers them. This one asks e5-small instead. For the sentence the answerer judges
(the best-scored one), it embeds the question once more without each of its focus words (nouns, names,
figures) and takes the largest rise of the sentence's cosine: a sentence that fits the question better
without "Farbe" does not speak of a colour. Each golden question is answered once through the
evaluation core (shipped answerer); the rule "refuse also when the rise exceeds t" is then applied to
those answers for every t of a grid, chosen on the tune split by the objective of the refusal rules
(states it + refused unanswerable − 2 × refused answerable), judged on the test split and the sixth
set. Prints the grid, the chosen row and the questions it changes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from corpus_container import corpus_container, split_outcomes

from luna.adapters.models import extractive
from luna.domain.answers import GERMAN_STOPWORDS

_WORD = re.compile(r"[\wÄÖÜäöüß-]+")
_ASIDE = re.compile(r"\([^()]*\)")
GRID = (0.0, 0.002, 0.004, 0.006, 0.008, 0.010, 0.015, 0.020, 0.030, 1.0)


@dataclass
class Judged:
    rise: float
    word: str
    sentence: str


JUDGED: dict[str, Judged] = {}
_shipped_answers = extractive.ExtractiveChatModel._answers


def focus_words(question: str) -> list[str]:
    """Nouns (capitalised, not opening a sentence), names and figures of ``question``, asides left out."""
    plain = _ASIDE.sub(" ", question)
    words = []
    for match in _WORD.finditer(plain):
        word = match.group(0)
        opens = match.start() == 0 or plain[: match.start()].rstrip()[-1:] in ".?!:"
        if word.casefold() in GERMAN_STOPWORDS or len(word) < 2:
            continue
        if any(c.isdigit() for c in word) or (word[:1].isupper() and not opens):
            words.append(word)
    return list(dict.fromkeys(words))


def without(question: str, word: str) -> str:
    return " ".join(re.sub(rf"(?<![\wÄÖÜäöüß-]){re.escape(word)}(?![\wÄÖÜäöüß-])", " ", question).split())


def judging(model: extractive.ExtractiveChatModel, asked_now: str, ranked: Sequence[object]) -> bool:
    """The shipped rule, with the focus rise of its sentence recorded for the question being judged."""
    verdict = _shipped_answers(model, asked_now, ranked)  # type: ignore[arg-type]
    question = CURRENT[0]
    if question in JUDGED or model._meaning is None:
        return verdict
    best = max(ranked, key=lambda r: r.score)  # type: ignore[attr-defined]
    meaning = model._meaning
    sentence = np.asarray(meaning.embed_passages([best.sentence.meaning_text[:900]])[0], dtype=np.float32)
    asked = ASKED[0]
    base = float(np.dot(np.asarray(meaning.embed_query(asked), dtype=np.float32), sentence))
    rises = [
        (
            float(np.dot(np.asarray(meaning.embed_query(without(asked, w)), dtype=np.float32), sentence))
            - base,
            w,
        )
        for w in focus_words(question)
        if without(asked, w) != asked
    ]
    rise, word = max(rises, default=(-1.0, ""))
    JUDGED[question] = Judged(rise, word, best.sentence.text[:100])  # type: ignore[attr-defined]
    return verdict


CURRENT = [""]
ASKED = [""]


def main() -> int:
    extractive.ExtractiveChatModel._answers = judging  # type: ignore[method-assign,assignment]
    c = corpus_container()
    answers = c.services.knowledge.answers
    shipped_stream = answers.stream

    def stream(question: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        CURRENT[0] = question
        ASKED[0] = answers.asked_as(question)
        return shipped_stream(question, *args, **kwargs)  # type: ignore[arg-type]

    answers.stream = stream  # type: ignore[method-assign]
    results = {}
    try:
        for label, _run, pairs in split_outcomes(c, "focus"):
            results[label] = pairs
            print(f"{label}: answered", flush=True)
    finally:
        c.close()
    report(results)
    return 0


def figures(rows: Sequence[tuple[object, object]], t: float) -> tuple[float, float, float, list[str]]:
    answerable = [(o, q) for o, q in rows if q.answerable]  # type: ignore[attr-defined]
    unanswerable = [(o, q) for o, q in rows if not q.answerable]  # type: ignore[attr-defined]
    changed = []

    def refused(o: object, q: object) -> bool:
        judged = JUDGED.get(q.question)  # type: ignore[attr-defined]
        newly = not o.refused and judged is not None and judged.rise > t  # type: ignore[attr-defined]
        if newly:
            changed.append(
                f"{q.question_id} ({'answerable' if q.answerable else 'unanswerable'}): "  # type: ignore[attr-defined]
                f"+{judged.rise:.3f} without {judged.word!r}"
            )  # type: ignore[union-attr]
        return bool(o.refused) or newly  # type: ignore[attr-defined]

    refused_no = sum(refused(o, q) for o, q in unanswerable) / max(len(unanswerable), 1)
    refused_yes = [refused(o, q) for o, q in answerable]
    stated = sum(o.answer_holds_needle and not r for (o, _), r in zip(answerable, refused_yes, strict=True))  # type: ignore[attr-defined]
    return stated / len(answerable), refused_no, sum(refused_yes) / len(answerable), changed


def report(results: dict[str, list[tuple[object, object]]]) -> None:
    print("\n| refuse also when the rise > | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    best_t, best_objective = None, -9.0
    for t in GRID:
        cells = []
        for label, rows in results.items():
            stated, refused_no, refused_yes, _ = figures(rows, t)
            cells.append(f"{stated:.3f} / {refused_no:.3f} / {refused_yes:.3f}")
            if label.startswith("tune"):
                objective = stated + refused_no - 2 * refused_yes
                if objective > best_objective + 1e-9:
                    best_t, best_objective = t, objective
        print(f"| {t} | " + " | ".join(cells) + " |")
    print(f"\nchosen on tune: {best_t} (states it / refused unanswerable / refused answerable per split)")
    for label, rows in results.items():
        print(f"\n{label}, questions newly refused at {best_t}:")
        for line in figures(rows, best_t or 1.0)[3]:
            print("  -", line)


if __name__ == "__main__":
    sys.exit(main())
