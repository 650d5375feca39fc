"""The retrieval boost's bounds and the change report of a learning run."""

from __future__ import annotations

import pytest

from luna.domain.learning.boost import boost_strength, break_ties, fusion_scale, rerank
from luna.domain.learning.changes import compare
from luna.domain.scores import Score, ScoreTarget
from luna.settings import LearningSettings

#: The smallest gap between a relevant chunk and the best irrelevant chunk below it, as a share of the
#: weighted fusion's score range, on the team's 74 questions (``bench/retrieval_boost.py``, 0.00799).
SMALLEST_MARGIN_ON_THE_QUESTION_SET = 0.0079


@pytest.mark.parametrize(
    ("popularity", "quality", "expected"),
    [
        (0.0, 0.5, 0.0),  # viewed never, rated never: no boost
        (1.0, 0.5, 0.5),  # the most popular, unrated
        (0.0, 1.0, 0.5),  # unpopular, perfectly rated
        (1.0, 1.0, 1.0),
        (0.4, 0.75, 0.2 + 0.25),
        (0.4, 0.2, 0.2),  # rated below the prior: no penalty, no quality part
    ],
)
def test_strength_is_half_popularity_half_quality_above_the_prior(
    popularity: float, quality: float, expected: float
) -> None:
    assert boost_strength(popularity, quality, prior_mean=0.5) == pytest.approx(expected)


def test_strength_stays_within_zero_and_one_whatever_it_is_given() -> None:
    assert boost_strength(7.0, 3.0, 0.5) == 1.0
    assert boost_strength(-1.0, -1.0, 0.5) == 0.0
    assert boost_strength(0.0, 1.0, prior_mean=1.0) == 0.0  # a prior of 1 leaves no room above it


def test_the_scale_is_the_largest_score_each_fusion_method_can_give() -> None:
    assert fusion_scale("weighted", 1.0, 1.0, 60) == 2.0
    assert fusion_scale("weighted", 1.0, 0.7, 60) == pytest.approx(1.7)
    assert fusion_scale("rrf", 1.0, 1.0, 60) == pytest.approx(2 / 61)


def test_rerank_adds_the_boost_and_keeps_the_fused_order_among_equals() -> None:
    ranked = [("a", 1.0), ("b", 0.95), ("c", 0.95), ("d", 0.5)]

    boosted = rerank(ranked, {"c": 1.0, "d": 0.5}, amount=0.1)

    assert [(hit.chunk_id, round(hit.score, 6), hit.boost) for hit in boosted] == [
        ("c", 1.05, 0.1),
        ("a", 1.0, 0.0),
        ("b", 0.95, 0.0),
        ("d", 0.55, 0.05),
    ]
    assert [hit.chunk_id for hit in rerank(ranked, {}, 0.1)] == ["a", "b", "c", "d"]
    assert [hit.chunk_id for hit in rerank(ranked, {"d": 1.0}, 0.0)] == ["a", "b", "c", "d"]


def test_ties_are_broken_by_strength_and_nothing_else_moves() -> None:
    ranked = [("a", 0.5), ("b", 0.4), ("c", 0.4), ("d", 0.3)]

    ordered = break_ties(ranked, {"c": 0.2, "d": 1.0})

    assert [(hit.chunk_id, hit.score, hit.boost) for hit in ordered] == [
        ("a", 0.5, 0.0),
        ("c", 0.4, 0.0),
        ("b", 0.4, 0.0),
        ("d", 0.3, 0.0),
    ]


def test_the_default_boost_stays_below_the_smallest_margin_measured_on_the_question_set() -> None:
    """Raising ``learning.boost_max`` past this needs ``bench/retrieval_boost.py`` re-run first."""
    assert 0 < LearningSettings().boost_max < SMALLEST_MARGIN_ON_THE_QUESTION_SET


def chunk(target_id: str, popularity: float, quality: float = 0.5) -> Score:
    return Score(ScoreTarget.CHUNK, target_id, popularity, quality)


def test_changes_count_moved_new_and_gone_chunks_and_name_the_largest_shifts() -> None:
    previous = {"a": chunk("a", 1.0), "b": chunk("b", 0.5), "gone": chunk("gone", 0.2, 0.9)}
    current = [chunk("a", 1.0), chunk("b", 0.25), chunk("new", 0.6)]

    changes = compare(previous, current, prior_mean=0.5, previous_version=4)

    assert (changes.moved, changes.added, changes.removed, changes.changed) == (1, 1, 1, 3)
    assert [(m.chunk_id, round(m.shift, 6)) for m in changes.top] == [
        ("new", 0.6),
        ("gone", 0.4),
        ("b", 0.25),
    ]
    recorded = changes.as_dict()
    assert recorded["previous_version"] == 4
    assert recorded["top_movers"][1] == {"chunk_id": "gone", "popularity": [0.2, 0.0], "quality": [0.9, 0.5]}


def test_identical_scores_change_nothing() -> None:
    scores = [chunk("a", 0.3, 0.7)]

    changes = compare({"a": scores[0]}, scores, prior_mean=0.5, previous_version=1)

    assert (changes.changed, changes.top) == (0, [])


def test_only_the_top_movers_are_kept_ordered_by_shift_then_id() -> None:
    current = [chunk(f"c{n:02d}", 0.5) for n in range(15)]

    changes = compare({}, current, prior_mean=0.5, previous_version=None, top=3)

    assert changes.added == 15 and [m.chunk_id for m in changes.top] == ["c00", "c01", "c02"]
