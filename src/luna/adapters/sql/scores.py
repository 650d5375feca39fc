"""SQL repositories of versioned scores and the audit log (being written: issue #5)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa


class SqlScoreRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection


class SqlAuditRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection
