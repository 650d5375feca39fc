"""SQL repositories of cached help texts (being written: issue #5)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa


class SqlHelpTextRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection
