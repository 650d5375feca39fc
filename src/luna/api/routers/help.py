"""``/api/v1/help``: German help for the dashboards' views, written by Luna from her knowledge base.

Customers read the help of the customer views; operators (the admin key) read every view's. A text is
written once
per route and model version and then served from the cache; see :mod:`luna.services.knowledge.help`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from luna.api.callers import Caller, current_caller
from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.help import HelpRouteOut, HelpRoutesOut, HelpTextOut
from luna.domain.help import MAX_ROUTE_CHARS, Audience
from luna.services.knowledge.help import HelpService

router = APIRouter(prefix="/help", tags=["help"])

_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: error_response("No valid credentials"),
    403: error_response("The X-Admin-Key is wrong"),
}


Help = Annotated[HelpService, from_services(lambda s: s.help)]


@router.get(
    "/context",
    summary="German help text for a dashboard route",
    description="The view's purpose, then what Luna's knowledge base says about it, with `[chunk <id>]` "
    "citations (`sources`), at most `help.max_chars` characters. Written by the configured chat model once "
    "per route and model version (chat model, embedding model, knowledge-base state) and then cached. "
    "When no text can be written (`help.generate` off, empty knowledge base, nothing relevant, model down "
    "or timed out) the route's written fallback is served with `generated: false`. "
    "`GET /api/v1/help/routes` lists the routes. A customer reads the help of the customer views; the admin "
    "views' help is for operators (404 for a customer, listing the customer's routes).",
    responses={
        **_AUTH_ERRORS,
        404: error_response("Unknown route; `data.details.known_routes` lists the known ones"),
        503: error_response("The database is busy or unreachable"),
    },
)
def context(
    service: Help,
    caller: Annotated[Caller, Depends(current_caller)],
    route: Annotated[
        str | None,
        Query(description="Dashboard route, e.g. `/energy` or `/admin/jobs`", max_length=MAX_ROUTE_CHARS),
    ] = None,
) -> Envelope[HelpTextOut]:
    text = service.context(route, _audience(caller))
    how = "written by Luna" if text.generated else "written fallback"
    return ok(HelpTextOut.from_text(text), f"Help for {text.route} ({how}).")


@router.get(
    "/routes",
    summary="The dashboard routes whose help the caller may read, with title, audience and purpose",
    responses=_AUTH_ERRORS,
)
def routes(service: Help, caller: Annotated[Caller, Depends(current_caller)]) -> Envelope[HelpRoutesOut]:
    listed = [HelpRouteOut.from_route(route) for route in service.routes(_audience(caller))]
    return ok(HelpRoutesOut(routes=listed), f"{len(listed)} routes.")


def _audience(caller: Caller) -> Audience | None:
    """A customer reads the customer views' help; an operator (the admin key) reads every view's."""
    return None if caller.is_admin else Audience.CUSTOMER
