"""``/api/v1/admin/users/{user_id}/data``: an operator erases a user's data (GDPR requests by mail);
``/api/v1/admin/users/external/{external_user_id}/sessions``: the sessions a webhook sent for one of
its own users (no Luna user, so only the flywheel holds them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.path_ids import uuid_or_404
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.events import ErasureOut
from luna.services.learning.privacy import PrivacyService

router = APIRouter(prefix="/users", tags=["admin"])


@router.delete(
    "/{user_id}/data",
    summary="Erase a user's events, ratings, labels and consent records",
    description="Everything in one transaction; the answer counts what was erased. An audit entry "
    "(action `users.erase`, actor `admin`) keeps the counts, nothing of the content.",
    responses={404: error_response("No user with this ID")},
)
def erase_user_data(
    privacy: Annotated[PrivacyService, from_services(lambda s: s.privacy)],
    user_id: Annotated[str, Path(max_length=64, description="The user's UUID")],
) -> Envelope[ErasureOut]:
    erasure = privacy.erase(uuid_or_404(user_id, "user"), actor="admin")
    return ok(ErasureOut.from_erasure(erasure), f"The data of user {erasure.user_id} was erased.")


class ExternalErasureOut(BaseModel):
    flywheel_sessions: int = Field(description="Sessions erased, every revision")
    flywheel_questions: int = Field(description="Their questions the data flywheel had embedded")
    ticket_examples: int = Field(description="Flywheel tickets whose example questions held some of theirs")


@router.delete(
    "/external/{external_user_id}/sessions",
    summary="Erase the sessions a webhook sent for one of its users (e.g. n8n's kunde-42)",
    description="Found by the pseudonym of the ID the sender used, as the sessions were stored; their "
    "embedded questions go too, and their questions among the tickets' example questions. No other "
    "route reaches them: such a user is no Luna user. Audited (`sessions.erase_user`) with the counts "
    "only. An ID that names no session erases nothing (0, 0).",
    responses={503: error_response("The flywheel keeps no sessions here (no pseudonym key)")},
)
def erase_external_sessions(
    privacy: Annotated[PrivacyService, from_services(lambda s: s.privacy)],
    external_user_id: Annotated[str, Path(min_length=1, max_length=200, description="The sender's user ID")],
) -> Envelope[ExternalErasureOut]:
    out = ExternalErasureOut(**privacy.erase_external(external_user_id, actor="admin"))
    return ok(out, f"{out.flywheel_sessions} session(s) of that user erased.")
