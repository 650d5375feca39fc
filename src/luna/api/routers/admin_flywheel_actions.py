"""``/api/v1/admin/flywheel/actions``: the tickets alerts opened; operators approve, reject or close them.

A move the ticket's status does not allow (approving a rejected ticket, closing a running one) is a
400 ``invalid_input`` naming the allowed moves, like every request the service refuses by its rules;
409 is kept for a ticket another operator moved between reading and writing (retry after a look).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.flywheel_actions import ActionDecisionIn, ActionListOut, ActionOut, ActionRecordOut
from luna.domain.flywheel.actions import ActionStatus
from luna.services.flywheel.actions import MAX_PAGE_SIZE, ActionService

router = APIRouter(prefix="/flywheel/actions", tags=["flywheel"])
Actions = Annotated[ActionService, from_services(lambda s: s.actions)]
ActionId = Annotated[str, Path(min_length=1, max_length=64)]
#: Who the history names when an operator decides through the API.
ADMIN_ACTOR = "admin"

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: error_response("No action with this id")}
_DECISION: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    400: error_response("The ticket's status does not allow this move"),
    409: error_response("Another caller moved the ticket meanwhile"),
}


@router.get("", summary="Action tickets, newest first")
def list_actions(
    actions: Actions,
    status: Annotated[ActionStatus | None, Query(description="Only tickets in this status")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> Envelope[ActionListOut]:
    listed = [ActionOut.from_action(action) for action in actions.list(status, limit)]
    return ok(ActionListOut(actions=listed), f"{len(listed)} action(s).")


@router.get("/{action_id}", summary="One ticket with its history", responses=_NOT_FOUND)
def get_action(action_id: ActionId, actions: Actions) -> Envelope[ActionRecordOut]:
    return ok(ActionRecordOut.from_record(actions.get(action_id)))


@router.post(
    "/{action_id}/approve",
    summary="Approve an open ticket (or retry a failed one); a runnable one starts its job",
    responses=_DECISION,
)
def approve_action(
    action_id: ActionId, actions: Actions, body: ActionDecisionIn | None = None
) -> Envelope[ActionRecordOut]:
    record = actions.approve(action_id, ADMIN_ACTOR, None if body is None else body.note)
    return ok(ActionRecordOut.from_record(record), f"Action is {record.action.status.value}.")


@router.post("/{action_id}/reject", summary="Reject an open or approved ticket", responses=_DECISION)
def reject_action(
    action_id: ActionId, actions: Actions, body: ActionDecisionIn | None = None
) -> Envelope[ActionRecordOut]:
    record = actions.reject(action_id, ADMIN_ACTOR, None if body is None else body.note)
    return ok(ActionRecordOut.from_record(record), "Action rejected.")


@router.post(
    "/{action_id}/complete",
    summary="Close an approved ticket whose work a person did (no job runs it)",
    responses=_DECISION,
)
def complete_action(
    action_id: ActionId, actions: Actions, body: ActionDecisionIn | None = None
) -> Envelope[ActionRecordOut]:
    record = actions.complete(action_id, ADMIN_ACTOR, None if body is None else body.note)
    return ok(ActionRecordOut.from_record(record), "Action done.")
