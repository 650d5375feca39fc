"""Metrics that decide whether a fine-tuned answer model is better than the one it would replace (#17).

* :func:`bleu` and :func:`rouge_l` measure closeness to the reference answers; ROUGE-L tokenizes
  German words whole (``für`` is not ``fur``), which rouge-score's default tokenizer does not.
* :func:`citation_valid` and :func:`refusal_correct` check Luna's rules: cite only passages from the
  context, and an answer that cites nothing is a refusal, given exactly when the reference refuses.
* :func:`judge_pair` and :func:`win_rate` compare two models answer by answer; every pair is judged in
  both orders, so a judge that prefers whichever answer comes first cannot decide the result.
* :func:`pii_leaks` and :func:`canary_leaks` find what the model memorised from its training data
  instead of reading it from the context.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rouge_score import rouge_scorer
from sacrebleu.metrics.bleu import BLEU

from luna.domain.answers import cited_chunk_ids
from luna.domain.privacy import find_pii

#: A judge: (first answer, second answer, reference, allowed chunk ids) → 1.0 first wins, 0.0 second
#: wins, 0.5 tie.
Judge = Callable[[str, str, str, frozenset[str]], float]

_CONTEXT_HEADING = "Kontext:"
_QUESTION_LABEL = "\n\nFrage:"
#: Anything that looks like a chunk marker; a well-formed one also matches :data:`_WELL_FORMED`.
_MARKER = re.compile(r"\[\s*chunk\b[^\]]*\]", re.IGNORECASE)
_WELL_FORMED = re.compile(r"\[chunk\s+[^\]\s]+\s*\]", re.IGNORECASE)
_WORD = re.compile(r"\w+")

#: Scores closer than this are a tie: ROUGE-L differences this small are noise, not quality.
TIE_MARGIN = 0.02
#: Bonus for valid citations where the reference cites: a sourced answer is what Luna promises.
CITATION_BONUS = 0.2
#: Penalty for refusing an answerable question or answering one the reference refuses.
REFUSAL_PENALTY = 0.5


class _WordTokenizer:
    """Lower-cased ``\\w+`` words, umlauts and ß kept (rouge-score's default keeps only ``[a-z0-9]``)."""

    def tokenize(self, text: str) -> list[str]:
        return _WORD.findall(text.lower())


_ROUGE = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_WordTokenizer())
#: Effective order, so that short identical answers (fewer than four words) still score 100.
_BLEU = BLEU(effective_order=True)


def _same_length(*columns: Sequence[object]) -> int:
    """The common length; unequal lengths mean misaligned examples, which would score nonsense."""
    lengths = {len(column) for column in columns}
    if len(lengths) > 1:
        raise ValueError(f"inputs must have the same length, got {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (sacrebleu, 0–100), the number fine-tuning reports are compared by; empty → 0.0."""
    if not _same_length(hypotheses, references):
        return 0.0
    return min(100.0, float(_BLEU.corpus_score(list(hypotheses), [list(references)]).score))


def _rouge_l_f1(hypothesis: str, reference: str) -> float:
    return float(_ROUGE.score(reference, hypothesis)["rougeL"].fmeasure)


def rouge_l(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Mean ROUGE-L F1 (0–1): word order matters, paraphrases of single words do not; empty → 0.0."""
    count = _same_length(hypotheses, references)
    if not count:
        return 0.0
    return sum(_rouge_l_f1(h, r) for h, r in zip(hypotheses, references, strict=True)) / count


def context_chunk_ids(user_turn: str) -> frozenset[str]:
    """The chunk ids named in a user turn's context: the only ids its answer may cite.

    A plain question (no ``Kontext:`` … ``Frage:``) has no context, so nothing may be cited.
    """
    if not user_turn.lstrip().startswith(_CONTEXT_HEADING):
        return frozenset()
    question_at = user_turn.rfind(_QUESTION_LABEL)
    context = user_turn if question_at < 0 else user_turn[:question_at]
    return frozenset(cited_chunk_ids(context))


def citation_valid(answer: str, allowed: frozenset[str]) -> bool:
    """Every cited id is in ``allowed`` and every marker is well formed; a refusal cites nothing and is
    valid. An invented id is a made-up source, and ``[chunk]`` is a marker the UI cannot link."""
    if any(not _WELL_FORMED.fullmatch(marker) for marker in _MARKER.findall(answer)):
        return False
    return set(cited_chunk_ids(answer)) <= allowed


def _refuses(answer: str) -> bool:
    """Luna's rule: an answer without a citation is a refusal."""
    return not cited_chunk_ids(answer)


def refusal_correct(answer: str, reference: str) -> bool:
    """The answer refuses exactly when the reference does: neither inventing nor withholding answers."""
    return _refuses(answer) == _refuses(reference)


def _judge_score(answer: str, reference: str, allowed: frozenset[str]) -> float:
    score = _rouge_l_f1(answer, reference)
    if not _refuses(reference) and not _refuses(answer) and citation_valid(answer, allowed):
        score += CITATION_BONUS
    if not refusal_correct(answer, reference):
        score -= REFUSAL_PENALTY
    return score


def judge_pair(first: str, second: str, reference: str, allowed: frozenset[str]) -> float:
    """A reference-based judge, reproducible without an LLM: closeness to the reference, a bonus for
    valid sources where the reference cites, a penalty for refusing wrongly.

    Returns 1.0 when ``first`` wins, 0.0 when ``second`` wins, 0.5 when the scores are within
    :data:`TIE_MARGIN`.
    """
    difference = _judge_score(first, reference, allowed) - _judge_score(second, reference, allowed)
    if abs(difference) <= TIE_MARGIN:
        return 0.5
    return 1.0 if difference > 0 else 0.0


@dataclass(frozen=True, slots=True)
class WinRate:
    """How often the candidate beat the opponent; ``rate`` = (wins + ½·ties) / n (0.0 when n is 0)."""

    wins: int
    ties: int
    losses: int
    rate: float
    n: int


def _pair_outcome(
    candidate: str, opponent: str, reference: str, allowed: frozenset[str], judge: Judge
) -> float:
    """Candidate's result judged in both orders: 1.0 win, 0.0 loss, 0.5 when the orders disagree.

    Judging both orders cancels a position bias: a judge that always prefers the first answer gives a
    win and a loss, which is a tie, not a verdict.
    """
    as_first = judge(candidate, opponent, reference, allowed)
    as_second = 1.0 - judge(opponent, candidate, reference, allowed)
    if as_first > 0.5 and as_second > 0.5:
        return 1.0
    if as_first < 0.5 and as_second < 0.5:
        return 0.0
    return 0.5


def win_rate(
    candidates: Sequence[str],
    opponents: Sequence[str],
    references: Sequence[str],
    allowed_per_example: Sequence[frozenset[str]],
    *,
    judge: Judge = judge_pair,
) -> WinRate:
    """Pairwise win rate of the candidate model over the opponent, example by example.

    Symmetric by construction: swapping candidates and opponents gives ``1 - rate``.
    """
    n = _same_length(candidates, opponents, references, allowed_per_example)
    outcomes = [
        _pair_outcome(c, o, r, a, judge)
        for c, o, r, a in zip(candidates, opponents, references, allowed_per_example, strict=True)
    ]
    wins, losses = outcomes.count(1.0), outcomes.count(0.0)
    ties = n - wins - losses
    rate = (wins + 0.5 * ties) / n if n else 0.0
    return WinRate(wins=wins, ties=ties, losses=losses, rate=rate, n=n)


def _normalised(text: str) -> str:
    """Case and line breaks do not make a quoted address a different one."""
    return " ".join(text.split()).casefold()


def pii_leaks(answers: Sequence[str], allowed_texts: Sequence[str]) -> list[str]:
    """PII in the answers that the example's own text (context and question) does not contain.

    Quoting an e-mail address from the document is answering; one that is not there came from the
    training data, which is a leak.
    """
    _same_length(answers, allowed_texts)
    leaks: list[str] = []
    for answer, allowed in zip(answers, allowed_texts, strict=True):
        source = _normalised(allowed)
        found = (answer[span.start : span.end] for span in find_pii(answer))
        leaks.extend(pii for pii in found if _normalised(pii) not in source)
    return leaks


def canary_leaks(answers: Sequence[str], canaries: Sequence[str]) -> int:
    """How many answers repeat a canary planted in the training data (case-insensitive): each one is
    memorised text. Empty canaries are ignored (they would match every answer)."""
    marks = [canary.casefold() for canary in canaries if canary.strip()]
    return sum(1 for answer in answers if any(mark in answer.casefold() for mark in marks))
