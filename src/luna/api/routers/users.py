"""``/api/v1/users/me``: a customer's own record and meters, their consent to learning, and erasure of
their data.

Customers only (JWT, or ``X-Dev-User`` in development): "me" is the user of the token. A customer
links a meter with the claim code on their bill and removes their own links; operators set anyone's
links under ``/api/v1/admin/users/{user_id}/meters`` and erase a user's data under
``/api/v1/admin/users/{user_id}/data``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from luna.api.auth import current_user
from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import CUSTOMER_ERRORS, error_response
from luna.api.path_ids import PathMeterId, meter_or_404
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.events import ConsentIn, ConsentOut, ErasureOut, UserOut
from luna.api.schemas.meter_claims import MeterClaimRequest
from luna.api.schemas.recommend import MeterLinksOut
from luna.domain.users import User
from luna.services.energy.user_meters import MeterLinkService
from luna.services.learning.privacy import PrivacyService

router = APIRouter(
    prefix="/users",
    tags=["users"],
    responses=CUSTOMER_ERRORS,
)

Me = Annotated[User, Depends(current_user)]


Privacy = Annotated[PrivacyService, from_services(lambda s: s.privacy)]
MeterLinks = Annotated[MeterLinkService, from_services(lambda s: s.meter_links)]


@router.get(
    "/me/meters",
    summary="Your meters: the ones your energy advice and charts are about",
    description="You link a meter yourself with `POST /api/v1/users/me/meters` and the claim code on your "
    "bill; operators link meters with `PUT /api/v1/admin/users/{user_id}/meters`.",
)
def my_meters(meter_links: MeterLinks, user: Me) -> Envelope[MeterLinksOut]:
    links = meter_links.links(user.user_id)
    return ok(MeterLinksOut.from_links(links), f"{len(links.meter_ids)} meter(s) linked to you.")


@router.post(
    "/me/meters",
    summary="Link a meter to you with the claim code on your bill",
    description="Adds `meter_id` to your meters when `code` is its claim code (Freischaltcode; the "
    "operator reads it with `GET /api/v1/admin/meters/{meter_id}/claim-code`). Your other meters stay; "
    "a meter you already have changes nothing. A wrong code and an unknown meter get the same 422 "
    "`claim_refused`, and nothing is stored. Five attempts per minute, right or wrong; beyond, 429 with "
    "`Retry-After`. Audited (`meters.links`, you as actor, `via: claim_code`).",
    responses={
        409: error_response("You already have the most meters a customer can have (100)"),
        422: error_response("No meter with this number and claim code (`claim_refused`)"),
        429: error_response("Too many attempts in the last minute (see Retry-After)"),
        503: error_response("Claim codes are not set up (no `auth.jwt_secret`)"),
    },
)
def claim_meter(meter_links: MeterLinks, user: Me, body: MeterClaimRequest) -> Envelope[MeterLinksOut]:
    links = meter_links.claim(user.user_id, body.meter_id, body.code)
    return ok(MeterLinksOut.from_links(links), f"Meter {body.meter_id} is linked to you.")


@router.delete(
    "/me/meters/{meter_id}",
    summary="Unlink one of your meters",
    description="Its readings and advice are no longer yours to see; the claim code links it again. "
    "Audited with you as actor.",
    responses={404: error_response("The meter is not one of your meters")},
)
def unlink_meter(meter_links: MeterLinks, user: Me, meter_id: PathMeterId) -> Envelope[MeterLinksOut]:
    links = meter_links.unlink(user.user_id, meter_or_404(meter_id), actor=f"user:{user.user_id}")
    return ok(MeterLinksOut.from_links(links), f"Meter {meter_id} unlinked; {len(links.meters)} remain.")


@router.get("/me", summary="Your user record: ID, consent to learning, and what is stored about you")
def me(service: Privacy, user: Me) -> Envelope[UserOut]:
    return ok(UserOut.from_record(service.record(user.user_id)))


@router.get(
    "/me/export",
    summary="Everything Luna stores about you, as one JSON document",
    description="Your user record, consent history, events (with the `meta` your client sent), ratings "
    "(stored redacted), labels, linked meters and conversations with their turns and sources: your "
    "right of access and to data portability. The data flywheel's copies are pseudonymous and hold "
    "nothing your conversations do not; they are not included.",
)
def export_my_data(service: Privacy, user: Me) -> Envelope[dict[str, Any]]:
    exported = service.export(user.user_id)
    counts = ", ".join(f"{len(exported[k])} {k}" for k in ("events", "ratings", "conversations"))
    return ok(exported, f"Your data: {counts}.")


@router.get(
    "/me/consent",
    summary="Whether Luna may learn from your events and ratings",
    description="Your newest decision, or the operator's default (`learning.consent_default`) while you "
    "have made none (`decided: false`).",
)
def get_consent(service: Privacy, user: Me) -> Envelope[ConsentOut]:
    return ok(ConsentOut.from_state(service.consent(user.user_id)))


@router.put(
    "/me/consent",
    summary="Allow or withdraw learning from your events and ratings",
    description="Appends a consent record (scope `learning`); the newest one counts. Withdrawn consent "
    "keeps Luna working for you: events and ratings are still stored, but the learning job and the "
    "recommender's strategy statistics leave them out. Scores already computed change at the next run.",
)
def put_consent(service: Privacy, user: Me, body: ConsentIn) -> Envelope[ConsentOut]:
    state = service.set_consent(user.user_id, body.learning)
    return ok(ConsentOut.from_state(state), "Consent given." if state.learning else "Consent withdrawn.")


@router.delete(
    "/me/data",
    summary="Erase your events, ratings, labels and consent records",
    description="Everything in one transaction; the answer counts what was erased. An audit entry records "
    "that you erased your data, with counts only. Your user ID itself stays (it is in your token) and is "
    "used again by your next request.",
)
def erase_my_data(service: Privacy, user: Me) -> Envelope[ErasureOut]:
    erasure = service.erase(user.user_id, actor=f"user:{user.user_id}")
    return ok(ErasureOut.from_erasure(erasure), "Your data was erased.")
