"""SQL repositories of links of customers to meters (being written: issue #5)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa


class SqlUserMeterRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection
