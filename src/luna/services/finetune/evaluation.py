"""A candidate adapter judged on held-out questions against the base model and the current champion.

Base, champion and candidate answer the same test questions (greedy, so the run repeats); the candidate
also answers the canary questions. Figures: BLEU and ROUGE-L against the reference answers, citation
validity, refusal correctness, PII and canary leaks, and pairwise win-rates from the reference judge
(both orders). The report feeds the gates (``luna.domain.finetune.gates``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from luna.domain.finetune.training import ChatExample
from luna.ports.finetune import AnswerGenerator
from luna.services.finetune import metrics
from luna.services.finetune.data import Canary

#: How many test questions the review panel gets side by side.
REVIEW_PAIRS = 12


@dataclass(frozen=True, slots=True)
class Contenders:
    base_model: Path
    candidate: Path
    champion: Path | None


def evaluate(
    generator: AnswerGenerator,
    contenders: Contenders,
    test: Sequence[ChatExample],
    canaries: Sequence[Canary],
    max_new_tokens: int,
    judge: metrics.Judge | None = None,
    judge_name: str = "reference",
) -> dict[str, Any]:
    """``judge`` replaces the reference judge for the win-rates (a configured chat model)."""
    pairwise = judge or metrics.judge_pair
    prompts = [example[:-1] for example in test]
    references = [example[-1]["content"] for example in test]
    allowed = [metrics.context_chunk_ids(_user(example)) for example in test]
    asked = [*prompts, *(c.question for c in canaries)]
    candidate_all = generator.answers(contenders.base_model, contenders.candidate, asked, max_new_tokens)
    candidate, canary_answers = candidate_all[: len(prompts)], candidate_all[len(prompts) :]
    base = generator.answers(contenders.base_model, None, prompts, max_new_tokens)
    report: dict[str, Any] = {
        "test_examples": len(prompts),
        "bleu": metrics.bleu(candidate, references),
        "rouge_l": metrics.rouge_l(candidate, references),
        "base_bleu": metrics.bleu(base, references),
        "base_rouge_l": metrics.rouge_l(base, references),
        "citation_validity": _share(
            metrics.citation_valid(a, ok) for a, ok in zip(candidate, allowed, strict=True)
        ),
        "refusal_correctness": _share(
            metrics.refusal_correct(a, r) for a, r in zip(candidate, references, strict=True)
        ),
        "pii_leaks": len(metrics.pii_leaks(candidate, [_text(p) for p in prompts])),
        "canary_leaks": metrics.canary_leaks(canary_answers, [s for c in canaries for s in c.secrets]),
        "win_rate_vs_base": metrics.win_rate(candidate, base, references, allowed, judge=pairwise).rate,
        "judge": judge_name,
        "win_rate_vs_champion": None,
    }
    opponent, opponent_kind = base, "base"
    if contenders.champion is not None:
        opponent = generator.answers(contenders.base_model, contenders.champion, prompts, max_new_tokens)
        report["win_rate_vs_champion"] = metrics.win_rate(
            candidate, opponent, references, allowed, judge=pairwise
        ).rate
        opponent_kind = "champion"
    # What the human review panel compares: the candidate against the version it would replace.
    report["review"] = [
        {"question": _user(e), "reference": r, "candidate": c, "opponent": o, "opponent_kind": opponent_kind}
        for e, r, c, o in list(zip(test, references, candidate, opponent, strict=True))[:REVIEW_PAIRS]
    ]
    return report


def _share(flags: Any) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


def _user(example: ChatExample) -> str:
    return next((t["content"] for t in reversed(example) if t["role"] == "user"), "")


def _text(prompt: ChatExample) -> str:
    return "\n".join(t["content"] for t in prompt)
