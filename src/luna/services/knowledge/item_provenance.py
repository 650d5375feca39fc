"""Who added a document and who removed it: the audit lines of the knowledge base, and the rule that
lets a crashed ingest job clean up after itself."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from luna.domain.items import Item, ItemStatus
from luna.domain.scores import AuditEntry

if TYPE_CHECKING:
    from luna.services.knowledge.ingest import IngestRequest

#: The audit actions of a new and a deleted document; their target is ``item:<id>``.
ITEM_ADDED_ACTION: Final = "item.add"
ITEM_DELETED_ACTION: Final = "item.delete"


def item_entry(action: str, actor: str, item: Item, details: Mapping[str, object]) -> AuditEntry:
    """The audit line of a document added or deleted: who, which item, with what effect."""
    return AuditEntry(
        audit_id=str(uuid.uuid4()),
        ts=datetime.now(UTC),
        actor=actor,
        action=action,
        target=f"item:{item.item_id}",
        details={"title": item.title, **details},
    )


def left_behind_by(existing: Item, request: IngestRequest) -> bool:
    """A pending item of the same job: the job crashed mid-ingest and now runs again, so it replaces it.

    Only a job's own retry may do that (its ``added_by`` names the job ID); anyone else gets a 409
    while the item is pending, as another process may still be writing it.
    """
    return (
        existing.status is ItemStatus.PENDING
        and request.added_by.startswith("job:")
        and existing.added_by == request.added_by
    )
