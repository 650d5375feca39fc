"""Fusing dense and lexical result lists: what the hybrid retriever relies on."""

from __future__ import annotations

import random

import pytest

from luna.domain.fusion import rrf, ties_to, weighted_score_fusion

DENSE = [("a", 0.91), ("b", 0.90), ("c", 0.70), ("d", 0.40)]
LEXICAL = [("b", 12.0), ("c", 11.0), ("e", 3.0)]


def ids(fused: list[tuple[str, float]]) -> list[str]:
    return [item_id for item_id, _ in fused]


@pytest.mark.parametrize(
    "fuse",
    [
        lambda lists: rrf(lists),
        lambda lists: weighted_score_fusion(lists, [1.0] * len(lists)),
        lambda lists: weighted_score_fusion(lists, [1.0] * len(lists), normalisation="zscore"),
    ],
    ids=["rrf", "minmax", "zscore"],
)
class TestEveryMethod:
    def test_a_document_high_in_both_lists_wins(self, fuse):
        fused = fuse([DENSE, LEXICAL])
        assert ids(fused)[0] == "b"

    def test_scores_are_best_first_and_every_document_appears_once(self, fuse):
        fused = fuse([DENSE, LEXICAL])
        assert sorted(ids(fused)) == ["a", "b", "c", "d", "e"]
        scores = [score for _, score in fused]
        assert scores == sorted(scores, reverse=True)

    def test_empty_input_gives_empty_output(self, fuse):
        assert fuse([]) == []
        assert fuse([[], []]) == []

    def test_one_empty_list_leaves_the_other_ranking_unchanged(self, fuse):
        assert ids(fuse([DENSE, []])) == ids(DENSE)

    def test_equal_scores_are_ordered_by_id(self, fuse):
        fused = fuse([[("z", 1.0)], [("m", 1.0)], [("a", 1.0)]])
        assert ids(fused) == ["a", "m", "z"]

    def test_result_does_not_depend_on_list_order(self, fuse):
        lists = [
            [(f"d{i}", random.Random(seed).random()) for i in random.Random(seed).sample(range(30), 20)]
            for seed in range(4)
        ]
        lists = [sorted(ranked, key=lambda pair: -pair[1]) for ranked in lists]
        assert fuse(lists) == fuse(list(reversed(lists)))


def test_rrf_scores_are_weighted_reciprocal_ranks():
    fused = dict(rrf([DENSE, LEXICAL], k=60, weights=[1.0, 0.5]))
    assert fused["b"] == pytest.approx(1 / 62 + 0.5 / 61)
    assert fused["e"] == pytest.approx(0.5 / 63)


def test_weights_shift_the_ranking_toward_the_heavier_list():
    assert ids(rrf([DENSE, LEXICAL]))[0] == "b"
    assert ids(rrf([DENSE, LEXICAL], weights=[1.0, 0.01]))[:2] == ["a", "b"]
    assert ids(rrf([DENSE, LEXICAL], weights=[0.01, 1.0]))[:2] == ["b", "c"]
    assert ids(weighted_score_fusion([DENSE, LEXICAL], [1.0, 0.0]))[:2] == ["a", "b"]
    assert ids(weighted_score_fusion([DENSE, LEXICAL], [0.0, 1.0]))[:2] == ["b", "c"]


def test_score_fusion_keeps_the_size_of_score_gaps_that_rrf_ignores():
    # Dense is nearly sure about "a"; lexical barely prefers "b". Ranks alone call it a draw.
    dense = [("a", 0.95), ("b", 0.10), ("c", 0.05)]
    lexical = [("b", 10.1), ("a", 10.0), ("c", 0.0)]
    assert rrf([dense, lexical])[0][1] == rrf([dense, lexical])[1][1]
    assert ids(weighted_score_fusion([dense, lexical], [1.0, 1.0]))[0] == "a"


def test_minmax_normalises_each_list_to_zero_one():
    fused = dict(weighted_score_fusion([LEXICAL], [1.0]))
    assert fused == {"b": 1.0, "c": pytest.approx(8 / 9), "e": 0.0}


@pytest.mark.parametrize("normalisation", ["minmax", "zscore"])
def test_a_retrieved_document_beats_a_missing_one_even_in_a_flat_list(normalisation):
    fused = weighted_score_fusion([[("a", 2.0), ("b", 2.0)], [("c", 5.0)]], [1.0, 0.5], normalisation)
    assert ids(fused) == ["a", "b", "c"]


def test_a_duplicate_id_counts_at_its_best_place():
    assert rrf([[("a", 3.0), ("b", 2.0), ("a", 1.0)]]) == rrf([[("a", 3.0), ("b", 2.0)]])


@pytest.mark.parametrize("weights", [[1.0], [1.0, -0.5], [1.0, float("nan")]])
def test_bad_weights_are_refused(weights):
    with pytest.raises(ValueError):
        rrf([DENSE, LEXICAL], weights=weights)
    with pytest.raises(ValueError):
        weighted_score_fusion([DENSE, LEXICAL], weights)


def test_a_tie_between_each_list_s_best_goes_to_the_higher_dense_score_not_the_smaller_id():
    dense = [("z-dense-best", 0.89), ("y", 0.80)]
    lexical = [("a-lexical-best", 15.0), ("b", 3.0)]
    fused = weighted_score_fusion([dense, lexical], [1.0, 1.0])
    assert fused[0][1] == fused[1][1] == 1.0  # neither list retrieved the other's best
    assert ids(fused)[:2] == ["a-lexical-best", "z-dense-best"]  # the ID order, arbitrary
    assert ids(ties_to(fused, dict(dense)))[:2] == ["z-dense-best", "a-lexical-best"]


def test_tie_breaking_keeps_every_score_and_leaves_unequal_scores_in_place():
    fused = rrf([DENSE, LEXICAL])
    assert ties_to(fused, {"e": 99.0}) == fused  # no ties among these: nothing moves
    flat = [("c", 0.5), ("a", 0.5), ("b", 0.5), ("d", 0.2)]
    assert ties_to(flat, {"b": 0.9, "a": 0.1}) == [("b", 0.5), ("a", 0.5), ("c", 0.5), ("d", 0.2)]
