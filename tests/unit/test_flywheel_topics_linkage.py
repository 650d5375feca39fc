"""Average linkage: topics are groups whose question pairs are similar on average."""

from __future__ import annotations

import math

from luna.domain.flywheel.topics import cluster


def unit(angle_deg: float, lift: float = 0.0) -> list[float]:
    angle = math.radians(angle_deg)
    return [math.cos(angle), math.sin(angle), lift]


def test_a_new_topic_between_two_old_ones_stays_apart() -> None:
    # Old topics at 0° and 60°, a new one at 30°: about 0.87 similar to each old question, below
    # the threshold, so it is a topic of its own and the old ones do not merge through it.
    old_a = [unit(0), unit(1)]
    old_b = [unit(60), unit(59)]
    new = [unit(30), unit(31)]
    groups = cluster([*old_a, *old_b, *new], threshold=0.9)
    assert groups == [0, 0, 1, 1, 2, 2]


def test_groups_merge_while_the_mean_pair_similarity_reaches_the_threshold() -> None:
    vectors = [unit(0), unit(10), unit(20), unit(90)]
    assert cluster(vectors, threshold=0.95) == [0, 0, 0, 1]  # mean pair cos(0,10,20) = 0.97
    assert cluster(vectors, threshold=0.98) == [0, 0, 1, 2]  # 0 and 10 (0.985); 20 stays alone
    assert cluster([], threshold=0.9) == []
