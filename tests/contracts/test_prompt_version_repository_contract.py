"""Prompt versions behave the same on SQLite and PostgreSQL: exact round trip, numbered after the highest,
newest first, a new version the only active one, activation of any version or of none, and never two
active versions, not even for a writer that bypasses the repository."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.tables_prompts import prompt_versions
from luna.domain.errors import NotFound
from luna.domain.prompt_versions import PromptVersion, prompt_sha256
from tests.contracts.sql_support import rowless_database

T0 = datetime(2026, 12, 18, 9, 30, 15, 123456, tzinfo=UTC)
TEXT = "persona: |\n  Du bist „Luna“.\nno_context:\n  answer: Keine Stelle gefunden – {{ bewusst }}.\n"


@pytest.fixture(params=("sqlite", "postgresql"))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=4) as db:
        yield db


def save(database: SqlDatabase, text: str = TEXT, **changes: object) -> PromptVersion:
    fields: dict[str, object] = {
        "sha256": prompt_sha256(text),
        "author": "admin",
        "note": None,
        "created_at": T0,
        **changes,
    }
    with database.unit_of_work() as uow:
        kept = uow.prompt_versions.add(text, **fields)  # type: ignore[arg-type]
        uow.commit()
    return kept


def active_numbers(database: SqlDatabase) -> list[int]:
    with database.engine.connect() as connection:
        statement = sa.select(prompt_versions.c.version).where(prompt_versions.c.active)
        return sorted(connection.execute(statement).scalars())


def test_a_version_comes_back_exactly_with_its_text_note_and_aware_time(database: SqlDatabase) -> None:
    berlin = datetime(2026, 12, 18, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    kept = save(database, note="Ablehnung freundlicher", created_at=berlin, author="Dr. Weiß")

    with database.unit_of_work(read_only=True) as uow:
        found = uow.prompt_versions.get(1)
        expected = PromptVersion(
            1, TEXT, prompt_sha256(TEXT), "Dr. Weiß", berlin, "Ablehnung freundlicher", True
        )
        assert found == kept == expected
        assert found is not None and found.created_at is not None
        assert found.created_at.utcoffset() == timedelta(0)  # the same instant, handed back in UTC
        assert uow.prompt_versions.get(2) is None
        assert uow.prompt_versions.get(0) is None  # the packaged file is never stored


def test_versions_are_numbered_after_the_highest_and_listed_newest_first(database: SqlDatabase) -> None:
    with database.unit_of_work(read_only=True) as uow:
        assert uow.prompt_versions.list() == []
        assert uow.prompt_versions.active() is None
        assert uow.prompt_versions.active_version() is None

    for number in range(1, 4):
        kept = save(database, f"{TEXT}# {number}\n", created_at=T0 + timedelta(minutes=number))
        assert kept.version == number

    with database.unit_of_work(read_only=True) as uow:
        listed = uow.prompt_versions.list()
        assert [v.version for v in listed] == [3, 2, 1]
        assert [v.active for v in listed] == [True, False, False]  # each new version is the active one
        assert [v.version for v in uow.prompt_versions.list(limit=2)] == [3, 2]
        assert uow.prompt_versions.active() == listed[0]
        assert uow.prompt_versions.active_version() == 3


def test_any_version_or_none_can_be_made_the_only_active_one(database: SqlDatabase) -> None:
    for number in range(1, 4):
        save(database, f"{TEXT}# {number}\n")

    with database.unit_of_work() as uow:
        uow.prompt_versions.activate(1)
        uow.commit()
    assert active_numbers(database) == [1]

    with database.unit_of_work() as uow:
        uow.prompt_versions.activate(None)  # the packaged file answers
        uow.commit()
    assert active_numbers(database) == []

    with database.unit_of_work() as uow:
        uow.prompt_versions.activate(3)
        uow.prompt_versions.activate(3)  # again: still one
        uow.commit()
    assert active_numbers(database) == [3]
    save(database, f"{TEXT}# 4\n")
    assert active_numbers(database) == [4]


def test_activating_an_unknown_version_is_not_found_and_changes_nothing(database: SqlDatabase) -> None:
    save(database)

    with database.unit_of_work() as uow:
        with pytest.raises(NotFound, match="prompt version 7"):
            uow.prompt_versions.activate(7)
        uow.commit()

    assert active_numbers(database) == [1]


def test_an_uncommitted_save_leaves_the_active_version_as_it_was(database: SqlDatabase) -> None:
    save(database)

    with database.unit_of_work() as uow:
        uow.prompt_versions.add("persona: x\n", sha256="x", author="admin", note=None, created_at=T0)
        # no commit: leaving the block rolls back

    with database.unit_of_work(read_only=True) as uow:
        assert [v.version for v in uow.prompt_versions.list()] == [1]
        assert uow.prompt_versions.active_version() == 1


def test_the_database_refuses_a_second_active_version(database: SqlDatabase) -> None:
    save(database)
    row = {"version": 2, "text": TEXT, "sha256": "s", "author": "x", "created_at": T0, "active": True}

    with pytest.raises(sa.exc.IntegrityError), database.engine.begin() as connection:
        connection.execute(sa.insert(prompt_versions).values(**row))

    with database.engine.begin() as connection:  # an inactive one is fine
        connection.execute(sa.insert(prompt_versions).values(**{**row, "active": False}))
    assert active_numbers(database) == [1]


def test_concurrent_saves_and_activations_keep_one_active_version(database: SqlDatabase) -> None:
    save(database)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for _ in range(3):
                if index % 2:
                    save(database, f"{TEXT}# thread {index}\n")
                else:
                    with database.unit_of_work() as uow:
                        uow.prompt_versions.activate(1)
                        uow.commit()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(active_numbers(database)) == 1
    with database.unit_of_work(read_only=True) as uow:
        assert [v.version for v in uow.prompt_versions.list()] == list(range(7, 0, -1))
