"""``/api/v1/feedback``: ratings of Luna's answers, stored with personal data redacted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from luna.api.callers import Caller, current_caller
from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.routers.events import owner_of
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.events import FeedbackIn, FeedbackSaved
from luna.services.learning.feedback import FeedbackService

router = APIRouter(
    prefix="/feedback",
    tags=["feedback"],
    responses={401: error_response("No valid credentials (customer token or admin key)")},
)


@router.post(
    "/rag",
    status_code=201,
    summary="Rate an answer of Luna (useful or not)",
    description="Seed body `{user_id?, question, answer, useful, notes?, chunks_used?}`. Question, answer "
    "and notes are stored with names, e-mail addresses, phone numbers, IBANs and postal addresses replaced "
    "by placeholders (`[NAME]`, `[E-MAIL]`, `[TELEFON]`, `[IBAN]`, `[ADRESSE]`). Each cited item gets a "
    "label (reward +1 or −1), each cited chunk a `feedback` event. With the admin key and no `user_id` the "
    "rating is stored without labels and events.",
    responses={
        400: error_response("A field is missing, too long, of the wrong type or holds a NUL character"),
        403: error_response("A customer named another user in `user_id`; nothing was stored"),
        404: error_response(
            "`chunks_used` names unknown chunks (`data.details.chunk_ids`); nothing was stored"
        ),
    },
)
def rate_answer(
    service: Annotated[FeedbackService, from_services(lambda s: s.feedback)],
    caller: Annotated[Caller, Depends(current_caller)],
    body: FeedbackIn,
) -> Envelope[FeedbackSaved]:
    user_id = owner_of(caller, body.user_id)
    result = service.rate(
        user_id=user_id if isinstance(user_id, str) else None,
        question=body.question,
        answer=body.answer,
        useful=body.useful,
        notes=body.notes,
        chunks_used=body.chunks_used,
    )
    saved = FeedbackSaved(
        feedback_id=result.feedback_id,
        labels=result.labels,
        events=result.events,
        redactions=result.redactions,
    )
    return ok(saved, f"Rating saved with {result.labels} labels.")
