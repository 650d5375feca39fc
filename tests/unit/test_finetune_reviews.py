"""The human win-rate of a review: candidate wins plus half the ties over the votes that count, where a
reviewer's later vote on a pair replaces their earlier one; and the champion gate's stored threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from luna.domain.finetune.reviews import (
    ReviewVote,
    Vote,
    champion_threshold,
    current_votes,
    human_win_rate,
    vote_counts,
)

T0 = datetime(2026, 12, 16, 9, 0, tzinfo=UTC)


def vote(reviewer: str, pair: int, verdict: Vote, minutes: int = 0) -> ReviewVote:
    return ReviewVote(
        f"{reviewer}-{pair}-{minutes}", "chat", 2, pair, reviewer, verdict, T0 + timedelta(minutes=minutes)
    )


def test_without_votes_there_is_no_human_win_rate() -> None:
    assert human_win_rate([]) is None


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ([Vote.CANDIDATE], 1.0),
        ([Vote.OPPONENT], 0.0),
        ([Vote.TIE], 0.5),
        ([Vote.CANDIDATE, Vote.OPPONENT, Vote.TIE, Vote.TIE], 0.5),
        ([Vote.CANDIDATE, Vote.CANDIDATE, Vote.TIE, Vote.OPPONENT], 0.625),
    ],
)
def test_a_tie_counts_half_a_win(verdicts: list[Vote], expected: float) -> None:
    votes = [vote("anna", pair, verdict) for pair, verdict in enumerate(verdicts)]

    assert human_win_rate(votes) == pytest.approx(expected)


def test_a_later_vote_of_the_same_reviewer_on_the_same_pair_replaces_the_earlier() -> None:
    votes = [
        vote("anna", 0, Vote.OPPONENT, minutes=0),
        vote("anna", 0, Vote.CANDIDATE, minutes=5),  # changed her mind: only this one counts
        vote("ben", 0, Vote.OPPONENT, minutes=1),  # another reviewer on the same pair counts too
        vote("anna", 1, Vote.TIE, minutes=2),
    ]

    assert human_win_rate(votes) == pytest.approx((1 + 0 + 0.5) / 3)
    assert [(v.reviewer, v.pair_index, v.vote) for v in current_votes(votes)] == [
        ("anna", 0, Vote.CANDIDATE),
        ("ben", 0, Vote.OPPONENT),
        ("anna", 1, Vote.TIE),
    ]
    assert vote_counts(votes) == {Vote.CANDIDATE: 1, Vote.OPPONENT: 1, Vote.TIE: 1}


def test_the_order_of_the_votes_does_not_matter_only_their_time() -> None:
    earlier, later = vote("anna", 0, Vote.CANDIDATE, minutes=0), vote("anna", 0, Vote.OPPONENT, minutes=9)

    assert human_win_rate([later, earlier]) == 0.0
    assert human_win_rate([earlier, later]) == 0.0


def test_on_equal_times_the_vote_listed_later_counts() -> None:
    first, second = vote("anna", 0, Vote.CANDIDATE), vote("anna", 0, Vote.TIE)

    assert human_win_rate([first, second]) == 0.5


def test_the_champion_threshold_is_read_from_the_stored_gate_checks() -> None:
    base = {"gate": "win_rate_vs_base", "value": 0.7, "threshold": 0.65, "passed": True}
    champion = {"gate": "win_rate_vs_champion", "value": None, "threshold": 0.5, "passed": True}

    assert champion_threshold({"passed": True, "checks": [base, champion]}) == 0.5
    assert champion_threshold({"passed": True, "checks": [base]}) is None
    assert champion_threshold({}) is None
