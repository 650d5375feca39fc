"""MMR: relevant and varied lists, at most a few chunks per document, deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from luna.domain.mmr import cosine_matrix, mmr, rescale


def test_lambda_one_ranks_by_relevance_alone() -> None:
    similarity = np.ones((4, 4))

    assert mmr([0.2, 0.9, 0.5, 0.7], similarity, 4, lambda_=1.0) == [1, 3, 2, 0]


def test_a_near_copy_of_the_first_pick_gives_way_to_a_different_candidate() -> None:
    # 0 and 1 are near-copies; 2 is different and a little less relevant.
    vectors = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0]])

    picked = mmr([1.0, 0.95, 0.8], rescale(cosine_matrix(vectors)), 2, lambda_=0.7)

    assert picked == [0, 2]


def test_chunks_of_one_item_count_as_identical_and_are_capped() -> None:
    relevance = [1.0, 0.99, 0.98, 0.6, 0.4]
    groups = ["a", "a", "a", "b", "c"]
    similarity = np.zeros((5, 5))

    picked = mmr(relevance, similarity, 5, lambda_=0.7, groups=groups, max_per_group=2)

    # The second "a" pays the full similarity penalty: 0.7 · 0.99 − 0.3 < 0.7 · 0.6; the third never comes.
    assert [groups[i] for i in picked] == ["a", "b", "a", "c"]


def test_a_list_continued_from_earlier_picks_keeps_their_order_and_their_groups_cap() -> None:
    """Filling a short list from a second pool: the first picks stay in front, and a document that
    already has its two chunks gets no third one, however relevant."""
    relevance = [0.9, 0.8, 0.99, 0.5, 0.4]
    groups = ["a", "a", "a", "b", "c"]

    picked = mmr(relevance, np.zeros((5, 5)), 4, lambda_=1.0, groups=groups, max_per_group=2, start=[0, 1])

    assert picked == [0, 1, 3, 4]


def test_without_a_cap_a_continued_list_takes_more_of_one_document() -> None:
    picked = mmr([0.9, 0.8, 0.7], np.zeros((3, 3)), 3, lambda_=1.0, groups=["a", "a", "a"], start=[0, 1])

    assert picked == [0, 1, 2]


def test_fewer_candidates_than_asked_returns_them_all_once() -> None:
    picked = mmr([0.3, 0.6], np.zeros((2, 2)), 10, lambda_=0.5)

    assert sorted(picked) == [0, 1]


def test_nothing_to_pick_gives_an_empty_list() -> None:
    assert mmr([], np.zeros((0, 0)), 3, lambda_=0.7) == []
    assert mmr([0.5], np.zeros((1, 1)), 0, lambda_=0.7) == []


def test_ties_go_to_the_earlier_candidate() -> None:
    assert mmr([0.5, 0.5, 0.5], np.zeros((3, 3)), 3, lambda_=1.0) == [0, 1, 2]


@pytest.mark.parametrize(
    ("relevance", "shape", "lambda_", "message"),
    [([0.1, 0.2], (3, 3), 0.5, "similarity must be"), ([0.1], (1, 1), 1.5, "lambda_")],
)
def test_inconsistent_inputs_are_refused(
    relevance: list[float], shape: tuple[int, int], lambda_: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        mmr(relevance, np.zeros(shape), 1, lambda_=lambda_)


def test_rescale_spreads_the_narrow_band_of_embedding_similarities() -> None:
    matrix = np.array([[1.0, 0.80, 0.90], [0.80, 1.0, 0.85], [0.90, 0.85, 1.0]])

    scaled = rescale(matrix)

    assert scaled[0, 1] == pytest.approx(0.0) and scaled[0, 2] == pytest.approx(1.0)
    assert scaled[1, 2] == pytest.approx(0.5)
    assert np.all(rescale(np.full(3, 0.4)) == 0.0)
