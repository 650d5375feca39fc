"""Sentiment labels behave the same on SQLite and PostgreSQL: per judge, first label kept, many at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from luna.adapters.sql.database import SqlDatabase
from luna.domain.flywheel.sentiment import Sentiment
from luna.domain.flywheel.sentiment_judge import SentimentLabel, text_key
from tests.contracts.sql_support import rowless_database

AT = datetime(2026, 11, 23, 9, tzinfo=UTC)
BAD = SentimentLabel(Sentiment.NEGATIVE, by_model=True)
GOOD = SentimentLabel(Sentiment.POSITIVE, by_model=False)


@pytest.fixture(params=("sqlite", "postgresql"))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=2) as db:
        yield db


def test_labels_come_back_per_judge_and_the_first_label_stays(database: SqlDatabase) -> None:
    hilft, falsch = text_key("Hilft mir."), text_key("Das ist falsch.")
    with database.unit_of_work() as uow:
        uow.sentiment_labels.put_many("model-a", [(hilft, GOOD), (falsch, BAD)], AT)
        uow.commit()
    with database.unit_of_work() as uow:
        uow.sentiment_labels.put_many("model-a", [(falsch, GOOD)], AT)  # judged again: ignored
        uow.sentiment_labels.put_many("model-a", [], AT)
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.sentiment_labels.get_many("model-a", [hilft, falsch, text_key("neu")]) == {
            hilft: GOOD,
            falsch: BAD,
        }
        assert uow.sentiment_labels.get_many("model-b", [hilft]) == {}  # another judge has its own labels


def test_more_texts_than_one_query_takes_are_found(database: SqlDatabase) -> None:
    keys = [text_key(f"Notiz {n}") for n in range(1_200)]
    with database.unit_of_work() as uow:
        uow.sentiment_labels.put_many("m", [(key, BAD) for key in keys], AT)
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert len(uow.sentiment_labels.get_many("m", keys)) == 1_200
