"""Users, known by the UUID in their token and created on first sight."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.inserts import insert_unless_present
from luna.adapters.sql.keys import parse_uuid, require_uuid
from luna.adapters.sql.tables import users
from luna.domain.errors import Conflict, InvalidInput
from luna.domain.users import User, placeholder_refusal


class SqlUserRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def get(self, user_id: str) -> User | None:
        key = parse_uuid(user_id)
        if key is None:
            return None
        row = self._connection().execute(sa.select(users).where(users.c.user_id == key)).one_or_none()
        return None if row is None else _to_user(row)

    def get_or_create(self, user_id: str, external_id: str | None = None) -> User:
        """Insert-if-absent in one statement, so two requests of a new user at once both succeed."""
        existing = self.get(user_id)
        if existing is not None:
            return existing
        key = require_uuid(user_id, "user_id")
        if (refusal := placeholder_refusal(user_id)) is not None:
            raise InvalidInput(refusal, details={"field": "user_id"})
        insert_unless_present(self._connection(), users, {"user_id": key, "external_id": external_id})
        created = self.get(user_id)
        if created is None:
            raise Conflict(f"external_id {external_id!r} already belongs to another user")
        return created

    def count(self) -> int:
        return int(self._connection().execute(sa.select(sa.func.count()).select_from(users)).scalar_one())


def _to_user(row: sa.Row[Any]) -> User:
    return User(user_id=str(row.user_id), external_id=row.external_id, created_at=row.created_at)
