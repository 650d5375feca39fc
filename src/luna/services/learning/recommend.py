"""``POST /recommend``: content recommendations for a user, plus energy advice for meter-linked users.

One answer is built in five steps:

1. the user's profile (:mod:`luna.services.learning.recommend_profile`): interests from their positive events,
   exclusions from their dislikes and what they already read; unknown users and users without a
   positive event (or consent) are *cold*;
2. the strategy: the bandit (:mod:`luna.services.learning.recommend_bandit`) picks ``content``, ``popular``,
   ``fresh`` or ``blend`` (cold users: no ``content``);
3. the content list (:mod:`luna.services.learning.recommend_candidates`): candidates, signals, MMR,
   filled up from the other strategies' sources when the chosen one runs dry; documents of another
   country than ``recommend.country`` only when nothing else fills the list, and last;
4. energy advice (:mod:`luna.services.energy.energy_advice`) for users with linked meters, at most
   ``recommend.energy_items``. It takes every third place of the list, starting with the first
   (places 1, 4, 7 …), and content fills the rest, so ``top_k`` is the length of the whole list and
   neither kind crowds out the other; when one kind runs short the other fills in;
5. the answer is logged as one ``recommend`` event (meta: strategy, segment, chunk IDs, advice kinds)
   whose ID is the ``recommendation_id`` clicks name to reward the strategy. Only answers a user
   asked for themselves are logged: an operator's preview, or a list for nobody, would count as an
   ignored recommendation.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from luna.domain.errors import InvalidInput
from luna.domain.events import Event, EventType
from luna.domain.recommendations import Recommendation, RecommendationKind, Recommendations
from luna.ports.sql import Database
from luna.ports.vectors import VectorIndex
from luna.services.energy.energy_advice import EnergyAdvice, EnergyAdviceService
from luna.services.knowledge.indexing import VectorCollections
from luna.services.learning.recommend_bandit import StrategyChooser, strategies_for
from luna.services.learning.recommend_candidates import Ranked, rank
from luna.services.learning.recommend_profile import ProfileSettings, UserProfile, build_profile
from luna.services.learning.recommend_region import DocumentCountries
from luna.settings import LearningSettings, RecommendSettings

#: Every third place, from the first, may hold energy advice.
ENERGY_EVERY = 3


@dataclass(frozen=True, slots=True)
class RecommendConfig:
    top_k: int
    max_top_k: int
    mmr_lambda: float
    freshness_half_life_days: float
    energy_items: int
    profile: ProfileSettings
    #: The readers' country (ISO 3166): documents of other countries come last; None: no regard.
    country: str | None = None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RecommendService:
    def __init__(
        self,
        database: Database,
        vectors: VectorIndex,
        collections: VectorCollections,
        chooser: StrategyChooser,
        energy_advice: EnergyAdviceService | None,
        config: RecommendConfig,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._database = database
        self._vectors = vectors
        self._collections = collections
        self._chooser = chooser
        self._energy_advice = energy_advice
        self._config = config
        self._clock = clock
        self._countries = DocumentCountries(config.country)

    @classmethod
    def from_settings(
        cls,
        database: Database,
        vectors: VectorIndex,
        collections: VectorCollections,
        energy_advice: EnergyAdviceService | None,
        recommend: RecommendSettings,
        learning: LearningSettings,
        *,
        chooser: StrategyChooser | None = None,
    ) -> RecommendService:
        """The service as ``settings.recommend`` and ``settings.learning`` describe it."""
        return cls(
            database,
            vectors,
            collections,
            chooser
            or StrategyChooser(
                database,
                enabled=recommend.bandit == "thompson",
                seed=recommend.bandit_seed,
                consent_default=learning.consent_default,
            ),
            energy_advice,
            RecommendConfig(
                top_k=recommend.top_k,
                max_top_k=recommend.max_top_k,
                mmr_lambda=recommend.mmr_lambda,
                freshness_half_life_days=recommend.freshness_half_life_days,
                energy_items=recommend.energy_items,
                profile=ProfileSettings(
                    profile_events=recommend.profile_events,
                    event_weights=dict(learning.event_weights),
                    half_life_days=learning.half_life_days,
                    consent_default=learning.consent_default,
                ),
                country=recommend.country,
            ),
        )

    @property
    def chooser(self) -> StrategyChooser:
        return self._chooser

    def recommend(
        self, user_id: str | None, top_k: int | None = None, *, strategy: str | None = None, log: bool = True
    ) -> Recommendations:
        """Up to ``top_k`` items for ``user_id`` (None: a cold-start list for nobody in particular).

        ``strategy`` overrides the bandit (benchmarks log uniformly random strategies this way); ``log``
        writes the ``recommend`` event when the user exists.
        """
        k = self._config.top_k if top_k is None else top_k
        if not 1 <= k <= self._config.max_top_k:
            raise InvalidInput(f"top_k must be between 1 and {self._config.max_top_k}.")
        if user_id is not None:
            user_id = _checked_uuid(user_id)
        now = self._clock()
        collection = self._collections.active()
        with self._database.unit_of_work(read_only=True) as uow:
            profile = build_profile(uow, self._vectors, collection, user_id, self._config.profile, now)
        chosen = self._strategy(profile, strategy)
        advice, meter_ids = self._advice(profile, k)
        slots = min(len(advice), math.ceil(k / ENERGY_EVERY))
        with self._database.unit_of_work(read_only=True) as uow:
            content = rank(
                uow,
                self._vectors,
                collection,
                profile,
                chosen,
                k - slots,
                mmr_lambda=self._config.mmr_lambda,
                freshness_half_life_days=self._config.freshness_half_life_days,
                now=now,
                countries=self._countries,
            )
        items = interleave([_content_item(r) for r in content], [_energy_item(a) for a in advice], k)
        recommendation_id = self._log(profile, chosen, items, now) if log else None
        extra: dict[str, Any] = {
            "segment": profile.segment,
            "personalized": profile.personalized and profile.vector is not None,
            "profile_events": profile.events_used,
            "meter_ids": meter_ids,
            "bandit": self._chooser.enabled and strategy is None,
            "country": self._config.country,
        }
        return Recommendations(items, chosen, recommendation_id, extra)

    def _strategy(self, profile: UserProfile, override: str | None) -> str:
        arms = strategies_for(profile.segment)
        if override is None:
            return self._chooser.choose(profile.segment)
        if override not in arms:
            raise InvalidInput(
                f"Strategy {override!r} is not available here; choose one of {', '.join(arms)}."
            )
        return override

    def _advice(self, profile: UserProfile, k: int) -> tuple[list[EnergyAdvice], list[str]]:
        if self._energy_advice is None or not profile.known or profile.user_id is None:
            return [], []
        meter_ids = self._energy_advice.meters_of(profile.user_id)
        if not meter_ids or self._config.energy_items <= 0:
            return [], meter_ids
        return self._energy_advice.for_user(profile.user_id, min(self._config.energy_items, k)), meter_ids

    def _log(
        self, profile: UserProfile, strategy: str, items: Sequence[Recommendation], now: datetime
    ) -> str | None:
        if not profile.known or profile.user_id is None:
            return None
        event = Event(
            event_id=str(uuid.uuid4()),
            user_id=profile.user_id,
            ts=now,
            type=EventType.RECOMMEND,
            meta={
                "strategy": strategy,
                "segment": profile.segment,
                "chunk_ids": [item.chunk_id for item in items if item.chunk_id is not None],
                "energy": [
                    item.payload["advice_type"] for item in items if item.kind == RecommendationKind.ENERGY
                ],
            },
        )
        with self._database.unit_of_work() as uow:
            uow.events.add_many([event])
            uow.commit()
        return event.event_id


def interleave(
    content: Sequence[Recommendation], energy: Sequence[Recommendation], k: int
) -> list[Recommendation]:
    """Energy advice on places 1, 4, 7 … (0, 3, 6 … counted from zero), content on the others; either
    kind fills in for the other when it runs out; at most ``k`` items."""
    merged: list[Recommendation] = []
    content_left, energy_left = list(content), list(energy)
    while len(merged) < k and (content_left or energy_left):
        energy_turn = len(merged) % ENERGY_EVERY == 0
        source = energy_left if (energy_turn and energy_left) or not content_left else content_left
        merged.append(source.pop(0))
    return merged


def _content_item(ranked: Ranked) -> Recommendation:
    return Recommendation(
        ranked.chunk_id, ranked.score, ranked.payload, ranked.reason, RecommendationKind.CONTENT
    )


def _energy_item(advice: EnergyAdvice) -> Recommendation:
    payload: dict[str, Any] = {
        "advice_type": advice.kind,
        "title": advice.title,
        "text": advice.text,
        "meter_id": advice.meter_id,
        "saving_eur_month": advice.saving_eur_month,
        "period_from": _iso(advice.period_from),
        "period_to": _iso(advice.period_to),
        "figures": {
            name: _iso(value) if isinstance(value, datetime) else value
            for name, value in advice.figures.items()
        },
    }
    return Recommendation(None, advice.score, payload, advice.reason, RecommendationKind.ENERGY)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _checked_uuid(user_id: str) -> str:
    try:
        return str(uuid.UUID(user_id))
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput(f"user_id must be a UUID, got {str(user_id)[:60]!r}.") from None
