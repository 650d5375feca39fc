"""The human review votes behave the same on SQLite and PostgreSQL: exact round trip with aware times,
a version's votes oldest first and only its own, never replaced, only for a registered version, and a
comment of at most 2000 characters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from luna.adapters.sql.database import SqlDatabase
from luna.domain.errors import Conflict, InvalidInput, NotFound
from luna.domain.finetune.registry import AdapterState, AdapterVersion
from luna.domain.finetune.reviews import MAX_COMMENT_CHARS, ReviewVote, Vote
from tests.contracts.sql_support import rowless_database

T0 = datetime(2026, 12, 16, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture(params=("sqlite", "postgresql"))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=2) as db:
        with db.unit_of_work() as uow:
            for name, version in (("chat", 1), ("chat", 2), ("help", 1)):
                uow.finetune_adapters.add(
                    AdapterVersion(
                        name, version, AdapterState.CANDIDATE, T0, "smollm2", "chat-sft@v3", "job", f"{name}/"
                    )
                )
            uow.commit()
        yield db


def vote(review_id: str, version: int = 2, minutes: int = 0, **changes: object) -> ReviewVote:
    values: dict[str, object] = {
        "review_id": review_id,
        "name": "chat",
        "version": version,
        "pair_index": 3,
        "reviewer": "anna",
        "vote": Vote.CANDIDATE,
        "created_at": T0 + timedelta(minutes=minutes),
        "comment": None,
        **changes,
    }
    return ReviewVote(**values)  # type: ignore[arg-type]


def add(database: SqlDatabase, *votes: ReviewVote) -> None:
    with database.unit_of_work() as uow:
        for one in votes:
            uow.finetune_reviews.add(one)
        uow.commit()


def test_a_vote_comes_back_exactly_with_its_comment_and_an_aware_time(database: SqlDatabase) -> None:
    berlin = datetime(2026, 12, 16, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    kept = vote("r1", created_at=berlin, vote=Vote.TIE, comment="Beide nennen den Preis; „A“ zitiert besser.")
    add(database, kept)

    with database.unit_of_work(read_only=True) as uow:
        [found] = uow.finetune_reviews.for_version("chat", 2)
    assert found == kept
    assert found.created_at == berlin and found.created_at.utcoffset() == timedelta(0)


def test_a_versions_votes_come_oldest_first_and_only_its_own(database: SqlDatabase) -> None:
    add(
        database,
        vote("r3", minutes=2, vote=Vote.OPPONENT),
        vote("r1", minutes=0),
        vote("other-version", version=1),
        vote("other-name", name="help", version=1),
        vote("r2", minutes=1, reviewer="ben", pair_index=0),
    )

    with database.unit_of_work(read_only=True) as uow:
        assert [v.review_id for v in uow.finetune_reviews.for_version("chat", 2)] == ["r1", "r2", "r3"]
        assert [v.review_id for v in uow.finetune_reviews.for_version("chat", 1)] == ["other-version"]
        assert [v.review_id for v in uow.finetune_reviews.for_version("help", 1)] == ["other-name"]
        assert uow.finetune_reviews.for_version("chat", 3) == []


def test_a_second_vote_on_the_same_pair_is_kept_beside_the_first(database: SqlDatabase) -> None:
    add(database, vote("r1", vote=Vote.OPPONENT), vote("r2", minutes=1, vote=Vote.CANDIDATE))

    with database.unit_of_work(read_only=True) as uow:
        kept = uow.finetune_reviews.for_version("chat", 2)
    assert [v.vote for v in kept] == [Vote.OPPONENT, Vote.CANDIDATE]


def test_a_kept_vote_is_never_replaced(database: SqlDatabase) -> None:
    kept = vote("r1")
    add(database, kept)

    with database.unit_of_work() as uow, pytest.raises(Conflict, match="r1"):
        uow.finetune_reviews.add(vote("r1", vote=Vote.OPPONENT, comment="doch nicht"))

    with database.unit_of_work(read_only=True) as uow:
        assert uow.finetune_reviews.for_version("chat", 2) == [kept]


def test_a_vote_on_an_unregistered_version_is_not_found(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        with pytest.raises(NotFound, match="chat@v7"):
            uow.finetune_reviews.add(vote("r1", version=7))
        uow.finetune_reviews.add(vote("r2"))  # the transaction is still usable
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        assert [v.review_id for v in uow.finetune_reviews.for_version("chat", 2)] == ["r2"]


def test_a_comment_has_at_most_2000_characters(database: SqlDatabase) -> None:
    longest = vote("r1", comment="x" * MAX_COMMENT_CHARS)
    add(database, longest)

    with database.unit_of_work() as uow, pytest.raises(InvalidInput, match="2000"):
        uow.finetune_reviews.add(vote("r2", comment="x" * (MAX_COMMENT_CHARS + 1)))

    with database.unit_of_work(read_only=True) as uow:
        assert uow.finetune_reviews.for_version("chat", 2) == [longest]
