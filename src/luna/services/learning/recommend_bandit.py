"""Which strategy serves the next ``/recommend`` answer: Thompson sampling on logged clicks.

The arms' statistics are computed from the events table (``recommend`` events and the clicks, likes
and solves that name them, see :func:`luna.domain.bandit.arm_stats`), over the events the learning
loop may use (consenting users only), and kept in the process for :data:`STATS_TTL_SEC`: a click
reaches the bandit within that time, and a busy server reads the events once per period rather than
per request. With ``recommend.bandit: off`` every answer is ``blend``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Final

from luna.domain.bandit import (
    BLEND,
    COLD,
    COLD_STRATEGIES,
    REWARD_TYPES,
    STRATEGIES,
    ArmStats,
    BanditStats,
    ThompsonSampler,
    arm_stats,
)
from luna.domain.events import Event, EventType
from luna.ports.sql import Database

STATS_TTL_SEC: Final = 60.0


def strategies_for(segment: str) -> Sequence[str]:
    """The arms a segment can be served: content needs a profile, so cold users never get it."""
    return COLD_STRATEGIES if segment == COLD else STRATEGIES


class StrategyChooser:
    def __init__(
        self,
        database: Database,
        *,
        enabled: bool,
        seed: int | None,
        consent_default: bool,
        ttl_sec: float = STATS_TTL_SEC,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._enabled = enabled
        self._sampler = ThompsonSampler(seed)
        self._consent_default = consent_default
        self._ttl_sec = ttl_sec
        self._clock = clock
        self._lock = threading.Lock()
        self._stats: BanditStats | None = None
        self._loaded_at = 0.0

    @property
    def enabled(self) -> bool:
        return self._enabled

    def choose(self, segment: str) -> str:
        if not self._enabled:
            return BLEND
        stats = self.stats()
        arms = strategies_for(segment)
        with self._lock:  # random.Random is not safe to share between threads unguarded
            return self._sampler.choose(arms, {arm: stats.get((segment, arm), ArmStats()) for arm in arms})

    def stats(self) -> BanditStats:
        """(segment, strategy) → pulls and rewarded pulls, at most ``ttl_sec`` old."""
        with self._lock:
            if self._stats is not None and self._clock() - self._loaded_at < self._ttl_sec:
                return self._stats
        fresh = arm_stats(self._bandit_events())
        with self._lock:
            self._stats, self._loaded_at = fresh, self._clock()
        return fresh

    def invalidate(self) -> None:
        with self._lock:
            self._stats = None

    def _bandit_events(self) -> Iterator[Event]:
        with self._database.unit_of_work(read_only=True) as uow:
            for batch in uow.events.for_learning(consent_default=self._consent_default):
                for event in batch:
                    if event.type == EventType.RECOMMEND or (
                        event.type in REWARD_TYPES and "recommendation_id" in event.meta
                    ):
                        yield event
