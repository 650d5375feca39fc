"""Human review of a candidate adapter: people compare its answers blind with its opponent's.

Each registered version keeps up to a dozen test questions with the candidate's answer and its
opponent's (the champion's, or the base model's when there was none). A reviewer sees both answers as
"Antwort A" and "Antwort B" and votes for one of them or a tie; the service turns the side into the role
(``candidate``/``opponent``) before it is stored, so the votes say who won without the reviewer knowing.

Votes are kept, never changed: a reviewer who votes again on the same pair replaces the earlier vote in
every count (:func:`current_votes`). The human win-rate counts a tie as half a win, like the judge's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

#: A comment may say why; longer texts belong in a ticket.
MAX_COMMENT_CHARS = 2000
MAX_REVIEWER_CHARS = 200
#: The automatic gate whose threshold the human win-rate must reach as well.
CHAMPION_GATE = "win_rate_vs_champion"


class Vote(StrEnum):
    CANDIDATE = "candidate"
    OPPONENT = "opponent"
    TIE = "tie"


@dataclass(frozen=True, slots=True)
class ReviewVote:
    """One reviewer's verdict on one pair (``pair_index`` into the version's ``review.json``)."""

    review_id: str
    name: str
    version: int
    pair_index: int
    reviewer: str
    vote: Vote
    created_at: datetime
    comment: str | None = None


def current_votes(votes: Iterable[ReviewVote]) -> list[ReviewVote]:
    """The vote that counts per (reviewer, pair): the latest one (on equal times, the later in order).

    Returned in pair order, then by reviewer.
    """
    latest: dict[tuple[str, int], ReviewVote] = {}
    for vote in votes:
        key = (vote.reviewer, vote.pair_index)
        kept = latest.get(key)
        if kept is None or vote.created_at >= kept.created_at:
            latest[key] = vote
    return sorted(latest.values(), key=lambda v: (v.pair_index, v.reviewer))


def human_win_rate(votes: Iterable[ReviewVote]) -> float | None:
    """(candidate wins + ½ ties) / votes over the votes that count; None when nobody voted."""
    counted = current_votes(votes)
    if not counted:
        return None
    wins = sum(1.0 if v.vote is Vote.CANDIDATE else 0.5 if v.vote is Vote.TIE else 0.0 for v in counted)
    return wins / len(counted)


def vote_counts(votes: Iterable[ReviewVote]) -> dict[Vote, int]:
    """How many counted votes went to each side."""
    counts = dict.fromkeys(Vote, 0)
    for vote in current_votes(votes):
        counts[vote.vote] += 1
    return counts


def champion_threshold(gates: Mapping[str, Any]) -> float | None:
    """The threshold of the stored ``win_rate_vs_champion`` check of a version's gate results."""
    for check in gates.get("checks") or ():
        if isinstance(check, Mapping) and check.get("gate") == CHAMPION_GATE:
            threshold = check.get("threshold")
            return float(threshold) if isinstance(threshold, int | float) else None
    return None
