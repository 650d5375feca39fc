"""Migration 0019 takes the erased user's session pseudonym out of erasure audit entries written before it.

An erasure must leave nothing that re-identifies the erased user's flywheel sessions; older
``users.erase`` entries kept the pseudonym as ``details.session_ref``. Everything else in the audit log,
another action's ``session_ref`` included, must survive the migration unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.migrate import alembic_config, head_revision
from luna.adapters.sql.tables import audit_log
from tests.contracts.sql_support import BACKENDS, scratch_postgres_database, sqlite_url

BEFORE = "0018"
TS = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
COUNTS = {"events": 3, "ratings": 1, "labels": 0, "consent_records": 2, "conversations": 1}
ERASED_USER = "0b7e3f52-9a1c-4c2e-8d3f-6a5b4c3d2e1f"


@pytest.fixture(params=BACKENDS)
def at_0018(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    """A database migrated to the revision before 0019 (the erasure still wrote ``session_ref`` then)."""
    if request.param == "sqlite":
        yield from _migrated_to_0018(sqlite_url(tmp_path))
        return
    with scratch_postgres_database(request.getfixturevalue("postgres_url")) as url:
        yield from _migrated_to_0018(url)


def _migrated_to_0018(url: str) -> Iterator[SqlDatabase]:
    database = SqlDatabase(url, pool_size=1, echo=False)
    try:
        with database.engine.begin() as connection:
            command.upgrade(alembic_config(connection), BEFORE)
        yield database
    finally:
        database.close()


def _entry(action: str, target: str | None, details: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "audit_id": uuid.uuid4(),
        "ts": TS,
        "actor": "admin",
        "action": action,
        "target": target,
        "details": details,
    }


def _rows(database: SqlDatabase) -> dict[uuid.UUID, dict[str, Any]]:
    with database.engine.connect() as connection:
        rows = connection.execute(sa.select(audit_log)).mappings().all()
    return {row["audit_id"]: dict(row) for row in rows}


def test_only_erasure_entries_lose_the_session_pseudonym(at_0018: SqlDatabase) -> None:
    old_erasure = _entry(
        "users.erase", f"user:{ERASED_USER}", {**COUNTS, "flywheel_sessions": 2, "session_ref": "ref-abc"}
    )
    new_erasure = _entry("users.erase", "user:11111111-2222-4333-8444-555555555555", dict(COUNTS))
    erasure_without_details = _entry("users.erase", None, None)
    other_action = _entry("flywheel.session", "session:42", {"session_ref": "ref-xyz", "turns": 4})
    entries = [old_erasure, new_erasure, erasure_without_details, other_action]
    with at_0018.engine.begin() as connection:
        connection.execute(sa.insert(audit_log), entries)
    before = _rows(at_0018)

    assert at_0018.upgrade() == head_revision()

    after = _rows(at_0018)
    assert set(after) == set(before)
    assert after[old_erasure["audit_id"]]["details"] == {**COUNTS, "flywheel_sessions": 2}
    expected = dict(before)
    expected[old_erasure["audit_id"]] = {
        **before[old_erasure["audit_id"]],
        "details": {**COUNTS, "flywheel_sessions": 2},
    }
    assert after == expected
    assert after[other_action["audit_id"]]["details"] == {"session_ref": "ref-xyz", "turns": 4}


def test_upgrading_an_audit_log_without_pseudonyms_changes_nothing(at_0018: SqlDatabase) -> None:
    entries = [_entry("users.erase", f"user:{ERASED_USER}", dict(COUNTS)), _entry("item.add", "item:1", {})]
    with at_0018.engine.begin() as connection:
        connection.execute(sa.insert(audit_log), entries)
    before = _rows(at_0018)

    at_0018.upgrade()

    assert _rows(at_0018) == before
