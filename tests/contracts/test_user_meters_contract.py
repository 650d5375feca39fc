"""The meter links of customers behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.energy import SqlEnergyStore
from luna.domain.energy import MeterInfo
from luna.domain.errors import NotFound
from tests.contracts.sql_support import rowless_database

METERS = ("m-1", "m-2", "m-3")


@pytest.fixture(params=("sqlite", "postgresql"))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=2) as db:
        SqlEnergyStore(db.engine, default_interval_s=60).upsert_meters(
            [MeterInfo(meter_id, kind="household", interval_s=900) for meter_id in METERS]
        )
        yield db


def new_user(database: SqlDatabase) -> str:
    user_id = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        uow.users.get_or_create(user_id)
        uow.commit()
    return user_id


def linked(database: SqlDatabase, user_id: str) -> list[str]:
    with database.unit_of_work(read_only=True) as uow:
        return uow.user_meters.meters_for(user_id)


def test_links_are_listed_sorted_and_linking_again_keeps_them_once(database: SqlDatabase) -> None:
    user = new_user(database)
    with database.unit_of_work() as uow:
        uow.user_meters.link(user, ["m-3", "m-1"])
        uow.user_meters.link(user, ["m-1", "m-1"])
        uow.commit()

    assert linked(database, user) == ["m-1", "m-3"]


def test_links_belong_to_their_user_only(database: SqlDatabase) -> None:
    first, second = new_user(database), new_user(database)
    with database.unit_of_work() as uow:
        uow.user_meters.link(first, ["m-1"])
        uow.user_meters.link(second, ["m-1", "m-2"])
        uow.commit()

    assert linked(database, first) == ["m-1"]
    assert linked(database, second) == ["m-1", "m-2"]


def test_an_unknown_meter_links_nothing_and_is_named(database: SqlDatabase) -> None:
    user = new_user(database)
    with database.unit_of_work() as uow, pytest.raises(NotFound) as refused:
        uow.user_meters.link(user, ["m-1", "nope", "m-2"])

    assert refused.value.details == {"unknown_meter_ids": ["nope"]}
    assert linked(database, user) == []


@pytest.mark.parametrize("user_id", [str(uuid.UUID(int=7)), "not-a-uuid"])
def test_an_unknown_user_cannot_be_linked(database: SqlDatabase, user_id: str) -> None:
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        uow.user_meters.link(user_id, ["m-1"])


def test_unlink_removes_only_the_named_links_and_counts_them(database: SqlDatabase) -> None:
    user = new_user(database)
    with database.unit_of_work() as uow:
        uow.user_meters.link(user, list(METERS))
        uow.commit()
    with database.unit_of_work() as uow:
        removed = uow.user_meters.unlink(user, ["m-2", "m-9"])
        uow.commit()

    assert removed == 1
    assert linked(database, user) == ["m-1", "m-3"]


def test_an_uncommitted_link_is_rolled_back(database: SqlDatabase) -> None:
    user = new_user(database)
    with database.unit_of_work() as uow:
        uow.user_meters.link(user, ["m-1"])

    assert linked(database, user) == []


def test_unknown_or_garbage_users_have_no_meters(database: SqlDatabase) -> None:
    assert linked(database, str(uuid.uuid4())) == []
    assert linked(database, "'; DROP TABLE user_meters; --") == []
    with database.unit_of_work() as uow:
        assert uow.user_meters.unlink("garbage", ["m-1"]) == 0
