"""The ``user_meters`` table: which meters a customer's energy advice is about."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from luna.adapters.sql.inserts import dialect_insert
from luna.adapters.sql.keys import parse_uuid
from luna.adapters.sql.tables import meters, user_meters, users
from luna.domain.errors import NotFound


class SqlUserMeterRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def link(self, user_id: str, meter_ids: Sequence[str]) -> None:
        """Link the meters; already linked ones stay. Checked first, so a refusal inserts nothing."""
        user = self._existing_user(user_id)
        wanted = sorted(set(meter_ids))
        if not wanted:
            return
        connection = self._connection()
        known = set(
            connection.execute(sa.select(meters.c.meter_id).where(meters.c.meter_id.in_(wanted))).scalars()
        )
        unknown = [meter_id for meter_id in wanted if meter_id not in known]
        if unknown:
            raise NotFound(
                f"No meter {', '.join(repr(m) for m in unknown[:5])}; GET /api/v1/data/meters lists them.",
                details={"unknown_meter_ids": unknown},
            )
        connection.execute(
            dialect_insert(connection, user_meters)
            .values([{"user_id": user, "meter_id": meter_id} for meter_id in wanted])
            .on_conflict_do_nothing()
        )

    def unlink(self, user_id: str, meter_ids: Sequence[str]) -> int:
        """Remove the links; return how many there were."""
        user = parse_uuid(user_id)
        if user is None or not meter_ids:
            return 0
        removed = self._connection().execute(
            sa.delete(user_meters)
            .where(user_meters.c.user_id == user, user_meters.c.meter_id.in_(sorted(set(meter_ids))))
            .returning(user_meters.c.meter_id)
        )
        return len(removed.all())

    def meters_for(self, user_id: str) -> list[str]:
        user = parse_uuid(user_id)
        if user is None:
            return []
        rows = self._connection().execute(
            sa.select(user_meters.c.meter_id)
            .where(user_meters.c.user_id == user)
            .order_by(user_meters.c.meter_id)
        )
        return list(rows.scalars())

    def _existing_user(self, user_id: str) -> uuid.UUID:
        user = parse_uuid(user_id)
        if (
            user is None
            or self._connection().execute(sa.select(users.c.user_id).where(users.c.user_id == user)).first()
            is None
        ):
            raise NotFound(f"No user {user_id!r}.")
        return user
