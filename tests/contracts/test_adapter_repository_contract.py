"""The fine-tuned adapter registry behaves the same on SQLite and PostgreSQL: exact round trip, versions
numbered per name and never replaced, newest first, one champion looked up by name, states that move."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from luna.adapters.sql.database import SqlDatabase
from luna.domain.errors import Conflict, NotFound
from luna.domain.finetune.registry import AdapterState, AdapterVersion
from tests.contracts.sql_support import rowless_database

T0 = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture(params=("sqlite", "postgresql"))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=2) as db:
        yield db


def adapter(name: str, version: int, **changes: object) -> AdapterVersion:
    made = AdapterVersion(
        name=name,
        version=version,
        state=AdapterState.CANDIDATE,
        created_at=T0 + timedelta(hours=version),
        base_model="smollm2-135m-instruct",
        dataset="chat-sft@v3",
        run_id=f"job-{name}-{version}",
        blob_prefix=f"finetune/{name}/v{version}/",
        metrics={"eval_loss": 1.25, "answer_f1": 0.61, "steps": 120, "per_split": {"test": [0.5, 0.75]}},
        gates={
            "passed": True,
            "checks": [{"gate": "answer_f1", "value": 0.61, "threshold": 0.55, "passed": True}],
        },
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def add(database: SqlDatabase, *adapters: AdapterVersion) -> None:
    with database.unit_of_work() as uow:
        for one in adapters:
            uow.finetune_adapters.add(one)
        uow.commit()


def test_an_adapter_comes_back_exactly_with_its_metrics_gates_and_aware_times(database: SqlDatabase) -> None:
    berlin_promotion = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    kept = adapter("chat", 1, state=AdapterState.ARCHIVED, promoted_at=berlin_promotion, note="zu kurz")
    plain = adapter("chat", 2)
    add(database, kept, plain)

    with database.unit_of_work(read_only=True) as uow:
        found = uow.finetune_adapters.get("chat", 1)
        assert found == kept
        assert found is not None
        assert found.created_at.utcoffset() == timedelta(0)
        assert found.promoted_at == berlin_promotion  # the same instant, handed back in UTC
        assert found.promoted_at is not None and found.promoted_at.utcoffset() == timedelta(0)
        assert uow.finetune_adapters.get("chat", 2) == plain
        assert uow.finetune_adapters.get("chat", 3) is None
        assert uow.finetune_adapters.get("help", 1) is None


def test_a_kept_version_is_never_replaced(database: SqlDatabase) -> None:
    kept = adapter("chat", 1)
    add(database, kept)

    with database.unit_of_work() as uow, pytest.raises(Conflict, match="chat@v1"):
        uow.finetune_adapters.add(adapter("chat", 1, run_id="another-job", blob_prefix="elsewhere/"))

    with database.unit_of_work(read_only=True) as uow:
        assert uow.finetune_adapters.get("chat", 1) == kept


def test_versions_are_numbered_per_name_after_the_highest(database: SqlDatabase) -> None:
    with database.unit_of_work(read_only=True) as uow:
        assert uow.finetune_adapters.next_version("chat") == 1

    add(database, adapter("chat", 1), adapter("chat", 3), adapter("help", 1))

    with database.unit_of_work(read_only=True) as uow:
        assert uow.finetune_adapters.next_version("chat") == 4
        assert uow.finetune_adapters.next_version("help") == 2
        assert uow.finetune_adapters.next_version("summary") == 1


def test_versions_list_by_name_newest_first_filtered_and_limited(database: SqlDatabase) -> None:
    add(database, adapter("help", 1), adapter("chat", 2), adapter("chat", 1), adapter("chat", 3))

    with database.unit_of_work(read_only=True) as uow:
        listed = uow.finetune_adapters.list()
        assert [v.label for v in listed] == ["chat@v3", "chat@v2", "chat@v1", "help@v1"]
        assert listed[0] == adapter("chat", 3)
        assert [v.label for v in uow.finetune_adapters.list("chat", limit=2)] == ["chat@v3", "chat@v2"]
        assert [v.label for v in uow.finetune_adapters.list("help")] == ["help@v1"]
        assert [v.label for v in uow.finetune_adapters.list(limit=1)] == ["chat@v3"]
        assert uow.finetune_adapters.list("summary") == []


def test_the_champion_is_the_version_in_state_champion_of_that_name(database: SqlDatabase) -> None:
    add(database, adapter("chat", 1), adapter("chat", 2), adapter("help", 1, state=AdapterState.CHAMPION))

    with database.unit_of_work(read_only=True) as uow:
        assert uow.finetune_adapters.champion("chat") is None  # candidates only: the base model answers
        assert uow.finetune_adapters.champion("summary") is None

    promoted = T0 + timedelta(days=1)
    with database.unit_of_work() as uow:
        uow.finetune_adapters.set_state("chat", 2, AdapterState.CHAMPION, promoted_at=promoted)
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        champion = uow.finetune_adapters.champion("chat")
        assert champion == adapter("chat", 2, state=AdapterState.CHAMPION, promoted_at=promoted)
        assert uow.finetune_adapters.champion("help") == adapter("help", 1, state=AdapterState.CHAMPION)


def test_a_state_change_records_the_promotion_and_archiving_keeps_it(database: SqlDatabase) -> None:
    add(database, adapter("chat", 1), adapter("chat", 2))
    first, second = T0 + timedelta(days=1), T0 + timedelta(days=2)

    with database.unit_of_work() as uow:
        uow.finetune_adapters.set_state("chat", 1, AdapterState.CHAMPION, promoted_at=first)
        uow.commit()
    with database.unit_of_work() as uow:
        uow.finetune_adapters.set_state("chat", 1, AdapterState.ARCHIVED)
        uow.finetune_adapters.set_state("chat", 2, AdapterState.CHAMPION, promoted_at=second)
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        # The archived version keeps when it was promoted: a rollback restores the latest one before.
        assert uow.finetune_adapters.get("chat", 1) == adapter(
            "chat", 1, state=AdapterState.ARCHIVED, promoted_at=first
        )
        assert uow.finetune_adapters.get("chat", 2) == adapter(
            "chat", 2, state=AdapterState.CHAMPION, promoted_at=second
        )
        assert [v.state for v in uow.finetune_adapters.list("chat")] == [
            AdapterState.CHAMPION,
            AdapterState.ARCHIVED,
        ]


def test_moving_an_unknown_version_is_not_found_and_changes_nothing(database: SqlDatabase) -> None:
    kept = adapter("chat", 1)
    add(database, kept)

    with database.unit_of_work() as uow:
        with pytest.raises(NotFound, match="chat@v2"):
            uow.finetune_adapters.set_state("chat", 2, AdapterState.CHAMPION, promoted_at=T0)
        with pytest.raises(NotFound, match="help@v1"):
            uow.finetune_adapters.set_state("help", 1, AdapterState.ARCHIVED)
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        assert uow.finetune_adapters.get("chat", 1) == kept
        assert uow.finetune_adapters.champion("chat") is None
