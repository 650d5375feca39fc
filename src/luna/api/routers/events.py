"""``/api/v1/events``: what users do (view, click, like …), one event or a batch of up to 1,000.

Customers (JWT, or ``X-Dev-User`` in development) record events for themselves; the admin key may
record them for any user (the CLI, imports, the simulator of user behaviour).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends

from luna.api.callers import Caller, current_caller
from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.errors import Forbidden
from luna.api.openapi import error_response
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.events import EventBatchIn, EventIn, EventSaved, EventsSaved
from luna.services.learning.events import EventService

router = APIRouter(
    prefix="/events",
    tags=["events"],
    responses={401: error_response("No valid credentials (customer token or admin key)")},
)

Events = Annotated[EventService, from_services(lambda s: s.events)]
CallerDep = Annotated[Caller, Depends(current_caller)]

_FORBIDDEN = error_response("A customer named another user in `user_id`; nothing was stored")


def owner_of(caller: Caller, requested: object) -> object:
    """The user something is recorded for: a customer's own when none is named, and never another one
    (403). Values that are not UUIDs are passed on for the service to refuse (400)."""
    if caller.user_id is None:
        return requested
    if requested is None:
        return caller.user_id
    if isinstance(requested, str):
        try:
            named = str(uuid.UUID(requested))
        except ValueError:
            return requested
        if named != caller.user_id:
            raise Forbidden("Customers may only record events and ratings for themselves.")
    return requested


@router.post(
    "",
    status_code=201,
    summary="Record one event",
    description="Seed body `{user_id, type, ts?, item_id?, chunk_id?, meta?}`. `ts` defaults to now; "
    "`chunk_id` fills in `item_id`. Events of users who withdrew consent are stored but not learned from.",
    responses={
        400: error_response(
            "Unknown type (the allowed ones are in the message), a time without zone or in the future, "
            "a non-UUID ID, a chunk of another item, or a `meta` that is too large or deep"
        ),
        403: _FORBIDDEN,
        404: error_response("`item_id` or `chunk_id` names nothing; nothing was stored"),
    },
)
def post_event(service: Events, caller: CallerDep, body: EventIn) -> Envelope[EventSaved]:
    raw = body.model_dump()
    raw["user_id"] = owner_of(caller, raw["user_id"])
    event = service.record(raw)
    saved = EventSaved(event_id=event.event_id, ts=event.ts, item_id=event.item_id)
    return ok(saved, f"Event {event.type.value} saved.")


@router.post(
    "/batch",
    status_code=201,
    summary="Record up to 1,000 events at once, all or none",
    description="Every event is checked before any is stored. When one has a problem, nothing is stored "
    "and the answer lists the problems as `data.details.errors: [{index, field, message}]` (unknown IDs "
    "included; the first 100 by index, `not_listed` counts the rest). On success all events are stored "
    "in one transaction.",
    responses={
        400: error_response("At least one event has a problem (`data.details.errors`); nothing was stored"),
        403: _FORBIDDEN,
        413: error_response(
            "More than 1,000 events (or a body beyond `api.max_json_kb`); nothing was stored"
        ),
    },
)
def post_events(service: Events, caller: CallerDep, body: EventBatchIn) -> Envelope[EventsSaved]:
    raws = [
        {**raw, "user_id": owner_of(caller, raw.get("user_id"))} if isinstance(raw, Mapping) else raw
        for raw in body.events
    ]
    events = service.record_batch(raws)
    return ok(
        EventsSaved(saved=len(events), event_ids=[e.event_id for e in events]), f"{len(events)} events saved."
    )
