"""``/api/v1/recommend``: what a customer should read next, and energy advice for their meters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from luna.api.callers import Caller, current_caller
from luna.api.deps import from_services, get_container
from luna.api.envelope import ok
from luna.api.errors import Forbidden
from luna.api.openapi import error_response
from luna.api.rate_limits import count_recommendation
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.recommend import RecommendOut, RecommendRequest
from luna.container import Container
from luna.services.learning.recommend import RecommendService

router = APIRouter(tags=["recommend"])

Recommender = Annotated[RecommendService, from_services(lambda s: s.recommender)]


@router.post(
    "/recommend",
    summary="Recommendations for a user: chunks to read next and, with linked meters, energy advice",
    description="Content recommendations from the user's positive events (average embedding), blended "
    "with popularity and freshness and diversified across documents (MMR, at most two chunks of one "
    "document while others are left); when the chosen strategy runs dry the list is filled up from the "
    "other strategies and then the whole knowledge base, so it is shorter than `top_k` only when fewer "
    "eligible chunks exist. Unknown users and users "
    "without history get a cold-start list (popular and new). Never what the user disliked, nor "
    "archived chunks. A Thompson-sampling bandit picks the strategy per request from clicks on earlier "
    "answers (send `recommendation_id` in the click's `meta`). Users linked to meters also get energy "
    "advice (`kind: energy`) on places 1, 4, 7 … of the list. Customers get their own list; operators "
    "(X-Admin-Key) may ask for any user or none, and their previews are not logged. Each caller gets "
    "at most `recommend.per_minute` lists (default 60) in any 60 seconds.",
    responses={
        401: error_response("No valid credentials"),
        403: error_response("A customer asked for another user's recommendations"),
        429: error_response(
            "More than `recommend.per_minute` lists in 60 seconds; `details.retry_after_sec`"
        ),
    },
)
def recommend(
    service: Recommender,
    container: Annotated[Container, Depends(get_container)],
    caller: Annotated[Caller, Depends(current_caller)],
    body: RecommendRequest | None = None,
) -> Envelope[RecommendOut]:
    body = body or RecommendRequest()
    asked = None if body.user_id is None else str(body.user_id)
    if caller.is_admin:
        user_id, log = asked, False
    else:
        if asked is not None and asked != caller.user_id:
            raise Forbidden("Customers can only ask for their own recommendations.")
        user_id, log = caller.user_id, True
    count_recommendation(container, caller)
    result = service.recommend(user_id, body.top_k, log=log)
    return ok(
        RecommendOut.from_recommendations(result),
        f"{len(result.items)} recommendations ({result.strategy}).",
    )
