"""An evaluation run as it is kept, and the comparison of two runs question by question.

A run's figures say *whether* a change helped; the comparison says *where*: which questions a change
made better (the passage found higher, the answer now states it, a wrong refusal gone, an unanswerable
question now refused) and which it made worse, so a regression hidden in an unchanged average shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from luna.domain.evaluation import QuestionOutcome, RunFigures, Split

#: Ranks beyond this count as "not found" (the run searches 10 deep).
_DEPTH = 10


@dataclass(frozen=True, slots=True)
class EvalRun:
    run_id: str
    name: str
    split: Split
    created_at: str
    setup: dict[str, Any]
    figures: RunFigures
    outcomes: list[QuestionOutcome]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EvalRun:
        outcomes = [
            QuestionOutcome(**{**o, "unsupported_numbers": tuple(o["unsupported_numbers"])})
            for o in data["outcomes"]
        ]
        return cls(
            data["run_id"],
            data["name"],
            data["split"],
            data["created_at"],
            dict(data["setup"]),
            RunFigures(**data["figures"]),
            outcomes,
        )


@dataclass(frozen=True, slots=True)
class QuestionChange:
    question_id: str
    #: What changed, in words ("found at 7 → 2", "now states the answer", …).
    changes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RunComparison:
    before: str
    after: str
    better: list[QuestionChange]
    worse: list[QuestionChange]
    #: Questions of only one of the runs (another set or split): not compared.
    only_before: list[str]
    only_after: list[str]


def compare_runs(before: EvalRun, after: EvalRun) -> RunComparison:
    """Every question both runs asked, sorted into better and worse (a question can be in both)."""
    earlier = {o.question_id: o for o in before.outcomes}
    later = {o.question_id: o for o in after.outcomes}
    better: list[QuestionChange] = []
    worse: list[QuestionChange] = []
    for question_id in sorted(earlier.keys() & later.keys()):
        gained, lost = _changes(earlier[question_id], later[question_id])
        if gained:
            better.append(QuestionChange(question_id, tuple(gained)))
        if lost:
            worse.append(QuestionChange(question_id, tuple(lost)))
    return RunComparison(
        before=before.run_id,
        after=after.run_id,
        better=better,
        worse=worse,
        only_before=sorted(earlier.keys() - later.keys()),
        only_after=sorted(later.keys() - earlier.keys()),
    )


def _changes(old: QuestionOutcome, new: QuestionOutcome) -> tuple[list[str], list[str]]:
    gained: list[str] = []
    lost: list[str] = []
    if not new.answerable:
        _flag(old.refused, new.refused, "refused as it should", gained, lost)
        return gained, lost
    old_rank, new_rank = _rank(old.rank), _rank(new.rank)
    if new_rank != old_rank:
        (gained if new_rank < old_rank else lost).append(f"found at {_place(old.rank)} → {_place(new.rank)}")
    _flag(old.answer_holds_needle, new.answer_holds_needle, "answer states it", gained, lost)
    _flag(old.first_citation_hit, new.first_citation_hit, "first citation answers", gained, lost)
    _flag(not old.refused, not new.refused, "answered (not refused)", gained, lost)
    _flag(not old.unsupported_numbers, not new.unsupported_numbers, "no number warning", gained, lost)
    return gained, lost


def _flag(old: bool, new: bool, what: str, gained: list[str], lost: list[str]) -> None:
    if new and not old:
        gained.append(what)
    elif old and not new:
        lost.append(f"no longer: {what}")


def _rank(rank: int | None) -> int:
    return rank if rank is not None and rank <= _DEPTH else _DEPTH + 1


def _place(rank: int | None) -> str:
    return str(rank) if rank is not None and rank <= _DEPTH else "–"
