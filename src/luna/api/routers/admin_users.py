"""``/api/v1/admin/users/{user_id}/meters``: operators link customers to their meters,
``/api/v1/admin/meters/{meter_id}/claim-code`` gives the code customers link a meter with themselves,
and ``PATCH /api/v1/admin/meters/{meter_id}`` corrects a meter's reading interval.

A customer's energy advice (``/recommend`` items of kind ``energy``, the "Handlungsempfehlung" in
Luna's answers) is about exactly these meters.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.path_ids import PathMeterId, meter_or_404, uuid_or_404
from luna.api.schemas.data import MeterIntervalRequest, MeterOut
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.meter_claims import ClaimCodeOut
from luna.api.schemas.recommend import MeterLinksOut, MeterLinksRequest
from luna.services.energy.energy_data import EnergyDataService
from luna.services.energy.user_meters import MeterLinkService

router = APIRouter(tags=["admin"])


Links = Annotated[MeterLinkService, from_services(lambda s: s.meter_links)]
Data = Annotated[EnergyDataService, from_services(lambda s: s.energy_data)]
#: PUT creates the customer, so an ID that is not a UUID is bad input there (400); GET and DELETE look
#: one up, and such an ID names nobody (404, as on every other lookup by ID).
NewUserId = Annotated[uuid.UUID, Path(description="The customer's UUID (the `sub` of their token)")]
UserId = Annotated[str, Path(max_length=64, description="The customer's UUID (the `sub` of their token)")]


@router.put(
    "/users/{user_id}/meters",
    summary="Set the meters a customer's energy advice is about",
    description="Replaces the customer's meter links with `meter_ids` (an empty list removes all). A "
    "customer who never signed in is created. An unknown meter is a 404 listing it in "
    "`data.details.unknown_meter_ids`, and then nothing changes.",
    responses={404: error_response("A meter is unknown; no link was changed")},
)
def put_meters(links: Links, user_id: NewUserId, body: MeterLinksRequest) -> Envelope[MeterLinksOut]:
    result = links.replace(str(user_id), body.meter_ids)
    return ok(MeterLinksOut.from_links(result), f"{len(result.meters)} meters linked.")


@router.get(
    "/users/{user_id}/meters",
    summary="The meters linked to a customer",
    responses={404: error_response("No user with this ID")},
)
def get_meters(links: Links, user_id: UserId) -> Envelope[MeterLinksOut]:
    result = links.links(uuid_or_404(user_id, "user"))
    return ok(MeterLinksOut.from_links(result), f"{len(result.meters)} meters linked.")


@router.delete(
    "/users/{user_id}/meters/{meter_id}",
    summary="Unlink one meter from a customer",
    responses={404: error_response("No user with this ID, or the meter is not linked to them")},
)
def delete_meter(links: Links, user_id: UserId, meter_id: PathMeterId) -> Envelope[MeterLinksOut]:
    result = links.unlink(uuid_or_404(user_id, "user"), meter_or_404(meter_id))
    return ok(MeterLinksOut.from_links(result), f"Meter {meter_id} unlinked; {len(result.meters)} remain.")


@router.get(
    "/meters/{meter_id}/claim-code",
    summary="The claim code customers link this meter with",
    description="The code (Freischaltcode) to print on the bill or send to the meter's customer, who then "
    "links the meter with `POST /api/v1/users/me/meters`. It is derived from the meter ID and "
    "`auth.jwt_secret`, so it stays the same until that secret is rotated (which replaces every code).",
    responses={
        404: error_response("No meter with this ID"),
        503: error_response("Claim codes are not set up (no `auth.jwt_secret`)"),
    },
)
def get_claim_code(links: Links, meter_id: PathMeterId) -> Envelope[ClaimCodeOut]:
    code = links.claim_code(meter_or_404(meter_id))
    return ok(ClaimCodeOut(meter_id=meter_id, code=code), f"Claim code of meter {meter_id}.")


@router.patch(
    "/meters/{meter_id}",
    summary="Correct a meter's reading interval",
    description="Sets `interval_s`, the time one reading covers, and recomputes the kWh of all the meter's "
    "rollups. A meter first seen over MQTT, or in a file with one row of it, is stored at the default "
    "minute: its 15-minute readings then count a fifteenth of their energy, and a feed's report notes "
    "that its rows are further apart than its interval. An interval longer than the spacing of its "
    "stored readings is refused (409): each reading would count for more time than it covers.",
    responses={
        404: error_response("No meter with this ID"),
        409: error_response("The meter's stored readings are closer together than the interval"),
    },
)
def patch_meter(data: Data, meter_id: PathMeterId, body: MeterIntervalRequest) -> Envelope[MeterOut]:
    meter = data.set_interval(meter_or_404(meter_id), body.interval_s)
    return ok(MeterOut.model_validate(meter), f"Meter {meter_id} reads every {meter.interval_s} s.")
