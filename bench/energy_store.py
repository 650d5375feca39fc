"""Energy store: write throughput with rollups against the bare insert path, and the dashboard queries
on raw rows against the rollups, on PostgreSQL and SQLite.

    .venv/bin/python bench/energy_store.py [--write-meters 50] [--write-days 14]
        [--query-meters 1000] [--query-days 30] [--sqlite-query-meters 100] [--only write|query]

(a) **Write.** One batch of 1-minute readings from ``luna.domain.sim.meters.simulate_meter`` (a drawn
fleet, generated before any timing) goes into an empty, migrated database through
``SqlEnergyStore.write_readings`` (stage → insert-if-absent → meters → 15m/1h/1d rollups, one
transaction), then again (every row a duplicate); the baselines put the same rows into an equally
empty ``smart_meter_readings`` with nothing else: PostgreSQL binary COPY and psycopg ``executemany``,
SQLite ``executemany``. Each timing includes turning the NumPy columns into driver rows. Live tick:
1,000 meters × 1 reading into the database just written (median of 20 consecutive minutes).

(b) **Query.** ``--query-meters`` × ``--query-days`` of 1-minute data (1,000 × 30 = 43.2 M rows) in the
PostgreSQL database ``luna_bench_energy``, written once through the store and reused by later runs
(SQLite: ``bench/out/energy/bench.db`` with ``--sqlite-query-meters``). Dashboard queries, raw rows
(``GROUP BY`` hour or day, the fewest columns that answer the question) against the store's rollup
reads (all columns, rows converted to Python): median of several runs on a warm cache.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.energy import SqlEnergyStore
from luna.adapters.sql.tables import smart_meter_readings
from luna.domain.energy import MeterInfo, ReadingBatch
from luna.domain.sim.meters import MeterSpec, draw_meters, simulate_meter

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
QUERY_DATABASE = "luna_bench_energy"
SQLITE_QUERY_FILE = Path(__file__).resolve().parent / "out" / "energy" / "bench.db"
START = datetime(2025, 6, 1, tzinfo=UTC)
MIX = {"household": 0.8, "commercial": 0.15, "agriculture": 0.05}
CHUNK_METERS = 25


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fleet(n: int, seed: int) -> list[MeterSpec]:
    return draw_meters(n, MIX, seed=seed, id_prefix="bench-")


def meter_infos(specs: list[MeterSpec]) -> list[MeterInfo]:
    return [MeterInfo(s.meter_id, s.type, s.has_pv, s.pv_kwp, s.annual_kwh, 60, "sim") for s in specs]


def simulated(specs: list[MeterSpec], start: datetime, end: datetime) -> ReadingBatch:
    parts = []
    for spec in specs:
        m = simulate_meter(spec, start, end)
        parts.append(
            ReadingBatch(
                np.full(len(m.ts), m.meter_id), m.ts, m.consumption_kw, m.production_kw, m.voltage, m.quality,
                m.register_kwh,
            )
        )  # fmt: skip
    return ReadingBatch.concat(parts)


@contextmanager
def scratch_pg(server: str) -> Iterator[SqlDatabase]:
    name = f"luna_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    database = SqlDatabase(sa.make_url(server).set(database=name).render_as_string(False), pool_size=2)
    try:
        database.upgrade()
        yield database
    finally:
        database.close()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def scratch_sqlite(folder: Path) -> Iterator[SqlDatabase]:
    path = folder / f"write-{uuid.uuid4().hex[:8]}.db"
    database = SqlDatabase(f"sqlite:///{path}", pool_size=2)
    try:
        database.upgrade()
        yield database
    finally:
        database.close()
        for leftover in folder.glob(f"{path.name}*"):
            leftover.unlink()


def timed(action: Callable[[], Any]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def raw_rows(batch: ReadingBatch, *, iso_text: bool) -> list[tuple[Any, ...]]:
    """Driver rows for the bare paths: NaN as None, ``ts`` as datetime (PostgreSQL) or UtcDateTime's text."""
    seconds = batch.ts.astype("datetime64[s]")
    stamps = (
        [f"{t}.000000+00:00" for t in seconds.astype(str)]
        if iso_text
        else [datetime.fromtimestamp(s, UTC) for s in seconds.astype(np.int64).tolist()]
    )

    def nullable(values: np.ndarray) -> list[Any]:
        objects = values.astype(object)
        objects[np.isnan(values)] = None
        return objects.tolist()  # type: ignore[no-any-return]

    return list(
        zip(
            batch.meter_id.tolist(), stamps, nullable(batch.consumption_kw), nullable(batch.production_kw),
            nullable(batch.voltage), batch.quality.tolist(), nullable(batch.register_kwh), strict=True,
        )
    )  # fmt: skip


def bare_copy(database: SqlDatabase, batch: ReadingBatch) -> None:
    with database.engine.begin() as connection:
        driver: Any = connection.connection.dbapi_connection
        names = ", ".join(c.name for c in smart_meter_readings.columns)
        types = ["text", "timestamptz", "float8", "float8", "float8", "text", "float8"]
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY smart_meter_readings ({names}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types(types)
            for row in raw_rows(batch, iso_text=False):
                copy.write_row(row)


def bare_executemany(database: SqlDatabase, batch: ReadingBatch) -> None:
    sqlite = database.dialect == "sqlite"
    mark = "?" if sqlite else "%s"
    statement = f"INSERT INTO smart_meter_readings VALUES ({', '.join([mark] * 7)})"
    with database.engine.begin() as connection:
        connection.exec_driver_sql(statement, raw_rows(batch, iso_text=sqlite))


Baseline = tuple[str, Callable[[SqlDatabase, ReadingBatch], None]]
EXECUTEMANY: Baseline = ("bare executemany INSERT", bare_executemany)


def write_benchmark(args: argparse.Namespace) -> list[str]:
    specs = fleet(args.write_meters, seed=11)
    end = START + timedelta(days=args.write_days)
    log(f"simulating {len(specs)} meters × {args.write_days} days …")
    batch = simulated(specs, START, end)
    tick_specs = fleet(1000, seed=12)
    ticks = simulated(tick_specs, end, end + timedelta(minutes=20))
    tick_batches = [ticks.take(ticks.ts == t) for t in np.unique(ticks.ts)]
    meters = meter_infos(specs) + meter_infos(tick_specs)
    lines = [
        f"Write: {len(specs)} meters × {args.write_days} days × 1 min = {len(batch):,} rows "
        "into an empty database",
        "",
        "| database | path | seconds | rows/s |",
        "|---|---|---:|---:|",
    ]
    tick_lines = [
        "",
        "Live tick: 1,000 meters × 1 reading (20 consecutive minutes, into the database holding "
        "the rows above)",
        "",
        "| database | path | p50 | max |",
        "|---|---|---:|---:|",
    ]
    backends: list[tuple[str, Callable[[], Any], list[Baseline]]] = [
        ("PostgreSQL", lambda: scratch_pg(args.pg_server), [("bare binary COPY", bare_copy), EXECUTEMANY]),
        ("SQLite", lambda: scratch_sqlite(args.sqlite_dir), [EXECUTEMANY]),
    ]
    for label, scratch, baselines in backends:
        with scratch() as database:
            log(f"{label}: store write …")
            written, ticked = store_paths(database, batch, tick_batches, meters)
            lines += [cells(label, path, f"{sec:.1f}", f"{len(batch) / sec:,.0f}") for path, sec in written]
            tick_lines += [
                cells(label, path, f"{p50:.0f} ms", f"{most:.0f} ms") for path, p50, most in ticked
            ]
        for name, method in baselines:
            with scratch() as database:
                log(f"{label}: {name} …")
                seconds = timed(lambda m=method, d=database: m(d, batch))
                path = f"{name} into `smart_meter_readings` only"
                lines.append(cells(label, path, f"{seconds:.1f}", f"{len(batch) / seconds:,.0f}"))
    return lines + tick_lines


def store_paths(
    database: SqlDatabase, batch: ReadingBatch, ticks: list[ReadingBatch], meters: list[MeterInfo]
) -> tuple[list[tuple[str, float]], list[tuple[str, float, float]]]:
    """Seconds of the store's bulk write and its all-duplicates repeat; tick milliseconds, store and bare."""
    store = SqlEnergyStore(database.engine, default_interval_s=60)
    store.upsert_meters(meters)
    written = [
        (
            "`SqlEnergyStore.write_readings` incl. 15m/1h/1d rollups",
            timed(lambda: store.write_readings(batch)),
        ),
        ("the same batch again (every row a duplicate)", timed(lambda: store.write_readings(batch))),
    ]
    with_rollups = [timed(lambda b=b: store.write_readings(b)) * 1000 for b in ticks]
    bare = [timed(lambda b=b: bare_executemany(database, shifted(b))) * 1000 for b in ticks]
    ticked = [
        ("`write_readings` with rollups", statistics.median(with_rollups), max(with_rollups)),
        ("bare executemany (raw rows only)", statistics.median(bare), max(bare)),
    ]
    return written, ticked


def shifted(batch: ReadingBatch) -> ReadingBatch:
    """The tick one day later: the bare baseline must not collide with the rows the store just wrote."""
    return ReadingBatch(
        batch.meter_id, batch.ts + np.timedelta64(1, "D"), batch.consumption_kw, batch.production_kw,
        batch.voltage, batch.quality, batch.register_kwh,
    )  # fmt: skip


def ensure_query_data(database: SqlDatabase, meters: int, days: int) -> None:
    """Write the fleet through the store, 25 meters per write; meters already complete are skipped."""
    store = SqlEnergyStore(database.engine, default_interval_s=60)
    specs = fleet(meters, seed=21)
    end = START + timedelta(days=days)
    last = end - timedelta(minutes=1)
    done = {
        m.meter_id
        for m in store.list_meters(limit=meters + 1)
        if m.first_ts == START and m.last_ts is not None and m.last_ts >= last
    }
    todo = [s for s in specs if s.meter_id not in done]
    if not todo:
        return
    store.upsert_meters(meter_infos(specs))
    began, written = time.perf_counter(), 0
    for k in range(0, len(todo), CHUNK_METERS):
        chunk = simulated(todo[k : k + CHUNK_METERS], START, end)
        written += store.write_readings(chunk).inserted
        elapsed = time.perf_counter() - began
        log(
            f"  {database.dialect}: {len(done) + min(k + CHUNK_METERS, len(todo))}/{meters} meters, "
            f"{written:,} rows in {elapsed:.0f} s ({written / elapsed:,.0f} rows/s incl. simulation)"
        )
    if database.dialect == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


def cells(*values: str) -> str:
    return "| " + " | ".join(values) + " |"


def milliseconds(raw_and_rollup: tuple[float, float]) -> tuple[str, str, str]:
    raw, rollup = raw_and_rollup
    return f"{raw:,.1f} ms", f"{rollup:,.1f} ms", f"{raw / rollup:,.0f}×"


def median_ms(action: Callable[[int], Any], runs: int) -> float:
    return statistics.median(timed(lambda k=k: action(k)) for k in range(runs)) * 1000


def query_benchmark(database: SqlDatabase, meters: int, days: int, raw_day_runs: int) -> list[str]:
    store = SqlEnergyStore(database.engine, default_interval_s=60)
    end = START + timedelta(days=days)
    sqlite = database.dialect == "sqlite"
    hour, day = (
        ("substr(ts, 1, 13)", "substr(ts, 1, 10)")
        if sqlite
        else ("date_trunc('hour', ts)", "date_trunc('day', ts)")
    )
    window = [
        sa.bindparam("s", type_=smart_meter_readings.c.ts.type),
        sa.bindparam("e", type_=smart_meter_readings.c.ts.type),
    ]
    hourly_raw = sa.text(
        f"SELECT {hour} AS h, count(*), avg(consumption_kw), min(consumption_kw), max(consumption_kw), "
        "sum(consumption_kw) / 60.0 FROM smart_meter_readings "
        "WHERE meter_id = :m AND ts >= :s AND ts < :e GROUP BY 1 ORDER BY 1"
    ).bindparams(*window)
    daily_raw = sa.text(
        f"SELECT {day} AS d, sum(consumption_kw) / 60.0, sum(production_kw) / 60.0 FROM smart_meter_readings "
        "WHERE ts >= :s AND ts < :e GROUP BY 1 ORDER BY 1"
    ).bindparams(*window)
    ids = [s.meter_id for s in fleet(meters, seed=21)]

    def meter(k: int) -> str:
        return ids[(k * 37) % len(ids)]

    def raw(query: sa.TextClause, **values: Any) -> list[Any]:
        with database.engine.connect() as connection:
            return list(connection.execute(query, {"s": START, "e": end, **values}))

    raw_total = sum(row[1] for row in raw(daily_raw))
    rollup_total = sum(row[2] for row in store.daily_totals(START, end, limit=100).rows)
    hourly = (
        median_ms(lambda k: raw(hourly_raw, m=meter(k)), 20),
        median_ms(lambda k: store.readings(meter(k), START, end, "1h", limit=100_000), 20),
    )
    daily = (
        median_ms(lambda _: raw(daily_raw), raw_day_runs),
        median_ms(lambda _: store.daily_totals(START, end, limit=100_000), 20),
    )
    rebuild_day = timed(
        lambda: store.rebuild_rollups(
            START + timedelta(days=days // 2), START + timedelta(days=days // 2 + 1)
        )
    )
    ticks = live_ticks(store, meters, 20)
    label = "SQLite" if sqlite else "PostgreSQL"
    return [
        "",
        f"Query: {label}, {meters:,} meters × {days} days × 1 min = {meters * days * 1440:,} rows "
        f"({days}-day consumption: raw {raw_total:,.1f} kWh, rollup {rollup_total:,.1f} kWh)",
        "",
        "| query | raw rows (GROUP BY) | rollup | speed-up |",
        "|---|---:|---:|---:|",
        cells(f"1 meter, hourly, {days} days ({days * 24} rows)", *milliseconds(hourly)),
        cells(f"all meters, daily totals, {days} days ({days} rows)", *milliseconds(daily)),
        "",
        f"Same database: live tick of all {meters:,} meters × 1 reading with rollups, "
        f"p50 {statistics.median(ticks):.0f} ms, max {max(ticks):.0f} ms (20 ticks); "
        f"`rebuild_rollups` of one day from raw rows ({meters * 1440:,} rows): {rebuild_day:.1f} s.",
    ]  # fmt: skip


def live_ticks(store: SqlEnergyStore, meters: int, count: int) -> list[float]:
    """Milliseconds per tick: every meter's next minute after its newest reading (reruns append more)."""
    specs = fleet(meters, seed=21)
    newest = max(m.last_ts for m in store.list_meters(limit=meters + 1) if m.last_ts is not None)
    first = newest + timedelta(minutes=1)
    ticks = simulated(specs, first, first + timedelta(minutes=count))
    return [
        timed(lambda t=t: store.write_readings(ticks.take(ticks.ts == t))) * 1000 for t in np.unique(ticks.ts)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--write-meters", type=int, default=50)
    parser.add_argument("--write-days", type=int, default=14)
    parser.add_argument("--query-meters", type=int, default=1000)
    parser.add_argument("--query-days", type=int, default=30)
    parser.add_argument("--sqlite-query-meters", type=int, default=100)
    parser.add_argument("--only", choices=("write", "query"))
    parser.add_argument(
        "--pg-server", default=PG_SERVER, help="a database URL on the server (for CREATE DATABASE)"
    )
    parser.add_argument("--sqlite-dir", type=Path, default=SQLITE_QUERY_FILE.parent)
    parser.add_argument(
        "--query-database", default=QUERY_DATABASE, help="PostgreSQL database kept for reruns"
    )
    args = parser.parse_args(argv)
    args.sqlite_dir.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    if args.only != "query":
        lines += write_benchmark(args)
    if args.only != "write":
        admin = sa.create_engine(args.pg_server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": args.query_database}
            )
            if exists.scalar() is None:
                connection.execute(sa.text(f'CREATE DATABASE "{args.query_database}"'))
        admin.dispose()
        url = sa.make_url(args.pg_server).set(database=args.query_database).render_as_string(False)
        for database, meters, raw_runs in (
            (SqlDatabase(url, pool_size=2), args.query_meters, 3),
            (
                SqlDatabase(f"sqlite:///{args.sqlite_dir / SQLITE_QUERY_FILE.name}", pool_size=2),
                args.sqlite_query_meters,
                3,
            ),
        ):
            database.upgrade()
            log(f"{database.dialect}: ensuring {meters} meters × {args.query_days} days …")
            ensure_query_data(database, meters, args.query_days)
            lines += query_benchmark(database, meters, args.query_days, raw_runs)
            database.close()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
