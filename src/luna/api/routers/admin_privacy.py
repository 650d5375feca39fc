"""``/api/v1/admin/users/{user_id}/data``: an operator erases a user's data (GDPR requests by mail)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

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
