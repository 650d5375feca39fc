"""SQL repositories of events, rated answers and consent (being written: issue #5)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa


class SqlEventRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection


class SqlFeedbackRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection


class SqlConsentRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection
