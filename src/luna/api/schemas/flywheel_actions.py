"""Bodies of the flywheel's action tickets: a ticket, its history, and an operator's decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from luna.domain.flywheel.actions import Action, ActionEvent, ActionRecord


class ActionDecisionIn(BaseModel):
    """Why an operator approves, rejects or closes a ticket; kept in its history."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, min_length=1, max_length=2_000)


class ActionOut(BaseModel):
    action_id: str
    kind: str = Field(description="knowledge_gap, reindex, learning_run, evaluation_run, finetune_dataset …")
    status: str = Field(description="open, approved, running, done, failed or rejected")
    title: str = Field(description="German, for operators")
    owner: str = Field(description="The team: 'wissen' (content, index) or 'modell' (learning, models)")
    threshold: str
    scope: str
    details: dict[str, Any] = Field(description="The alert that opened it, and what the ticket runs or asks")
    job_id: str | None = Field(description="The job started for it (GET /admin/jobs/{job_id})")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_action(cls, action: Action) -> ActionOut:
        return cls(
            action_id=action.action_id,
            kind=action.kind.value,
            status=action.status.value,
            title=action.title,
            owner=action.owner.value,
            threshold=action.threshold,
            scope=action.scope,
            details=action.details,
            job_id=action.job_id,
            created_at=action.created_at,
            updated_at=action.updated_at,
        )


class ActionEventOut(BaseModel):
    at: datetime
    actor: str
    from_status: str | None = Field(description="null: the ticket's creation")
    to_status: str
    note: str | None

    @classmethod
    def from_event(cls, event: ActionEvent) -> ActionEventOut:
        return cls(
            at=event.at,
            actor=event.actor,
            from_status=None if event.from_status is None else event.from_status.value,
            to_status=event.to_status.value,
            note=event.note,
        )


class ActionRecordOut(ActionOut):
    history: list[ActionEventOut] = Field(description="Every move of the ticket, oldest first")

    @classmethod
    def from_record(cls, record: ActionRecord) -> ActionRecordOut:
        return cls(
            **ActionOut.from_action(record.action).model_dump(),
            history=[ActionEventOut.from_event(event) for event in record.history],
        )


class ActionListOut(BaseModel):
    actions: list[ActionOut]
