"""Request and response bodies of ``/recommend`` and of the operators' meter links."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from luna.api.schemas.data import MeterOut
from luna.domain.energy_validation import METER_ID_PATTERN
from luna.domain.recommendations import Recommendation, Recommendations
from luna.services.energy.user_meters import MAX_METERS_PER_USER, MeterLinks

_PAYLOAD_DESCRIPTION = (
    "content: the chunk's `text`, `item_id`, `title`, `kind`, `source`, `tags`, `url`, `version`, `section`, "
    "`page`, `chunk_idx`, its `topics`, `country` (ISO 3166 code of the country the document is about, "
    "e.g. `CH`; null when it does not say: documents of another country than `extra.country` come last) "
    "and the `signals` that ranked it (`content`, `popularity`, `freshness`, `quality`, each 0..1). "
    "energy: `advice_type` (load_shift, pv_self_consumption, tariff, "
    "peak), `title`, `text` (the German advice), `meter_id`, `saving_eur_month` (null for peak), "
    "`period_from`, `period_to` and the `figures` behind it"
)


class RecommendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID | None = Field(
        None,
        description="Whose recommendations: customers may omit it or give their own; operators may name "
        "anyone, or nobody for a cold-start list",
    )
    top_k: int | None = Field(
        None,
        ge=1,
        le=200,
        strict=True,
        description="Length of the list (default `recommend.top_k`, at most `recommend.max_top_k`)",
    )


class RecommendationOut(BaseModel):
    chunk_id: str | None = Field(description="The recommended chunk; null for energy advice")
    score: float = Field(description="How strongly it is recommended (comparable within one kind)")
    payload: dict[str, Any] = Field(description=_PAYLOAD_DESCRIPTION)
    reason: str = Field(
        description="Short German reason, e.g. „weil Sie sich für Photovoltaik interessieren“"
    )
    kind: Literal["content", "energy"]

    @classmethod
    def from_recommendation(cls, item: Recommendation) -> RecommendationOut:
        return cls(
            chunk_id=item.chunk_id,
            score=item.score,
            payload=item.payload,
            reason=item.reason,
            kind=item.kind.value,
        )


class RecommendOut(BaseModel):
    items: list[RecommendationOut]
    strategy: str = Field(
        description="The strategy that ranked the content: content, popular, fresh or blend"
    )
    recommendation_id: str | None = Field(
        description="Send it as `meta.recommendation_id` with this user's click/like/solve events of these "
        "items: that rewards the strategy. Null when the answer was not logged (operator previews)"
    )
    extra: dict[str, Any] = Field(
        description="`segment` (warm: has a profile; cold), `personalized`, `profile_events` (events in the "
        "profile), `meter_ids` (the user's linked meters), `bandit` (whether the bandit chose the strategy), "
        "`country` (the readers' country the list was ranked for, `recommend.country`; null: no regard to "
        "country)"
    )

    @classmethod
    def from_recommendations(cls, result: Recommendations) -> RecommendOut:
        return cls(
            items=[RecommendationOut.from_recommendation(item) for item in result.items],
            strategy=result.strategy,
            recommendation_id=result.recommendation_id,
            extra=result.extra,
        )


MeterId = Annotated[str, StringConstraints(pattern=f"^{METER_ID_PATTERN}$")]


class MeterLinksRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meter_ids: list[MeterId] = Field(
        max_length=MAX_METERS_PER_USER,
        description="Exactly the meters the customer has from now on (an empty list unlinks all)",
    )


class MeterLinksOut(BaseModel):
    user_id: str
    meter_ids: list[str]
    meters: list[MeterOut]

    @classmethod
    def from_links(cls, links: MeterLinks) -> MeterLinksOut:
        return cls(
            user_id=links.user_id,
            meter_ids=links.meter_ids,
            meters=[MeterOut.model_validate(meter) for meter in links.meters],
        )
