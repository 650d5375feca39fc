"""Kept evaluation runs behave the same on SQLite and PostgreSQL: exact round trip, newest first, never
replaced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from luna.adapters.sql.database import SqlDatabase
from luna.domain.errors import Conflict
from luna.domain.evaluation import QuestionOutcome, figures
from luna.domain.evaluation_runs import EvalRun
from tests.contracts.sql_support import rowless_database


@pytest.fixture(params=("sqlite", "postgresql"))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=2) as db:
        yield db


def run(run_id: str, created_at: str) -> EvalRun:
    outcomes = [
        QuestionOutcome("q1", True, rank=2, answer_holds_needle=True, answer_ms=41.5, search_ms=9.25),
        QuestionOutcome("u1", False, refused=True, unsupported_numbers=("2026",)),
    ]
    setup = {"embedder": "onnx-e5", "fusion": {"method": "weighted", "dense_weight": 1.0}}
    return EvalRun(run_id, "Lauf", "test", created_at, setup, figures(outcomes), outcomes)


def test_a_run_comes_back_exactly_and_runs_list_newest_first(database: SqlDatabase) -> None:
    older = run("20261122T090000000Z-lauf", "2026-11-22T09:00:00+00:00")
    newer = run("20261123T090000000Z-lauf", "2026-11-23T09:00:00+00:00")
    with database.unit_of_work() as uow:
        uow.eval_runs.add(older)
        uow.eval_runs.add(newer)
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        assert uow.eval_runs.get(older.run_id) == older
        assert [r.run_id for r in uow.eval_runs.list(limit=10)] == [newer.run_id, older.run_id]
        assert [r.run_id for r in uow.eval_runs.list(limit=1)] == [newer.run_id]
        assert uow.eval_runs.get("20200101T000000000Z-none") is None


def test_a_kept_run_is_never_replaced(database: SqlDatabase) -> None:
    kept = run("20261123T090000000Z-lauf", "2026-11-23T09:00:00+00:00")
    with database.unit_of_work() as uow:
        uow.eval_runs.add(kept)
        uow.commit()

    with database.unit_of_work() as uow, pytest.raises(Conflict, match="never replaced"):
        uow.eval_runs.add(run(kept.run_id, "2026-11-24T09:00:00+00:00"))

    with database.unit_of_work(read_only=True) as uow:
        assert uow.eval_runs.get(kept.run_id) == kept
