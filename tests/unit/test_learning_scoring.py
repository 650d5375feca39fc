"""The learning job's arithmetic, checked against values computed by hand.

Popularity: weight · 0.5^(age / half-life), summed per chunk and per item, scaled by the run's maximum.
Quality: (positives + prior_mean · prior_weight) / (positives + negatives + prior_weight).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from luna.domain.events import Event, EventType, RagFeedback
from luna.domain.learning.scoring import (
    ChunkRef,
    LearnedScores,
    LearningParams,
    ScoreAccumulator,
    quality,
)
from luna.domain.scores import Score, ScoreTarget

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
PARAMS = LearningParams(
    half_life_days=14.0,
    event_weights={"view": 1.0, "click": 2.0, "like": 4.0, "dislike": 0.0, "feedback": 0.0},
    prior_mean=0.5,
    prior_weight=5.0,
    consent_default=True,
)
ITEM_X, ITEM_Y, GONE_ITEM = (str(uuid.UUID(int=n)) for n in (1, 2, 3))
CHUNK_A, CHUNK_B, CHUNK_C, ARCHIVED, OF_GONE_ITEM = (str(uuid.UUID(int=n)) for n in (11, 12, 13, 14, 15))
CHUNKS = {
    CHUNK_A: ChunkRef(ITEM_X, archived=False),
    CHUNK_B: ChunkRef(ITEM_X, archived=False),
    CHUNK_C: ChunkRef(ITEM_Y, archived=False),
    ARCHIVED: ChunkRef(ITEM_X, archived=True),
    OF_GONE_ITEM: ChunkRef(GONE_ITEM, archived=False),
}
LIVE_ITEMS = {ITEM_X, ITEM_Y}


def event(
    kind: EventType, ts: datetime, chunk: str | None = None, item: str | None = None, user: str = "u"
) -> Event:
    return Event(event_id=str(uuid.uuid4()), user_id=user, ts=ts, type=kind, item_id=item, chunk_id=chunk)


def rating(useful: bool, ts: datetime, *chunks: str) -> RagFeedback:
    return RagFeedback(
        feedback_id=str(uuid.uuid4()),
        user_id="u",
        ts=ts,
        question="Frage",
        answer="Antwort",
        useful=useful,
        chunks_used=list(chunks),
    )


class Lookups:
    """The chunk table as the resolver sees it; records how often it was asked."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def __call__(self, chunk_ids: Collection[str]) -> dict[str, ChunkRef]:
        self.asked.append(sorted(chunk_ids))
        return {chunk_id: CHUNKS[chunk_id] for chunk_id in chunk_ids if chunk_id in CHUNKS}


def learn(
    events: Iterable[Event] = (),
    ratings: Iterable[RagFeedback] = (),
    *,
    as_of: datetime | None = None,
    params: LearningParams = PARAMS,
    batches: int = 1,
) -> LearnedScores:
    accumulator = ScoreAccumulator(params, as_of=as_of, resolve=Lookups())
    event_list, rating_list = list(events), list(ratings)
    size = max(-(-len(event_list) // batches), 1)
    for start in range(0, len(event_list), size):
        accumulator.add_events(event_list[start : start + size])
    accumulator.add_ratings(rating_list)
    return accumulator.finish(LIVE_ITEMS, fallback_as_of=T0 + 1000 * DAY)


def by_id(scores: list[Score]) -> dict[str, Score]:
    return {score.target_id: score for score in scores}


SCENARIO = [
    event(EventType.LIKE, T0 - 28 * DAY, CHUNK_B, ITEM_X),
    event(EventType.VIEW, T0 - 14 * DAY, CHUNK_A, ITEM_X),
    event(EventType.VIEW, T0 - 7 * DAY, item=ITEM_X),
    event(EventType.DISLIKE, T0 - DAY, CHUNK_C),
    event(EventType.CLICK, T0, CHUNK_A, ITEM_X),
]


def test_popularity_decays_by_half_per_half_life_and_scales_to_the_largest() -> None:
    learned = learn(SCENARIO)
    chunks, items = by_id(learned.chunks), by_id(learned.items)

    # A: view 14 days old (0.5) + click now (2) = 2.5; B: like 28 days old = 4 · 0.25 = 1;
    # C: its dislike weighs 0.
    assert chunks[CHUNK_A].popularity == pytest.approx(1.0)
    assert chunks[CHUNK_B].popularity == pytest.approx(1.0 / 2.5)
    assert chunks[CHUNK_C].popularity == 0.0
    # X: its chunks (2.5 + 1) plus its own view 7 days old (0.5^0.5); Y has only the weightless dislike.
    assert items[ITEM_X].popularity == pytest.approx(1.0)
    assert items[ITEM_Y].popularity == 0.0
    assert [chunks[c].events for c in (CHUNK_A, CHUNK_B, CHUNK_C)] == [2, 1, 1]
    assert items[ITEM_X].events == 4 and items[ITEM_Y].events == 1


def test_item_popularity_adds_its_chunks_and_its_own_events_before_scaling() -> None:
    # X sums 2.5 + 1 (its chunks) + 0.5^0.5 (its own view) = 4.207, the largest;
    # Y's click scales to 2 / 4.207.
    learned = learn([*SCENARIO, event(EventType.CLICK, T0, CHUNK_C, ITEM_Y)])
    items = by_id(learned.items)

    expected_x = 2.5 + 1.0 + 0.5**0.5
    assert items[ITEM_X].popularity == pytest.approx(1.0)
    assert items[ITEM_Y].popularity == pytest.approx(2.0 / expected_x)


def test_quality_is_smoothed_towards_the_prior_by_ratings_likes_and_dislikes() -> None:
    ratings = [rating(True, T0 - DAY, CHUNK_A, CHUNK_B), rating(False, T0 - DAY, CHUNK_C, CHUNK_C)]
    learned = learn(SCENARIO, ratings)
    chunks, items = by_id(learned.chunks), by_id(learned.items)

    assert chunks[CHUNK_A].quality == pytest.approx((1 + 2.5) / (1 + 5))  # the useful rating
    assert chunks[CHUNK_B].quality == pytest.approx((2 + 2.5) / (2 + 5))  # like + useful rating
    assert chunks[CHUNK_C].quality == pytest.approx(2.5 / (2 + 5))  # dislike + useless rating (C once)
    assert (items[ITEM_X].positives, items[ITEM_X].negatives) == (2, 0)  # once per rating, not per chunk
    assert items[ITEM_Y].quality == pytest.approx(2.5 / 7)
    assert learned.ratings == 2


def test_a_reader_pressing_like_again_and_again_counts_once() -> None:
    spam = [event(EventType.LIKE, T0 - n * timedelta(seconds=1), CHUNK_B) for n in range(1000)]
    once = by_id(learn([event(EventType.LIKE, T0, CHUNK_B), event(EventType.CLICK, T0, CHUNK_A)]).chunks)
    pressed = by_id(learn([*reversed(spam), event(EventType.CLICK, T0, CHUNK_A)]).chunks)

    assert (pressed[CHUNK_B].positives, pressed[CHUNK_B].negatives) == (1, 0)
    assert pressed[CHUNK_B].popularity == pytest.approx(once[CHUNK_B].popularity, rel=1e-3)
    assert pressed[CHUNK_A].popularity == pytest.approx(once[CHUNK_A].popularity, rel=1e-3)


def test_a_readers_latest_judgement_counts_and_every_reader_has_a_voice() -> None:
    changed_mind = [event(EventType.LIKE, T0 - DAY, CHUNK_C), event(EventType.DISLIKE, T0, CHUNK_C)]
    others = [event(EventType.LIKE, T0, CHUNK_C, user=f"reader-{n}") for n in range(3)]
    chunks = by_id(learn([*changed_mind, *others]).chunks)

    assert (chunks[CHUNK_C].positives, chunks[CHUNK_C].negatives) == (3, 1)


def test_never_rated_targets_keep_the_prior_quality() -> None:
    assert quality(0, 0, 0.5, 5.0) == 0.5
    assert quality(0, 0, 0.2, 3.0) == pytest.approx(0.2)
    assert quality(3, 1, 0.5, 5.0) == pytest.approx(5.5 / 9)


def test_as_of_defaults_to_the_newest_input_not_the_wall_clock() -> None:
    old = [event(EventType.VIEW, datetime(2020, 1, 1, tzinfo=UTC), CHUNK_A)]
    learned = learn(old, [rating(True, datetime(2020, 1, 3, tzinfo=UTC), CHUNK_B)])

    assert learned.as_of == datetime(2020, 1, 3, tzinfo=UTC)


def test_a_given_as_of_leaves_later_inputs_out_and_decays_towards_it() -> None:
    learned = learn(SCENARIO, [rating(True, T0, CHUNK_C)], as_of=T0 - 14 * DAY)
    chunks = by_id(learned.chunks)

    # Left: the like of B (14 days before as_of: 4 · 0.5 = 2) and A's view at as_of (1).
    assert learned.as_of == T0 - 14 * DAY
    assert set(chunks) == {CHUNK_A, CHUNK_B}
    assert chunks[CHUNK_B].popularity == pytest.approx(1.0) and chunks[CHUNK_A].popularity == pytest.approx(
        0.5
    )
    assert (learned.events, learned.ratings) == (2, 0)


def test_only_live_chunks_and_items_get_scores_but_archived_chunks_still_count_for_their_item() -> None:
    learned = learn(
        [
            event(EventType.CLICK, T0, ARCHIVED),
            event(EventType.CLICK, T0, OF_GONE_ITEM),
            event(EventType.VIEW, T0, CHUNK_A),
        ]
    )

    assert [score.target_id for score in learned.chunks] == [CHUNK_A]
    assert [score.target_id for score in learned.items] == [ITEM_X]
    assert learned.items[0].events == 2  # the archived chunk's click and A's view


def test_inputs_naming_nothing_known_and_unweighted_types_are_not_used() -> None:
    unknown_chunk = str(uuid.UUID(int=99))
    learned = learn(
        [
            event(EventType.VIEW, T0, unknown_chunk),
            event(EventType.RECOMMEND, T0, CHUNK_A, ITEM_X),
            event(EventType.FEEDBACK, T0, CHUNK_A, ITEM_X),
        ],
        [rating(True, T0, unknown_chunk)],
    )

    assert (learned.chunks, learned.items, learned.events, learned.ratings) == ([], [], 0, 0)


def test_an_event_on_an_unknown_chunk_counts_for_the_item_it_names() -> None:
    learned = learn([event(EventType.VIEW, T0, str(uuid.UUID(int=99)), ITEM_Y)])

    assert learned.chunks == [] and [s.target_id for s in learned.items] == [ITEM_Y]


def test_negative_weights_count_as_zero_popularity_not_below() -> None:
    params = replace(PARAMS, event_weights={"view": 1.0, "dislike": -3.0})
    learned = learn(
        [event(EventType.VIEW, T0, CHUNK_A), event(EventType.DISLIKE, T0, CHUNK_C)], params=params
    )

    assert [(s.target_id, s.popularity) for s in learned.chunks] == [(CHUNK_A, 1.0), (CHUNK_C, 0.0)]


def test_the_same_inputs_give_identical_scores_and_hash_however_they_are_batched() -> None:
    ratings = [rating(True, T0, CHUNK_A)]
    once, again, batched = (
        learn(SCENARIO, ratings),
        learn(SCENARIO, ratings),
        learn(SCENARIO, ratings, batches=3),
    )

    assert once == again == batched
    assert len(once.inputs_sha256) == 64


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda: learn(SCENARIO[1:]), id="one event fewer"),
        pytest.param(lambda: learn(SCENARIO, [rating(True, T0, CHUNK_A)]), id="one rating more"),
        pytest.param(lambda: learn(SCENARIO, params=replace(PARAMS, half_life_days=7.0)), id="half-life"),
        pytest.param(lambda: learn(SCENARIO, params=replace(PARAMS, prior_weight=2.0)), id="prior"),
        pytest.param(lambda: learn(SCENARIO, as_of=T0 + DAY), id="a given as_of"),
    ],
)
def test_any_change_of_inputs_or_params_changes_the_hash(change: object) -> None:
    assert callable(change)
    assert change().inputs_sha256 != learn(SCENARIO).inputs_sha256


def test_chunks_are_looked_up_once_per_batch_and_never_again() -> None:
    lookups = Lookups()
    accumulator = ScoreAccumulator(PARAMS, as_of=None, resolve=lookups)
    accumulator.add_events(SCENARIO[:2])
    accumulator.add_events(SCENARIO)
    accumulator.add_ratings([rating(True, T0, CHUNK_A, CHUNK_C)])

    assert lookups.asked == [sorted([CHUNK_A, CHUNK_B]), [CHUNK_C]]


def test_a_run_without_inputs_scores_nothing_and_hashes_alike_every_time() -> None:
    first, second = learn(), learn()

    assert (first.chunks, first.items) == ([], [])
    assert first.inputs_sha256 == second.inputs_sha256
    assert first.as_of == T0 + 1000 * DAY  # only the recorded time; nothing decays towards it


def test_scores_are_sorted_by_target_and_carry_their_kind() -> None:
    learned = learn(SCENARIO)

    assert [s.target_id for s in learned.chunks] == sorted(s.target_id for s in learned.chunks)
    assert {s.target for s in learned.chunks} == {ScoreTarget.CHUNK}
    assert {s.target for s in learned.items} == {ScoreTarget.ITEM}


@pytest.mark.parametrize(
    "fields",
    [
        {"half_life_days": 0.0},
        {"prior_mean": 1.5},
        {"prior_weight": 0.0},
        {"event_weights": {"view": float("nan")}},
    ],
)
def test_impossible_params_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        replace(PARAMS, **fields)  # type: ignore[arg-type]
