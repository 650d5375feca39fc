"""``/api/v1/rag/conversations``: a customer's dialogues with Luna, to list, reread and delete.

Questions are asked through ``POST /rag/ask`` with an optional ``conversation_id``; these routes read
what was stored. A conversation belongs to its user: another user's ID is a 404, like an unknown one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from luna.api.auth import current_user
from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import CUSTOMER_ERRORS, error_response
from luna.api.path_ids import uuid_or_404
from luna.api.schemas.conversations import ConversationListOut, ConversationOut
from luna.api.schemas.envelope import Envelope
from luna.domain.users import User
from luna.services.knowledge.conversations import LIST_LIMIT, ConversationService

router = APIRouter(
    prefix="/rag/conversations",
    tags=["rag"],
    responses=CUSTOMER_ERRORS,
)

Me = Annotated[User, Depends(current_user)]
Conversations = Annotated[ConversationService, from_services(lambda s: s.conversations)]


@router.get(
    "",
    summary="Your conversations with Luna, the newest first (without their turns)",
    description=f"At most `limit` (up to {LIST_LIMIT}); the next page with `offset` set to the number "
    "already read. A page shorter than `limit` is the last.",
)
def list_conversations(
    service: Conversations,
    user: Me,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT)] = LIST_LIMIT,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Conversations to skip")] = 0,
) -> Envelope[ConversationListOut]:
    found = service.recent(user.user_id, limit, offset)
    items = [ConversationOut.from_conversation(c, with_turns=False) for c in found]
    return ok(ConversationListOut(conversations=items), f"{len(items)} conversation(s).")


@router.get(
    "/{conversation_id}",
    summary="One of your conversations: every question and answer with the sources shown",
    responses={404: error_response("No conversation of yours with this ID")},
)
def get_conversation(service: Conversations, user: Me, conversation_id: str) -> Envelope[ConversationOut]:
    conversation = service.get(user.user_id, uuid_or_404(conversation_id, "conversation"))
    return ok(ConversationOut.from_conversation(conversation, with_turns=True))


@router.delete(
    "/{conversation_id}",
    summary="Delete one of your conversations with all its turns",
    responses={404: error_response("No conversation of yours with this ID")},
)
def delete_conversation(service: Conversations, user: Me, conversation_id: str) -> Envelope[None]:
    service.delete(user.user_id, uuid_or_404(conversation_id, "conversation"))
    return ok(None, "Conversation deleted.")
