"""The energy store's behaviour, the same on SQLite (embedded) and PostgreSQL (server).

Every test runs twice: ``[sqlite]`` on a file in a temporary directory and ``[postgresql]`` on the
real server, in a database this module creates, migrates and empties between tests. Rollups are
checked against a NumPy computation of the same rows (``expected_meter_rollup``,
``expected_price_rollup``): the incremental refresh after a write and ``rebuild_rollups`` share their
aggregate expressions, so agreeing with each other alone would not show either of them right.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pytest
import sqlalchemy as sa

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.energy import SqlEnergyStore
from luna.adapters.sql.tables import meter_rollup_1h, meter_rollup_15m, smart_meter_readings
from luna.domain.energy import (
    METER_RAW_COLUMNS,
    METER_ROLLUP_COLUMNS,
    PRICE_RAW_COLUMNS,
    PRICE_ROLLUP_COLUMNS,
    FeedFile,
    MeterInfo,
    PriceBatch,
    ReadingBatch,
    Resolution,
    SeriesRows,
    WriteStats,
)
from luna.domain.errors import InvalidInput
from tests.contracts.sql_support import BACKENDS, rowless_database

T0 = datetime(2025, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
SECONDS = {"15m": 900, "1h": 3600, "1d": 86_400}
ROLLUPS: tuple[Resolution, ...] = ("15m", "1h", "1d")
ALL = 1_000_000
Batch = TypeVar("Batch", ReadingBatch, PriceBatch)


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=4) as db:
        yield db


@pytest.fixture
def store(database: SqlDatabase) -> SqlEnergyStore:
    return SqlEnergyStore(database.engine, default_interval_s=60)


# --- data -------------------------------------------------------------------------------------------


def instant(moment: datetime) -> np.datetime64:
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "s")


def readings(
    meters: tuple[str, ...] = ("m-1", "m-2"),
    start: datetime = T0,
    minutes: int = 1440,
    *,
    step_s: int = 60,
    seed: int = 1,
) -> ReadingBatch:
    """Readings every ``step_s`` of each meter: random load, daytime PV, about 2 % missing rows and
    2 % estimated rows (voltage unknown), a register that counts the consumed kWh."""
    rng = np.random.default_rng(seed)
    n = len(meters) * minutes
    offsets = np.tile(np.arange(minutes, dtype=np.int64) * step_s, len(meters))
    ts = instant(start) + offsets.astype("timedelta64[s]")
    hour = (ts.astype("datetime64[h]").astype(np.int64) % 24).astype(np.float64)
    consumption = rng.gamma(2.0, 0.4, n)
    production = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * rng.uniform(0, 4, n)
    voltage = rng.normal(230, 2, n)
    draw = rng.random(n)
    quality = np.where(draw < 0.02, "missing", np.where(draw < 0.04, "estimated", "ok"))
    missing = quality == "missing"
    consumption[missing] = production[missing] = voltage[missing] = np.nan
    voltage[quality == "estimated"] = np.nan
    register = np.cumsum(np.nan_to_num(consumption) * step_s / 3600)
    register[missing] = np.nan
    return ReadingBatch(
        meter_id=np.repeat(np.array(meters), minutes),
        ts=ts,
        consumption_kw=consumption,
        production_kw=production,
        voltage=voltage,
        quality=quality,
        register_kwh=register,
    )


def prices(start: datetime = T0, periods: int = 96, *, step_s: int = 900, seed: int = 2) -> PriceBatch:
    rng = np.random.default_rng(seed)
    ts = instant(start) + (np.arange(periods, dtype=np.int64) * step_s).astype("timedelta64[s]")
    price = rng.normal(90, 40, periods)
    price[::17] = np.nan
    return PriceBatch(
        market=np.full(periods, "EPEX"),
        product=np.full(periods, "BASE"),
        ts=ts,
        price_eur_mwh=price,
        volume=rng.uniform(1000, 5000, periods),
    )


def at_once(write: Callable[[Batch], object], parts: Sequence[Batch]) -> list[BaseException]:
    """Write each part from a thread of its own, all released together; the errors they raised."""
    start = threading.Barrier(len(parts))
    errors: list[BaseException] = []

    def write_part(part: Batch) -> None:
        start.wait(timeout=10)
        try:
            write(part)
        except BaseException as error:  # returned to the test
            errors.append(error)

    threads = [threading.Thread(target=write_part, args=(part,)) for part in parts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


# --- expectations computed with NumPy ---------------------------------------------------------------


def nan_or_none(values: npt.NDArray[np.float64], reduce: Any) -> float | None:
    kept = values[~np.isnan(values)]
    return float(reduce(kept)) if kept.size else None


def expected_meter_rollup(
    batch: ReadingBatch, meter_id: str, resolution: Resolution, interval_s: int = 60
) -> dict[datetime, dict[str, Any]]:
    rows = batch.take(batch.meter_id == meter_id)
    seconds = rows.ts.astype("datetime64[s]").astype(np.int64)
    bucket = seconds - seconds % SECONDS[resolution]
    out: dict[datetime, dict[str, Any]] = {}
    for start in np.unique(bucket):
        b = rows.take(bucket == start)
        missing = np.isnan(b.consumption_kw) | (b.quality == "missing")
        consumption = np.where(missing, np.nan, b.consumption_kw)
        production = np.where(missing, np.nan, b.production_kw)
        voltage = np.where(missing, np.nan, b.voltage)
        out[datetime.fromtimestamp(int(start), UTC)] = {
            "readings": len(b),
            "missing": int(missing.sum()),
            "consumption_kw_avg": nan_or_none(consumption, np.mean),
            "consumption_kw_min": nan_or_none(consumption, np.min),
            "consumption_kw_max": nan_or_none(consumption, np.max),
            "production_kw_avg": nan_or_none(production, np.mean),
            "production_kw_max": nan_or_none(production, np.max),
            "voltage_min": nan_or_none(voltage, np.min),
            "voltage_avg": nan_or_none(voltage, np.mean),
            "voltage_max": nan_or_none(voltage, np.max),
            "consumption_kwh": nan_or_none(consumption * interval_s / 3600, np.sum),
            "production_kwh": nan_or_none(production * interval_s / 3600, np.sum),
        }
    return out


def expected_price_rollup(batch: PriceBatch, resolution: Resolution) -> dict[datetime, dict[str, Any]]:
    """The buckets of one market and product (the batch holds one)."""
    seconds = batch.ts.astype("datetime64[s]").astype(np.int64)
    bucket = seconds - seconds % SECONDS[resolution]
    out: dict[datetime, dict[str, Any]] = {}
    for start in np.unique(bucket):
        rows = bucket == start
        price = batch.price_eur_mwh[rows]
        out[datetime.fromtimestamp(int(start), UTC)] = {
            "periods": int(rows.sum()),
            "price_eur_mwh_avg": nan_or_none(price, np.mean),
            "price_eur_mwh_min": nan_or_none(price, np.min),
            "price_eur_mwh_max": nan_or_none(price, np.max),
            "volume": float(np.sum(batch.volume[rows])),
        }
    return out


def by_ts(series: SeriesRows) -> dict[datetime, dict[str, Any]]:
    return {row[0]: dict(zip(series.columns[1:], row[1:], strict=True)) for row in series.rows}


def assert_same_buckets(
    got: dict[datetime, dict[str, Any]], expected: dict[datetime, dict[str, Any]]
) -> None:
    assert list(got) == list(expected)
    for ts, values in expected.items():
        for name, value in values.items():
            assert got[ts][name] == (
                pytest.approx(value, rel=1e-9, abs=1e-9) if value is not None else None
            ), (
                ts,
                name,
            )


def rollups(store: SqlEnergyStore, meter_id: str, start: datetime = T0, end: datetime = T0 + 7 * DAY) -> Any:
    return {res: by_ts(store.readings(meter_id, start, end, res, limit=ALL)) for res in ROLLUPS}


# --- writing readings -------------------------------------------------------------------------------


def test_new_readings_are_stored_once_and_read_back_as_aware_utc(store: SqlEnergyStore) -> None:
    batch = readings(minutes=120)

    stats = store.write_readings(batch)

    assert (stats.inserted, stats.duplicates) == (240, 0)
    raw = store.readings("m-1", T0, T0 + DAY, "raw", limit=ALL)
    assert raw.columns == METER_RAW_COLUMNS
    assert [row[0] for row in raw.rows] == [T0 + timedelta(minutes=i) for i in range(120)]
    assert all(row[0].tzinfo is not None and row[0].utcoffset() == timedelta(0) for row in raw.rows)
    first = batch.take(batch.meter_id == "m-1")
    for i, row in enumerate(raw.rows):
        expected = (first.consumption_kw[i], first.production_kw[i], first.voltage[i])
        assert row[1:4] == tuple(None if np.isnan(v) else pytest.approx(v, rel=1e-15) for v in expected)
        assert row[4] == first.quality[i]
    stored = store.stored_readings("m-1", T0, T0 + DAY)
    np.testing.assert_array_equal(stored.ts, first.ts)
    np.testing.assert_array_equal(stored.consumption_kw, first.consumption_kw)
    np.testing.assert_array_equal(stored.register_kwh, first.register_kwh)
    np.testing.assert_array_equal(stored.quality, first.quality)
    assert store.count_readings() == 240
    assert store.count_readings("m-2") == 120


def test_instants_in_other_time_zones_select_the_same_rows(store: SqlEnergyStore) -> None:
    store.write_readings(readings(minutes=180))
    berlin = timezone(timedelta(hours=1))

    rows = store.readings(
        "m-1", T0.astimezone(berlin), (T0 + timedelta(hours=1)).astimezone(berlin), "raw", limit=ALL
    )

    assert len(rows.rows) == 60
    assert rows.rows[0][0] == T0 and rows.rows[0][0].tzinfo == UTC


def test_writing_the_same_batch_again_stores_nothing_and_changes_no_rollup(store: SqlEnergyStore) -> None:
    batch = readings(minutes=600)
    store.write_readings(batch)
    before = rollups(store, "m-1")
    meter = store.get_meter("m-1")

    stats = store.write_readings(batch)

    assert (stats.inserted, stats.duplicates) == (0, 1200)
    assert rollups(store, "m-1") == before
    assert store.get_meter("m-1") == meter
    assert store.count_readings() == 1200


def test_a_key_repeated_inside_a_batch_is_stored_once_with_its_first_values(store: SqlEnergyStore) -> None:
    batch = readings(("m-1",), minutes=10)
    twice = ReadingBatch.concat([batch, readings(("m-1",), minutes=10, seed=99)])

    stats = store.write_readings(twice)

    assert (stats.inserted, stats.duplicates) == (10, 10)
    np.testing.assert_array_equal(
        store.stored_readings("m-1", T0, T0 + DAY).consumption_kw, batch.consumption_kw
    )
    day = store.readings("m-1", T0, T0 + DAY, "1d", limit=ALL)
    assert by_ts(day)[T0]["readings"] == 10


def test_a_partly_stored_batch_inserts_only_the_new_rows(store: SqlEnergyStore) -> None:
    batch = readings(minutes=60)
    store.write_readings(batch.take(np.arange(len(batch)) % 3 == 0))

    stats = store.write_readings(batch)

    assert (stats.inserted, stats.duplicates) == (80, 40)
    assert store.count_readings() == 120


def test_late_rows_update_their_quarter_hour_hour_and_day_exactly(store: SqlEnergyStore) -> None:
    batch = readings(minutes=2 * 1440)
    rng = np.random.default_rng(5)
    early = rng.random(len(batch)) < 0.6
    store.write_readings(batch.take(early))

    store.write_readings(batch)  # the late rest, together with the rows stored already

    for meter_id in ("m-1", "m-2"):
        got = rollups(store, meter_id)
        for resolution in ROLLUPS:
            assert_same_buckets(got[resolution], expected_meter_rollup(batch, meter_id, resolution))


def test_incremental_rollups_equal_a_rebuild_from_the_raw_rows(store: SqlEnergyStore) -> None:
    batch = readings(minutes=2 * 1440)
    order = np.random.default_rng(3).permutation(len(batch))
    for part in np.array_split(order, 5):
        store.write_readings(batch.take(np.sort(part)))
    incremental = rollups(store, "m-2")

    store.rebuild_rollups()

    rebuilt = rollups(store, "m-2")
    for resolution in ROLLUPS:
        expected = expected_meter_rollup(batch, "m-2", resolution)
        assert_same_buckets(incremental[resolution], expected)
        assert_same_buckets(rebuilt[resolution], expected)


def test_quarter_hours_add_up_to_hours_and_hours_to_days(store: SqlEnergyStore) -> None:
    store.write_readings(readings(minutes=3 * 1440))

    got = rollups(store, "m-1")

    for column in ("readings", "missing", "consumption_kwh", "production_kwh"):
        totals = [sum(row[column] or 0 for row in got[res].values()) for res in ROLLUPS]
        assert totals == pytest.approx([totals[0]] * 3, rel=1e-12)
    for day, values in got["1d"].items():
        hours = [v for ts, v in got["1h"].items() if day <= ts < day + DAY]
        assert len(hours) == 24
        assert values["consumption_kw_max"] == max(h["consumption_kw_max"] for h in hours)
        assert values["voltage_min"] == min(h["voltage_min"] for h in hours)


def test_missing_readings_are_counted_but_add_no_energy(store: SqlEnergyStore) -> None:
    ts = instant(T0) + (np.arange(4) * 60).astype("timedelta64[s]")
    store.write_readings(
        ReadingBatch(
            meter_id=np.full(4, "m-1"),
            ts=ts,
            consumption_kw=np.array([2.0, np.nan, 4.0, 6.0]),
            production_kw=np.array([1.0, np.nan, 1.0, 3.0]),
            voltage=np.array([231.0, np.nan, 229.0, 230.0]),
            quality=np.array(["ok", "missing", "ok", "missing"]),  # the last one is flagged, values kept
            register_kwh=np.array([1.0, np.nan, 1.1, np.nan]),
        )
    )

    quarter = by_ts(store.readings("m-1", T0, T0 + DAY, "15m", limit=ALL))[T0]

    assert quarter["readings"] == 4
    assert quarter["missing"] == 2
    assert quarter["consumption_kw_avg"] == pytest.approx(3.0)
    assert quarter["consumption_kw_max"] == pytest.approx(4.0)
    assert quarter["consumption_kwh"] == pytest.approx(6.0 / 60)
    assert quarter["production_kwh"] == pytest.approx(2.0 / 60)
    assert quarter["voltage_avg"] == pytest.approx(230.0)
    raw = store.readings("m-1", T0, T0 + DAY, "raw", limit=ALL)
    assert raw.rows[1][1:] == (None, None, None, "missing", None)


def test_limit_returns_the_earliest_rows_of_every_resolution(store: SqlEnergyStore) -> None:
    store.write_readings(readings(minutes=3 * 1440))

    steps: dict[Resolution, int] = {"raw": 60, "15m": 900, "1h": 3600, "1d": 86_400}
    for resolution, step in steps.items():
        rows = store.readings("m-1", T0, T0 + 7 * DAY, resolution, limit=2).rows
        assert [row[0] for row in rows] == [T0, T0 + timedelta(seconds=step)]
    assert store.readings("m-1", T0, T0 + DAY, "1h", limit=0).rows == []


def test_rollup_resolutions_read_the_rollups_not_the_raw_rows(
    store: SqlEnergyStore, database: SqlDatabase
) -> None:
    store.write_readings(readings(minutes=120))
    with database.engine.begin() as connection:
        connection.execute(sa.delete(smart_meter_readings))

    assert store.readings("m-1", T0, T0 + DAY, "raw", limit=ALL).rows == []
    hourly = store.readings("m-1", T0, T0 + DAY, "1h", limit=ALL)
    assert hourly.columns == METER_ROLLUP_COLUMNS
    assert [row[1] for row in hourly.rows] == [60, 60]


def test_a_write_that_fails_after_the_insert_leaves_nothing_behind(
    store: SqlEnergyStore, database: SqlDatabase
) -> None:
    store.write_readings(readings(("m-1",), minutes=60))
    before = rollups(store, "m-1")
    with failing_daily_rollup(database), pytest.raises(sa.exc.DBAPIError, match="injected"):
        store.write_readings(readings(("m-1", "m-new"), start=T0 + timedelta(hours=1), minutes=60))

    assert store.count_readings() == 60
    with database.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(smart_meter_readings)).scalar() == 60
        assert connection.execute(sa.select(sa.func.count()).select_from(meter_rollup_1h)).scalar() == 1
    assert store.get_meter("m-new") is None
    meter = store.get_meter("m-1")
    assert meter is not None and meter.last_ts == T0 + timedelta(minutes=59)
    assert rollups(store, "m-1") == before
    assert store.write_readings(readings(("m-1",), start=T0 + timedelta(hours=1), minutes=60)).inserted == 60


@contextmanager
def failing_daily_rollup(database: SqlDatabase) -> Iterator[None]:
    """A trigger that makes every insert into the daily rollup fail: the last step of a write."""
    postgresql = database.dialect == "postgresql"
    with database.engine.begin() as connection:
        if postgresql:
            connection.exec_driver_sql(
                "CREATE FUNCTION luna_test_fail() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER luna_test_fail BEFORE INSERT ON meter_rollup_1d "
                "FOR EACH ROW EXECUTE FUNCTION luna_test_fail()"
            )
        else:
            connection.exec_driver_sql(
                "CREATE TRIGGER luna_test_fail BEFORE INSERT ON meter_rollup_1d "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            )
    try:
        yield
    finally:
        with database.engine.begin() as connection:
            if postgresql:
                connection.exec_driver_sql("DROP TRIGGER luna_test_fail ON meter_rollup_1d")
                connection.exec_driver_sql("DROP FUNCTION luna_test_fail()")
            else:
                connection.exec_driver_sql("DROP TRIGGER luna_test_fail")


def test_bad_batches_are_refused_and_store_nothing(store: SqlEnergyStore) -> None:
    good = readings(("m-1",), minutes=3)
    bad_quality = ReadingBatch(
        good.meter_id, good.ts, good.consumption_kw, good.production_kw, good.voltage,
        np.array(["ok", "great", "ok"]), good.register_kwh,
    )  # fmt: skip
    no_time = ReadingBatch(
        good.meter_id, np.array(["2025-03-01T00:00", "NaT", "2025-03-01T00:02"], dtype="datetime64[s]"),
        good.consumption_kw, good.production_kw, good.voltage, good.quality, good.register_kwh,
    )  # fmt: skip
    before_1970 = ReadingBatch(
        good.meter_id, good.ts - np.timedelta64(60 * 365 * 86_400, "s"),
        good.consumption_kw, good.production_kw, good.voltage, good.quality, good.register_kwh,
    )  # fmt: skip
    no_meter = ReadingBatch(
        np.array(["m-1", "", "m-1"]), good.ts, good.consumption_kw, good.production_kw, good.voltage,
        good.quality, good.register_kwh,
    )  # fmt: skip

    for batch in (bad_quality, no_time, before_1970, no_meter):
        with pytest.raises(InvalidInput):
            store.write_readings(batch)
    with pytest.raises(InvalidInput):
        store.write_readings(good, source="carrier pigeon")  # type: ignore[arg-type]

    assert store.count_readings() == 0
    assert store.count_meters() == 0


def test_an_empty_batch_writes_nothing(store: SqlEnergyStore) -> None:
    assert store.write_readings(ReadingBatch.empty()) == WriteStats()
    assert store.write_prices(prices(periods=0)) == WriteStats()
    assert (store.count_meters(), store.count_prices()) == (0, 0)


def test_a_large_batch_is_stored_whole(store: SqlEnergyStore) -> None:
    """More rows than one bulk-load chunk (50,000)."""
    batch = readings(tuple(f"m-{i:02d}" for i in range(40)), minutes=1440)

    stats = store.write_readings(batch)

    assert stats.inserted == len(batch) == 57_600
    totals = by_ts(store.daily_totals(T0, T0 + DAY, limit=10))[T0]
    assert totals["meters"] == 40
    consumption = np.where(batch.quality == "missing", np.nan, batch.consumption_kw)
    assert totals["consumption_kwh"] == pytest.approx(np.nansum(consumption) / 60, rel=1e-9)


def test_concurrent_writers_into_the_same_buckets_lose_no_rows(store: SqlEnergyStore) -> None:
    batch = readings(("m-1",), minutes=240)

    errors = at_once(store.write_readings, [batch.take(np.arange(len(batch)) % 6 == k) for k in range(6)])

    assert errors == []
    got = rollups(store, "m-1")
    for resolution in ROLLUPS:
        assert_same_buckets(got[resolution], expected_meter_rollup(batch, "m-1", resolution))


# --- meters -----------------------------------------------------------------------------------------


def test_readings_of_an_unknown_meter_create_it(store: SqlEnergyStore) -> None:
    batch = readings(("new-meter",), minutes=30)

    store.write_readings(batch, source="mqtt")

    meter = store.get_meter("new-meter")
    assert meter == MeterInfo(
        meter_id="new-meter",
        kind="unknown",
        interval_s=60,
        source="mqtt",
        first_ts=T0,
        last_ts=T0 + timedelta(minutes=29),
        last_register_kwh=float(batch.register_kwh[~np.isnan(batch.register_kwh)][-1]),
    )


def test_spans_and_register_follow_the_newest_reading_that_has_one(store: SqlEnergyStore) -> None:
    batch = readings(("m-1",), minutes=10)
    batch.register_kwh[:] = np.arange(10, dtype=np.float64)
    batch.register_kwh[9] = np.nan
    store.write_readings(batch.take(np.arange(5, 10)))

    meter = store.get_meter("m-1")
    assert meter is not None
    assert (meter.first_ts, meter.last_ts, meter.last_register_kwh) == (
        T0 + timedelta(minutes=5),
        T0 + timedelta(minutes=9),
        8.0,
    )

    store.write_readings(batch.take(np.arange(0, 5)))  # late rows: older than the newest

    meter = store.get_meter("m-1")
    assert meter is not None
    assert (meter.first_ts, meter.last_ts, meter.last_register_kwh) == (T0, T0 + timedelta(minutes=9), 8.0)


def test_a_stored_key_sent_again_with_other_values_changes_neither_the_row_nor_the_meter(
    store: SqlEnergyStore,
) -> None:
    """A redelivered newest reading with another register (5 instead of 100) must not become the
    meter's last register: the stored row stays, and the newest reading is the new one without a
    register, so the register of the newest reading that has one (the stored 100) is kept."""
    batch = readings(("m-1",), minutes=11)
    batch.register_kwh[:] = np.append(np.linspace(10.0, 100.0, 10), np.nan)
    store.write_readings(batch.take(np.arange(10)))
    stored_before = store.stored_readings("m-1", T0, T0 + DAY)
    resent = batch.take(np.array([9, 10]))
    resent.consumption_kw[0] += 1.0
    resent.register_kwh[0] = 5.0

    stats = store.write_readings(resent)

    assert (stats.inserted, stats.duplicates) == (1, 1)
    meter = store.get_meter("m-1")
    assert meter is not None
    assert (meter.first_ts, meter.last_ts, meter.last_register_kwh) == (
        T0,
        T0 + timedelta(minutes=10),
        100.0,
    )
    stored_after = store.stored_readings("m-1", T0, T0 + timedelta(minutes=10))
    for column in ("ts", "consumption_kw", "production_kw", "voltage", "quality", "register_kwh"):
        np.testing.assert_array_equal(getattr(stored_after, column), getattr(stored_before, column))
    assert_same_buckets(rollups(store, "m-1")["15m"], expected_meter_rollup(batch, "m-1", "15m"))


def test_upserting_meters_describes_them_and_keeps_their_span(store: SqlEnergyStore) -> None:
    store.write_readings(readings(("m-1",), minutes=30))

    store.upsert_meters(
        [
            MeterInfo("m-1", kind="household", has_pv=True, pv_kwp=7.5, annual_kwh=3500.0, source="csv"),
            MeterInfo("m-2", kind="commercial", annual_kwh=25_000.0, interval_s=900),
        ]
    )

    first = store.get_meter("m-1")
    assert first is not None
    assert (first.kind, first.has_pv, first.pv_kwp, first.annual_kwh, first.source) == (
        "household",
        True,
        7.5,
        3500.0,
        "csv",
    )
    assert (first.first_ts, first.last_ts) == (T0, T0 + timedelta(minutes=29))
    second = store.get_meter("m-2")
    assert second == MeterInfo("m-2", kind="commercial", annual_kwh=25_000.0, interval_s=900)


def test_a_new_interval_recomputes_the_meters_kwh(store: SqlEnergyStore) -> None:
    batch = readings(("m-1", "m-2"), minutes=120)
    store.write_readings(batch)
    untouched = rollups(store, "m-2")

    store.upsert_meters([MeterInfo("m-1", kind="household", interval_s=30)])

    got = rollups(store, "m-1")
    for resolution in ROLLUPS:
        assert_same_buckets(got[resolution], expected_meter_rollup(batch, "m-1", resolution, interval_s=30))
    assert rollups(store, "m-2") == untouched


def test_meters_are_listed_by_id_and_kind_with_paging(store: SqlEnergyStore) -> None:
    store.upsert_meters(
        [MeterInfo(f"h-{i}", kind="household") for i in (3, 1, 2)] + [MeterInfo("c-1", kind="commercial")]
    )

    assert [m.meter_id for m in store.list_meters()] == ["c-1", "h-1", "h-2", "h-3"]
    assert [m.meter_id for m in store.list_meters(kind="household", limit=2, offset=1)] == ["h-2", "h-3"]
    assert store.count_meters() == 4
    assert store.count_meters(kind="household") == 3
    assert store.count_meters(kind="agriculture") == 0


def test_meters_with_invalid_descriptions_are_refused(store: SqlEnergyStore) -> None:
    for meter in (
        MeterInfo("m-1", kind="spaceship"),  # type: ignore[arg-type]
        MeterInfo("m-1", interval_s=0),
        MeterInfo(""),
        MeterInfo("m-1", pv_kwp=-1.0),
    ):
        with pytest.raises(InvalidInput):
            store.upsert_meters([meter])
    assert store.count_meters() == 0


# --- reading series -----------------------------------------------------------------------------------


def test_daily_totals_sum_every_meter_per_utc_day(store: SqlEnergyStore) -> None:
    batch = readings(("m-1", "m-2", "m-3"), start=T0 - timedelta(hours=1), minutes=2 * 1440)
    store.write_readings(batch)

    totals = store.daily_totals(T0 - DAY, T0 + 3 * DAY, limit=ALL)

    assert totals.columns == ("ts", "meters", "consumption_kwh", "production_kwh")
    assert [row[0] for row in totals.rows] == [T0 - DAY, T0, T0 + DAY]
    assert [row[1] for row in totals.rows] == [3, 3, 3]
    seconds = batch.ts.astype(np.int64)
    day = seconds - seconds % 86_400
    kept = batch.quality != "missing"
    for ts, _, consumption, production in totals.rows:
        rows = kept & (day == int(ts.timestamp()))
        assert consumption == pytest.approx(np.sum(batch.consumption_kw[rows]) / 60, rel=1e-9)
        assert production == pytest.approx(np.sum(batch.production_kw[rows]) / 60, rel=1e-9)
    assert len(store.daily_totals(T0 - DAY, T0 + 3 * DAY, limit=1).rows) == 1


def test_series_refuse_naive_instants_and_unknown_resolutions(store: SqlEnergyStore) -> None:
    with pytest.raises(InvalidInput):
        store.readings("m-1", datetime(2025, 3, 1), T0 + DAY, "1h", limit=10)
    with pytest.raises(InvalidInput):
        store.readings("m-1", T0, T0 + DAY, "5m", limit=10)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        store.prices("EPEX", "BASE", T0, T0 + DAY, "raw", limit=-1)


def test_rebuilding_a_range_repairs_damaged_buckets_and_leaves_the_rest(
    store: SqlEnergyStore, database: SqlDatabase
) -> None:
    store.write_readings(readings(minutes=3 * 1440))
    before = rollups(store, "m-1")
    with database.engine.begin() as connection:
        connection.execute(sa.update(meter_rollup_15m).values(readings=999))
        connection.execute(sa.delete(meter_rollup_1h).where(meter_rollup_1h.c.meter_id == "m-1"))

    store.rebuild_rollups(
        T0 + DAY + timedelta(hours=5), T0 + 2 * DAY - timedelta(hours=5)
    )  # day 2, rounded out

    after = rollups(store, "m-1")

    def second_day(buckets: dict[datetime, Any]) -> dict[datetime, Any]:
        return {ts: values for ts, values in buckets.items() if T0 + DAY <= ts < T0 + 2 * DAY}

    for resolution in ROLLUPS:
        assert_same_buckets(second_day(after[resolution]), second_day(before[resolution]))
    assert set(after["1h"]) == set(second_day(before["1h"]))
    assert {
        values["readings"] for ts, values in after["15m"].items() if not T0 + DAY <= ts < T0 + 2 * DAY
    } == {999}


# --- prices -----------------------------------------------------------------------------------------


def test_prices_are_stored_once_and_rolled_up(store: SqlEnergyStore) -> None:
    batch = prices(periods=2 * 96)

    first, again = store.write_prices(batch), store.write_prices(batch)

    assert (first.inserted, first.duplicates, again.inserted, again.duplicates) == (192, 0, 0, 192)
    raw = store.prices("EPEX", "BASE", T0, T0 + 2 * DAY, "raw", limit=ALL)
    assert raw.columns == PRICE_RAW_COLUMNS
    assert raw.rows[17][1] is None and raw.rows[0][0] == T0
    for resolution in ROLLUPS:
        got = by_ts(store.prices("EPEX", "BASE", T0, T0 + 2 * DAY, resolution, limit=ALL))
        assert_same_buckets(got, expected_price_rollup(batch, resolution))
    columns = store.prices("EPEX", "BASE", T0, T0 + DAY, "1h", limit=1).columns
    assert columns == PRICE_ROLLUP_COLUMNS
    assert store.count_prices() == 192


def test_late_prices_update_their_buckets_like_a_rebuild(store: SqlEnergyStore) -> None:
    batch = prices(periods=96, step_s=300)  # three periods a quarter-hour: late ones join stored buckets
    store.write_prices(batch.take(np.arange(96) % 4 != 1))
    store.write_prices(batch)

    def price_rollups() -> dict[Resolution, dict[datetime, dict[str, Any]]]:
        return {res: by_ts(store.prices("EPEX", "BASE", T0, T0 + DAY, res, limit=ALL)) for res in ROLLUPS}

    incremental = price_rollups()

    store.rebuild_rollups()

    rebuilt = price_rollups()
    for resolution in ROLLUPS:
        expected = expected_price_rollup(batch, resolution)
        assert_same_buckets(incremental[resolution], expected)
        assert_same_buckets(rebuilt[resolution], expected)
    assert incremental["1d"][T0]["periods"] == 96


def test_price_series_lists_each_market_and_product_with_its_span(store: SqlEnergyStore) -> None:
    store.write_prices(prices(periods=24, step_s=3600))
    peak = prices(T0 + timedelta(hours=8), periods=12, step_s=3600)
    store.write_prices(PriceBatch(peak.market, np.full(12, "PEAK"), peak.ts, peak.price_eur_mwh, peak.volume))

    assert store.price_series() == [
        ("EPEX", "BASE", T0, T0 + timedelta(hours=23), 24),
        ("EPEX", "PEAK", T0 + timedelta(hours=8), T0 + timedelta(hours=19), 12),
    ]


def test_concurrent_price_writers_into_the_same_buckets_lose_no_rows(store: SqlEnergyStore) -> None:
    batch = prices(periods=96, step_s=60)

    errors = at_once(store.write_prices, [batch.take(np.arange(96) % 8 == k) for k in range(8)])

    assert errors == []
    day = by_ts(store.prices("EPEX", "BASE", T0, T0 + DAY, "1d", limit=ALL))[T0]
    assert day["periods"] == 96
    assert day["volume"] == pytest.approx(np.sum(batch.volume))


# --- processed CSV drops ----------------------------------------------------------------------------


def test_feed_file_records_round_trip_and_are_replaced_by_key(store: SqlEnergyStore) -> None:
    record = FeedFile(
        key="sim/readings-1.csv",
        sha256="ab" * 32,
        kind="smart_meter_readings",
        status="failed",
        rows_ok=0,
        rows_bad=3,
        report={"errors": [{"line": 2, "message": "bad ts"}]},
        imported_at=T0,
    )
    assert store.feed_file(record.key) is None

    store.record_feed_file(record)
    assert store.feed_file(record.key) == record

    replaced = FeedFile(
        record.key, "cd" * 32, "unknown", "failed", 0, 0, {"reason": "not a known CSV"}, T0 + DAY
    )
    store.record_feed_file(replaced)
    assert store.feed_file(record.key) == replaced
