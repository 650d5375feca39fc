"""Everything Luna stores about one customer, as one JSON document (GDPR Art. 15 and 20).

`GET /users/me` gives counts only; a customer could read their conversations back, but not their
events (with the ``meta`` their client sent), ratings, labels, consent history or meter links. The
export holds each of them as stored: ratings redacted, the data flywheel's pseudonymous copies left
out (they hold nothing the conversations do not, and no key to them is the customer's).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from luna.domain.errors import NotFound
from luna.ports.sql import UnitOfWork

#: Far before any stored rating: the ratings' reader takes a lower bound.
_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


def user_export(uow: UnitOfWork, user_id: str) -> dict[str, Any]:
    """The user's record, consent history, events, ratings, labels, meter links and conversations."""
    user = uow.users.get(user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id!r}.")
    listed = uow.conversations.list_for_user(user_id, limit=max(uow.conversations.count(user_id=user_id), 1))
    conversations = [uow.conversations.get(c.conversation_id) for c in listed]
    exported: dict[str, Any] = _plain(
        {
            "user": {"user_id": user.user_id, "created_at": user.created_at},
            "consent": uow.consent.for_user(user_id),
            "events": uow.events.for_user(user_id, limit=max(uow.events.count(user_id=user_id), 1)),
            "ratings": uow.feedback.for_user(user_id, since=_EPOCH),
            "labels": uow.feedback.labels(user_id=user_id),
            "meters": uow.user_meters.meters_for(user_id),
            "conversations": [c for c in conversations if c is not None],
        }
    )
    return exported


def _plain(value: Any) -> Any:
    """``value`` as JSON holds it: dataclasses as objects, times in ISO-8601, enums by their value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, int | float | str | bool):
        return value.value
    return value
