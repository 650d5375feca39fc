"""Choosing a recommendation strategy per request: Thompson sampling on clicks (seed 001 §4, next step).

Each strategy is an arm of a Bernoulli bandit: one ``/recommend`` answer is one pull, and it pays 1 when
the user clicked, liked or solved something from it. With a Beta(1, 1) prior the posterior of an arm
after ``n`` answers with ``r`` rewarded ones is Beta(1 + r, 1 + n − r); each request draws one sample
per arm and serves the arm with the highest draw. Arms that did well are chosen more often, arms with
few pulls keep being tried because their wide posteriors sometimes draw high — exploration without a
schedule or a rate to tune.

Users with a reading history ("warm") and without ("cold") respond differently to the same strategy,
so the statistics are kept per *segment*: a tiny contextual bandit with two contexts.

:func:`arm_stats` derives the statistics from events (the ``recommend`` events and the clicks that name
them), :func:`replay` evaluates a policy offline on logged rounds (Li et al., 2011: only rounds where
the policy picks the logged arm count, which is unbiased when the log chose arms uniformly at random).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from luna.domain.events import Event, EventType

#: The strategies ``/recommend`` can serve (see :mod:`luna.services.learning.recommend_candidates`).
CONTENT, POPULAR, FRESH, BLEND = "content", "popular", "fresh", "blend"
STRATEGIES: tuple[str, ...] = (CONTENT, POPULAR, FRESH, BLEND)
#: A user with no positive event (or no consent to learning) has no profile: content is not possible.
COLD_STRATEGIES: tuple[str, ...] = (POPULAR, FRESH, BLEND)

WARM, COLD = "warm", "cold"

#: Events that credit the ``recommend`` event named in their ``meta.recommendation_id``. A ``view`` is
#: not a reward: the dashboard may send it just for showing the list.
REWARD_TYPES = frozenset({EventType.CLICK, EventType.LIKE, EventType.SOLVE})
#: One user's answers of one strategy within this many seconds (UTC hours) are one round.
ROUND_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class ArmStats:
    pulls: int = 0
    rewards: int = 0

    @property
    def mean(self) -> float:
        """Posterior mean under the Beta(1, 1) prior."""
        return (1 + self.rewards) / (2 + self.pulls)


#: (segment, strategy) → statistics.
BanditStats = Mapping[tuple[str, str], ArmStats]


class ThompsonSampler:
    """Draws from each arm's Beta posterior and picks the best draw; seeded for reproducible runs."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - sampling, not secrets

    def choose(self, arms: Sequence[str], stats: Mapping[str, ArmStats]) -> str:
        if not arms:
            raise ValueError("no arm to choose from")
        best_arm, best_draw = arms[0], -1.0
        for arm in arms:
            seen = stats.get(arm, ArmStats())
            draw = self._rng.betavariate(1 + seen.rewards, 1 + seen.pulls - seen.rewards)
            if draw > best_draw:
                best_arm, best_draw = arm, draw
        return best_arm


@dataclass(frozen=True, slots=True)
class LoggedRound:
    """One logged ``/recommend`` answer: the arm the logging policy served and whether it paid."""

    segment: str
    arm: str
    reward: bool


def logged_rounds(events: Iterable[Event], round_seconds: int | None = ROUND_SECONDS) -> list[LoggedRound]:
    """The ``recommend`` events as rounds in time order, each rewarded when a click, like or solve
    of the user it was served to names it (once, however many do). Rewards naming no known answer,
    or another user's (any customer can send any ID, and must not steer everyone's strategy), are
    ignored. A user's answers of one strategy within one hour are one round, rewarded when any of them
    is: reloads are one look at the list, and 400 calls in 6 s clicked only under ``fresh`` had every
    other user served ``fresh`` from then on. ``round_seconds=None``: every answer is a round of its
    own (a simulated log, whose users answer at machine speed)."""
    served: list[tuple[datetime, tuple[str, str], str, str]] = []
    rewarded: set[tuple[str, str]] = set()
    for event in events:
        if event.type == EventType.RECOMMEND:
            strategy = event.meta.get("strategy")
            if isinstance(strategy, str):
                segment = event.meta.get("segment")
                round_key = (event.event_id, event.user_id)
                served.append((event.ts, round_key, segment if segment in (WARM, COLD) else WARM, strategy))
        elif event.type in REWARD_TYPES:
            recommendation = event.meta.get("recommendation_id")
            if isinstance(recommendation, str):
                rewarded.add((recommendation, event.user_id))
    served.sort()
    rounds: list[LoggedRound] = []
    slots: dict[tuple[str, str, int], int] = {}
    for ts, round_key, segment, arm in served:
        slot = (
            (round_key[1], arm, int(ts.timestamp()) // round_seconds)
            if round_seconds
            else (round_key[0], arm, 0)
        )
        if slot not in slots:
            slots[slot] = len(rounds)
            rounds.append(LoggedRound(segment, arm, False))
        if round_key in rewarded:
            rounds[slots[slot]] = LoggedRound(rounds[slots[slot]].segment, arm, True)
    return rounds


def arm_stats(events: Iterable[Event]) -> dict[tuple[str, str], ArmStats]:
    """Pulls and rewarded pulls per (segment, strategy), in whatever order the events arrive."""
    counts: dict[tuple[str, str], list[int]] = {}
    for round_ in logged_rounds(events):
        pulls_rewards = counts.setdefault((round_.segment, round_.arm), [0, 0])
        pulls_rewards[0] += 1
        pulls_rewards[1] += round_.reward
    return {key: ArmStats(pulls, rewards) for key, (pulls, rewards) in counts.items()}


@dataclass(slots=True)
class ReplayResult:
    """``matched`` rounds where the policy agreed with the log; ``rate`` its reward rate on them."""

    matched: int = 0
    rewards: int = 0
    chosen: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return self.rewards / self.matched if self.matched else None


#: A policy under replay: (segment, arms available, what it has learnt so far) → arm.
Policy = Callable[[str, Sequence[str], Mapping[str, ArmStats]], str]


def replay(rounds: Iterable[LoggedRound], policy: Policy, *, learns: bool = True) -> ReplayResult:
    """Replay ``policy`` on logged rounds in order (the replay method of Li et al., 2011).

    Only rounds where the policy chooses the logged arm count; a learning policy updates its statistics
    on those rounds alone, exactly as if it had served them itself.
    """
    result = ReplayResult()
    learnt: dict[str, dict[str, ArmStats]] = {}
    for logged in rounds:
        arms = COLD_STRATEGIES if logged.segment == COLD else STRATEGIES
        seen = learnt.setdefault(logged.segment, {})
        choice = policy(logged.segment, arms, seen)
        result.chosen[choice] = result.chosen.get(choice, 0) + 1
        if choice != logged.arm:
            continue
        result.matched += 1
        result.rewards += logged.reward
        if learns:
            before = seen.get(choice, ArmStats())
            seen[choice] = ArmStats(before.pulls + 1, before.rewards + logged.reward)
    return result


def thompson_policy(seed: int | None = None) -> Policy:
    sampler = ThompsonSampler(seed)
    return lambda _segment, arms, stats: sampler.choose(arms, stats)


def fixed_policy(arm: str, fallback: str = BLEND) -> Policy:
    """Always ``arm`` (``fallback`` where the arm is not available, e.g. content for cold users)."""
    return lambda _segment, arms, _stats: arm if arm in arms else fallback


def uniform_policy(seed: int | None = None) -> Policy:
    rng = random.Random(seed)  # noqa: S311 - sampling, not secrets
    return lambda _segment, arms, _stats: rng.choice(list(arms))
