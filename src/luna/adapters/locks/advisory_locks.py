"""Locks as PostgreSQL advisory locks: every process on every host that uses the database.

Each hold is a connection of its own (no pool: a lock held for minutes must not take a connection the
application's pool hands out), in autocommit so it is never idle in a transaction. Closing the
connection releases the lock, and so does the server when a process dies. The lock key is a hash of the
name; advisory locks are per database, so two installations on one server do not meet.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from luna.ports.process_locks import checked_lock_name


class AdvisoryLocks:
    def __init__(self, url: str) -> None:
        self._engine = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")

    def acquire(self, name: str, *, exclusive: bool) -> AdvisoryHold | None:
        key = _key(checked_lock_name(name))
        function = "pg_try_advisory_lock" if exclusive else "pg_try_advisory_lock_shared"
        connection = self._engine.connect()
        try:
            taken = connection.execute(sa.text(f"SELECT {function}(:key)"), {"key": key}).scalar_one()
        except BaseException:
            connection.close()
            raise
        if not taken:
            connection.close()
            return None
        return AdvisoryHold(connection)

    def close(self) -> None:
        self._engine.dispose()


class AdvisoryHold:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection: sa.Connection | None = connection

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()  # the session ends, and with it its advisory locks
            self._connection = None


def _key(name: str) -> int:
    digest = hashlib.blake2b(f"luna-lock:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
