"""Thompson sampling: finds the better strategy, explores the unknown, and is judged fairly by replay."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from luna.domain.bandit import (
    BLEND,
    COLD,
    CONTENT,
    FRESH,
    POPULAR,
    STRATEGIES,
    WARM,
    ArmStats,
    LoggedRound,
    ThompsonSampler,
    arm_stats,
    fixed_policy,
    logged_rounds,
    replay,
    thompson_policy,
    uniform_policy,
)
from luna.domain.events import Event, EventType

T0 = datetime(2025, 5, 1, tzinfo=UTC)
CLICK_RATES = {CONTENT: 0.30, POPULAR: 0.15, FRESH: 0.05, BLEND: 0.22}


def test_it_converges_to_the_best_arm_of_a_simulated_bernoulli_environment() -> None:
    environment = random.Random(7)
    sampler = ThompsonSampler(seed=42)
    stats = {arm: ArmStats() for arm in STRATEGIES}
    late_choices: list[str] = []
    for round_ in range(3000):
        arm = sampler.choose(STRATEGIES, stats)
        reward = environment.random() < CLICK_RATES[arm]
        stats[arm] = ArmStats(stats[arm].pulls + 1, stats[arm].rewards + reward)
        if round_ >= 2000:
            late_choices.append(arm)

    assert late_choices.count(CONTENT) / len(late_choices) > 0.85
    assert max(stats, key=lambda arm: stats[arm].pulls) == CONTENT
    # Every arm was tried, so the bad ones were ruled out on evidence.
    assert all(stats[arm].pulls >= 10 for arm in STRATEGIES)


def test_the_same_seed_gives_the_same_choices() -> None:
    stats = {arm: ArmStats(10, 3) for arm in STRATEGIES}

    runs = [
        [sampler.choose(STRATEGIES, stats) for _ in range(50)]
        for sampler in (ThompsonSampler(5), ThompsonSampler(5))
    ]

    assert runs[0] == runs[1]


def test_an_untried_arm_is_still_tried_against_a_proven_one() -> None:
    sampler = ThompsonSampler(seed=1)
    stats = {CONTENT: ArmStats(200, 150), POPULAR: ArmStats()}

    choices = [sampler.choose([CONTENT, POPULAR], stats) for _ in range(500)]

    # Its flat posterior beats a mean of 0.75 about a quarter of the time.
    assert 60 < choices.count(POPULAR) < 200


def _event(kind: EventType, minutes: int, user_id: str = "u", **meta: object) -> Event:
    return Event(
        event_id=f"e{minutes}-{kind.value}",
        user_id=user_id,
        ts=T0 + timedelta(minutes=minutes),
        type=kind,
        meta=dict(meta),
    )


def test_arm_statistics_count_each_answer_once_and_credit_clicks_that_name_it() -> None:
    served = [
        _event(EventType.RECOMMEND, 1, strategy=CONTENT, segment=WARM),
        _event(EventType.RECOMMEND, 2, "v", strategy=CONTENT, segment=WARM),
        _event(EventType.RECOMMEND, 3, strategy=POPULAR, segment=COLD),
    ]
    rewards = [
        _event(EventType.CLICK, 4, recommendation_id=served[0].event_id),
        _event(EventType.LIKE, 5, recommendation_id=served[0].event_id),  # same answer: still one reward
        _event(EventType.VIEW, 6, "v", recommendation_id=served[1].event_id),  # a view is no reward
        _event(EventType.CLICK, 7, recommendation_id="unknown"),
        _event(EventType.CLICK, 8),
    ]

    stats = arm_stats([*rewards, *served])  # order does not matter

    assert stats == {(WARM, CONTENT): ArmStats(2, 1), (COLD, POPULAR): ArmStats(1, 0)}


def test_a_click_credits_only_an_answer_served_to_the_same_user() -> None:
    """A customer sends any ``recommendation_id`` they like: naming someone else's answer must not
    reward its strategy for everyone."""
    served = _event(EventType.RECOMMEND, 1, strategy=FRESH, segment=COLD)  # served to "u"
    foreign = _event(EventType.CLICK, 2, user_id="mallory", recommendation_id=served.event_id)

    assert logged_rounds([served, foreign]) == [LoggedRound(COLD, FRESH, False)]
    own = _event(EventType.CLICK, 3, recommendation_id=served.event_id)
    assert logged_rounds([served, foreign, own]) == [LoggedRound(COLD, FRESH, True)]


def test_one_users_answers_of_a_strategy_within_an_hour_are_one_round() -> None:
    """400 calls in 6 s, clicked only under ``fresh``, had every other user served ``fresh``."""
    burst = [_event(EventType.RECOMMEND, m, "mallory", strategy=FRESH, segment=WARM) for m in range(30)]
    clicks = [
        _event(EventType.CLICK, 30 + m, "mallory", recommendation_id=e.event_id) for m, e in enumerate(burst)
    ]
    later = _event(EventType.RECOMMEND, 61, "mallory", strategy=FRESH, segment=WARM)  # the next hour
    others = [_event(EventType.RECOMMEND, m, f"user-{m}", strategy=BLEND, segment=WARM) for m in range(3)]

    stats = arm_stats([*burst, *clicks, later, *others])

    assert stats == {(WARM, FRESH): ArmStats(2, 1), (WARM, BLEND): ArmStats(3, 0)}


def test_logged_rounds_come_in_time_order_with_their_rewards() -> None:
    late = _event(EventType.RECOMMEND, 9, strategy=FRESH, segment=COLD)
    early = _event(EventType.RECOMMEND, 1, strategy=BLEND)  # no segment: logged before segments
    click = _event(EventType.SOLVE, 10, recommendation_id=late.event_id)

    assert logged_rounds([click, late, early]) == [
        LoggedRound(WARM, BLEND, False),
        LoggedRound(COLD, FRESH, True),
    ]


def _logged_rounds(n: int, seed: int) -> list[LoggedRound]:
    """A log written by a uniformly random policy in the environment of CLICK_RATES."""
    rng = random.Random(seed)
    rounds = []
    for _ in range(n):
        arm = rng.choice(STRATEGIES)
        rounds.append(LoggedRound(WARM, arm, rng.random() < CLICK_RATES[arm]))
    return rounds


def test_replay_of_a_fixed_policy_estimates_its_click_rate() -> None:
    result = replay(_logged_rounds(8000, seed=3), fixed_policy(CONTENT), learns=False)

    assert result.rate is not None and abs(result.rate - CLICK_RATES[CONTENT]) < 0.03
    assert 1700 < result.matched < 2300  # a quarter of the rounds


def test_replay_ranks_thompson_above_uniform_and_below_the_best_fixed_arm() -> None:
    rounds = _logged_rounds(8000, seed=4)

    bandit = replay(rounds, thompson_policy(seed=9))
    uniform = replay(rounds, uniform_policy(seed=9), learns=False)
    best = replay(rounds, fixed_policy(CONTENT), learns=False)

    assert bandit.rate is not None and uniform.rate is not None and best.rate is not None
    assert uniform.rate < bandit.rate <= best.rate + 0.02
    assert bandit.rate > 0.25


def test_cold_rounds_never_offer_content() -> None:
    rounds = [LoggedRound(COLD, POPULAR, True)] * 20

    result = replay(rounds, fixed_policy(CONTENT))

    assert CONTENT not in result.chosen and result.chosen[BLEND] == 20
