"""Bodies of ``/api/v1/rag/conversations``: a user's dialogues with Luna."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from luna.domain.conversations import Conversation, Turn


class SourceOut(BaseModel):
    chunk_id: str
    score: float
    payload: dict[str, Any] = Field(description="The cited chunk as it was shown with the answer")


class TurnOut(BaseModel):
    position: int = Field(description="0 for the conversation's first question")
    question: str
    answer: str
    model: str
    created_at: datetime
    sources: list[SourceOut]
    unsupported_numbers: list[str]
    follow_ups: list[str] = Field(description="Questions offered with a refusal")

    @classmethod
    def from_turn(cls, turn: Turn) -> TurnOut:
        return cls(
            position=turn.position,
            question=turn.question,
            answer=turn.answer,
            model=turn.model,
            created_at=turn.created_at,
            sources=[SourceOut(chunk_id=s.chunk_id, score=s.score, payload=s.payload) for s in turn.sources],
            unsupported_numbers=list(turn.unsupported_numbers),
            follow_ups=list(turn.follow_ups),
        )


class ConversationOut(BaseModel):
    conversation_id: str
    title: str = Field(description="The first question, shortened")
    created_at: datetime
    updated_at: datetime = Field(description="Time of the newest turn")
    turns: list[TurnOut] | None = Field(None, description="Only when one conversation is read")

    @classmethod
    def from_conversation(cls, conversation: Conversation, *, with_turns: bool) -> ConversationOut:
        return cls(
            conversation_id=conversation.conversation_id,
            title=conversation.title,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
            turns=[TurnOut.from_turn(t) for t in conversation.turns] if with_turns else None,
        )


class ConversationListOut(BaseModel):
    conversations: list[ConversationOut]
