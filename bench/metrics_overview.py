"""Usage metrics: what ``/metrics/overview`` and a Prometheus scrape cost when the events table is large,
against counting the raw events, on PostgreSQL and SQLite.

    .venv/bin/python bench/metrics_overview.py [--events 1000000] [--users 1000] [--days 30]
        [--only sqlite|postgresql]

Each backend gets a fresh, migrated database (SQLite in a temporary folder; PostgreSQL
``luna_bench_metrics``, dropped and created again per run) with ``--users`` users, 200 items of 10
chunks, ``--events`` events of 8 types spread evenly over ``--days`` days, 5,000 rated answers and
50 finished ingest jobs; all of it is written before any timing. Figures (median of 7 runs on a warm
cache, after one unmeasured run):

* ``overview (rollup fresh)``: ``MetricsService.overview()`` when ``mv_events_daily`` is younger than
  the allowed age (no refresh): what nearly every dashboard read costs.
* ``refresh mv_events_daily``: the refresh a read pays at most once per allowed age.
* ``raw GROUP BY day, type``: the baseline the rollup replaces (the events per UTC day and type of
  the window, counted from ``events``).
* ``scrape (usage gauges)``: ``MetricsService.snapshot()``, what ``/metrics`` adds to a scrape.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.tables import events, item_chunks, items, jobs, rag_feedback, users
from luna.services.learning.metrics import MetricsService
from luna.settings import MetricsSettings

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "luna_bench_metrics"
TYPES = ("view", "click", "like", "dislike", "solve", "ask", "feedback", "recommend")
BATCH = 50_000
RUNS = 7


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def database_for(backend: str) -> Iterator[SqlDatabase]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            database = SqlDatabase(f"sqlite:///{Path(folder) / 'bench.db'}", pool_size=4)
            try:
                yield database
            finally:
                database.close()
        return
    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{PG_DATABASE}"'))
    database = SqlDatabase(
        sa.make_url(PG_SERVER).set(database=PG_DATABASE).render_as_string(False), pool_size=4
    )
    try:
        yield database
    finally:
        database.close()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        admin.dispose()


def fill(database: SqlDatabase, n_events: int, n_users: int, days: int, now: datetime) -> None:
    user_ids = [uuid.uuid4() for _ in range(n_users)]
    start = now - timedelta(days=days)
    span = (now - start).total_seconds()
    with database.engine.begin() as connection:
        connection.execute(sa.insert(users), [{"user_id": u, "created_at": start} for u in user_ids])
        item_rows = [
            {
                "item_id": uuid.uuid4(),
                "kind": "document",
                "status": "indexed",
                "version": 1,
                "created_at": start + timedelta(seconds=span * i / 200),
                "updated_at": start + timedelta(seconds=span * i / 200 + 3 + i % 7),
            }
            for i in range(200)
        ]
        connection.execute(sa.insert(items), item_rows)
        connection.execute(
            sa.insert(item_chunks),
            [
                {"item_id": row["item_id"], "chunk_idx": c, "text": "Text", "metadata": {"archived": False}}
                for row in item_rows
                for c in range(10)
            ],
        )
        connection.execute(
            sa.insert(rag_feedback),
            [
                {
                    "user_id": user_ids[i % n_users],
                    "ts": start + timedelta(seconds=span * i / 5000),
                    "question": "Frage",
                    "answer": "Antwort",
                    "useful": i % 3 != 0,
                    "chunks_used": [],
                }
                for i in range(5000)
            ],
        )
        connection.execute(
            sa.insert(jobs),
            [
                {
                    "name": "kb.ingest_paths",
                    "status": "succeeded" if i % 10 else "failed",
                    "created_at": now - timedelta(hours=i),
                    "started_at": now - timedelta(hours=i),
                    "finished_at": now - timedelta(hours=i) + timedelta(seconds=20 + i),
                    "result": {"failed": i % 2},
                }
                for i in range(50)
            ],
        )
    for first in range(0, n_events, BATCH):
        rows = [
            {
                "event_id": uuid.uuid4(),
                "user_id": user_ids[i % n_users],
                "ts": start + timedelta(seconds=span * i / n_events),
                "type": TYPES[i % len(TYPES)],
                "meta": {},
            }
            for i in range(first, min(first + BATCH, n_events))
        ]
        with database.engine.begin() as connection:
            connection.execute(sa.insert(events), rows)
        log(f"  {min(first + BATCH, n_events):,} events written")


def median_ms(action: Callable[[], object]) -> float:
    action()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def raw_group_by(database: SqlDatabase, since: datetime) -> Callable[[], object]:
    if database.dialect == "postgresql":
        day: sa.ColumnElement[object] = sa.func.date_trunc("day", events.c.ts, "UTC")
    else:
        day = sa.func.substr(events.c.ts, 1, 10)
    statement = (
        sa.select(day, events.c.type, sa.func.count())
        .where(events.c.ts >= since)
        .group_by(day, events.c.type)
    )

    def run() -> object:
        with database.engine.connect() as connection:
            return connection.execute(statement).all()

    return run


def bench(backend: str, n_events: int, n_users: int, days: int) -> dict[str, float]:
    now = datetime.now(UTC)
    with database_for(backend) as database:
        database.upgrade()
        log(f"{backend}: writing {n_events:,} events")
        fill(database, n_events, n_users, days, now)
        fresh = MetricsService(database, MetricsSettings(days=days, events_daily_max_age_sec=10**9))
        fresh.refresh_events_daily_if_stale()
        return {
            "overview (rollup fresh)": median_ms(fresh.overview),
            "refresh mv_events_daily": median_ms(database.refresh_events_daily),
            "raw GROUP BY day, type": median_ms(raw_group_by(database, now - timedelta(days=days))),
            "scrape (usage gauges)": median_ms(fresh.snapshot),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    backends = [args.only] if args.only else ["sqlite", "postgresql"]
    results = {backend: bench(backend, args.events, args.users, args.days) for backend in backends}
    print(f"Events: {args.events:,} over {args.days} days, {args.users:,} users; median of {RUNS} runs, ms\n")
    print("| figure | " + " | ".join(backends) + " |")
    print("|---|" + "---:|" * len(backends))
    for figure in next(iter(results.values())):
        print(f"| {figure} | " + " | ".join(f"{results[b][figure]:,.1f}" for b in backends) + " |")


if __name__ == "__main__":
    main()
