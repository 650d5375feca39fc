"""Fixtures the SQL and repository contract suites share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from luna.adapters.sql.database import SqlDatabase
from tests.contracts.sql_support import scratch_postgres_database


@pytest.fixture(scope="module")
def migrated_postgres_url(postgres_url: str) -> Iterator[str]:
    """A migrated PostgreSQL database of the test module's own, dropped afterwards."""
    with scratch_postgres_database(postgres_url) as url:
        database = SqlDatabase(url, pool_size=2, echo=False)
        database.upgrade()
        database.close()
        yield url
