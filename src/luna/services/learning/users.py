"""Customers are known by the UUID in their token; the first valid request creates their record."""

from __future__ import annotations

from luna.domain.users import User
from luna.ports.sql import Database


class UserService:
    def __init__(self, database: Database) -> None:
        self._database = database

    def ensure(self, user_id: str) -> User:
        """The user with ``user_id``, created on first sight (events and labels refer to it)."""
        with self._database.unit_of_work() as uow:
            user = uow.users.get_or_create(user_id)
            uow.commit()
            return user
