"""``SqlEnergyStore``: readings, prices, their rollups, meters and processed CSV drops in SQL.

One code path for SQLite and PostgreSQL (see :mod:`luna.adapters.sql.energy_writes` for the write
path, :mod:`luna.adapters.sql.energy_rollups` for the rollups). Each method is its own transaction;
reads on SQLite begin DEFERRED so they never queue behind a long write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final, cast

import sqlalchemy as sa

from luna.adapters.sql.energy_epochs import to_epoch
from luna.adapters.sql.energy_reads import daily_totals, meter_series, price_series, stored_readings
from luna.adapters.sql.energy_rollups import DAY_SECONDS, METERS, PRICES, rebuild
from luna.adapters.sql.energy_writes import (
    PRICES_LOCK,
    READINGS_LOCK,
    check_source,
    serialise_writers,
    write_prices,
    write_readings,
)
from luna.adapters.sql.engine import SQLITE_BEGIN
from luna.adapters.sql.inserts import dialect_insert
from luna.adapters.sql.tables import (
    feed_files,
    market_prices,
    meter_rollup_1d,
    price_rollup_1d,
    utc_now,
)
from luna.adapters.sql.tables import meters as meter_table
from luna.domain.energy import (
    METER_KINDS,
    FeedFile,
    FeedSource,
    MeterInfo,
    MeterKind,
    PriceBatch,
    ReadingBatch,
    Resolution,
    SeriesRows,
    WriteStats,
)
from luna.domain.errors import InvalidInput

_IDS_PER_STATEMENT: Final = 500


class SqlEnergyStore:
    """:class:`~luna.ports.energy.EnergyStore` on the engine the rest of the relational store uses.

    ``default_interval_s`` is the interval of meters that first appear through their readings: it
    turns their kW into kWh until ``upsert_meters`` says otherwise (which recomputes their rollups).
    """

    def __init__(self, engine: sa.Engine, *, default_interval_s: int) -> None:
        if default_interval_s < 1:
            raise ValueError("default_interval_s must be at least one second")
        self._engine = engine
        self._default_interval_s = default_interval_s

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    # --- meters -----------------------------------------------------------------------------------

    def upsert_meters(self, meters: Sequence[MeterInfo]) -> None:
        latest = {meter.meter_id: meter for meter in meters}  # a meter given twice: the last one wins
        for meter in latest.values():
            _check_meter(meter)
        if not latest:
            return
        with self._engine.begin() as connection:
            serialise_writers(connection, READINGS_LOCK)
            before = _intervals(connection, list(latest))
            now = utc_now()
            rows = [_meter_row(meter, now) for meter in latest.values()]
            statement = dialect_insert(connection, meter_table)
            changes = {
                name: statement.excluded[name]
                for name in ("kind", "has_pv", "pv_kwp", "annual_kwh", "interval_s", "source", "updated_at")
            }
            connection.execute(
                statement.on_conflict_do_update(index_elements=["meter_id"], set_=changes), rows
            )
            regauged = [
                meter_id
                for meter_id, (interval_s, has_readings) in before.items()
                if has_readings and interval_s != latest[meter_id].interval_s
            ]
            for begin in range(0, len(regauged), _IDS_PER_STATEMENT):
                rebuild(connection, METERS, None, None, regauged[begin : begin + _IDS_PER_STATEMENT])

    def get_meter(self, meter_id: str) -> MeterInfo | None:
        with self._reading() as connection:
            row = connection.execute(sa.select(meter_table).where(meter_table.c.meter_id == meter_id)).first()
        return _meter_info(row) if row is not None else None

    def list_meters(
        self, *, kind: MeterKind | None = None, limit: int = 1000, offset: int = 0
    ) -> list[MeterInfo]:
        if limit < 0 or offset < 0:
            raise InvalidInput("limit and offset must not be negative")
        query = sa.select(meter_table).order_by(meter_table.c.meter_id).limit(limit).offset(offset)
        if kind is not None:
            query = query.where(meter_table.c.kind == _kind(kind))
        with self._reading() as connection:
            return [_meter_info(row) for row in connection.execute(query)]

    def count_meters(self, *, kind: MeterKind | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(meter_table)
        if kind is not None:
            query = query.where(meter_table.c.kind == _kind(kind))
        with self._reading() as connection:
            return int(connection.execute(query).scalar_one())

    # --- writes -----------------------------------------------------------------------------------

    def write_readings(self, batch: ReadingBatch, *, source: FeedSource = "sim") -> WriteStats:
        check_source(source)
        return self._write(
            len(batch), lambda connection: write_readings(connection, batch, source, self._default_interval_s)
        )

    def write_prices(self, batch: PriceBatch) -> WriteStats:
        return self._write(len(batch), lambda connection: write_prices(connection, batch))

    def _write(self, rows: int, write: Callable[[sa.Connection], int]) -> WriteStats:
        """Run ``write`` (it returns the rows it stored) in a transaction of its own.

        An empty batch opens none: on SQLite a write transaction waits for the database's one write lock.
        """
        if rows == 0:
            return WriteStats()
        with self._engine.begin() as connection:
            inserted = write(connection)
        return WriteStats(inserted=inserted, duplicates=rows - inserted)

    def rebuild_rollups(self, start: datetime | None = None, end: datetime | None = None) -> None:
        """Whole UTC days: ``start`` is rounded down and ``end`` up to midnight, so every rebuilt day is
        composed of rebuilt hours and quarters."""
        first = None if start is None else to_epoch(start, "start") // DAY_SECONDS * DAY_SECONDS
        stop = None if end is None else -(-to_epoch(end, "end") // DAY_SECONDS) * DAY_SECONDS
        with self._engine.begin() as connection:
            serialise_writers(connection, READINGS_LOCK)
            serialise_writers(connection, PRICES_LOCK)
            rebuild(connection, METERS, first, stop)
            rebuild(connection, PRICES, first, stop)

    # --- reads ------------------------------------------------------------------------------------

    def stored_readings(self, meter_id: str, start: datetime, end: datetime) -> ReadingBatch:
        with self._reading() as connection:
            return stored_readings(connection, meter_id, start, end)

    def readings(
        self, meter_id: str, start: datetime, end: datetime, resolution: Resolution, *, limit: int
    ) -> SeriesRows:
        with self._reading() as connection:
            return meter_series(connection, meter_id, start, end, resolution, limit)

    def daily_totals(self, start: datetime, end: datetime, *, limit: int) -> SeriesRows:
        with self._reading() as connection:
            return daily_totals(connection, start, end, limit)

    def prices(
        self, market: str, product: str, start: datetime, end: datetime, resolution: Resolution, *, limit: int
    ) -> SeriesRows:
        with self._reading() as connection:
            return price_series(connection, market, product, start, end, resolution, limit)

    def price_series(self) -> list[tuple[str, str, datetime, datetime, int]]:
        p = market_prices
        query = (
            sa.select(p.c.market, p.c.product, sa.func.min(p.c.ts), sa.func.max(p.c.ts), sa.func.count())
            .group_by(p.c.market, p.c.product)
            .order_by(p.c.market, p.c.product)
        )
        with self._reading() as connection:
            return [(m, pr, first, last, int(n)) for m, pr, first, last, n in connection.execute(query)]

    def count_readings(self, meter_id: str | None = None) -> int:
        """From the daily rollup, which counts every stored row (a count of raw rows scans them all)."""
        query = sa.select(sa.func.coalesce(sa.func.sum(meter_rollup_1d.c.readings), 0))
        if meter_id is not None:
            query = query.where(meter_rollup_1d.c.meter_id == meter_id)
        with self._reading() as connection:
            return int(connection.execute(query).scalar_one())

    def count_prices(self) -> int:
        query = sa.select(sa.func.coalesce(sa.func.sum(price_rollup_1d.c.periods), 0))
        with self._reading() as connection:
            return int(connection.execute(query).scalar_one())

    # --- processed CSV drops ----------------------------------------------------------------------

    def feed_file(self, key: str) -> FeedFile | None:
        with self._reading() as connection:
            row = connection.execute(sa.select(feed_files).where(feed_files.c.key == key)).first()
        if row is None:
            return None
        return FeedFile(
            key=row.key,
            sha256=row.sha256,
            kind=row.kind,
            status=row.status,
            rows_ok=row.rows_ok,
            rows_bad=row.rows_bad,
            report=dict(row.report),
            imported_at=row.imported_at,
        )

    def record_feed_file(self, record: FeedFile) -> None:
        values = {
            "key": record.key,
            "sha256": record.sha256,
            "kind": record.kind,
            "status": record.status,
            "rows_ok": record.rows_ok,
            "rows_bad": record.rows_bad,
            "report": record.report,
            "imported_at": record.imported_at,
        }
        with self._engine.begin() as connection:
            statement = dialect_insert(connection, feed_files).values(values)
            changes = {name: statement.excluded[name] for name in values if name != "key"}
            connection.execute(statement.on_conflict_do_update(index_elements=["key"], set_=changes))

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        with self._engine.connect() as connection:
            yield connection.execution_options(**{SQLITE_BEGIN: "DEFERRED"})


def _check_meter(meter: MeterInfo) -> None:
    if not 1 <= len(meter.meter_id) <= 200:
        raise InvalidInput("meter_id must have 1 to 200 characters")
    _kind(meter.kind)
    check_source(meter.source)
    if meter.interval_s < 1:
        raise InvalidInput("interval_s must be at least one second")
    if meter.pv_kwp < 0 or (meter.annual_kwh is not None and meter.annual_kwh < 0):
        raise InvalidInput("pv_kwp and annual_kwh must not be negative")


def _kind(kind: str) -> str:
    if kind not in METER_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(METER_KINDS)}")
    return kind


def _intervals(connection: sa.Connection, meter_ids: list[str]) -> dict[str, tuple[int, bool]]:
    """Stored interval of each given meter and whether it has readings."""
    found: dict[str, tuple[int, bool]] = {}
    for begin in range(0, len(meter_ids), _IDS_PER_STATEMENT):
        query = sa.select(meter_table.c.meter_id, meter_table.c.interval_s, meter_table.c.first_ts).where(
            meter_table.c.meter_id.in_(meter_ids[begin : begin + _IDS_PER_STATEMENT])
        )
        for meter_id, interval_s, first_ts in connection.execute(query):
            found[meter_id] = (int(interval_s), first_ts is not None)
    return found


def _meter_row(meter: MeterInfo, now: datetime) -> dict[str, Any]:
    return {
        "meter_id": meter.meter_id,
        "kind": meter.kind,
        "has_pv": meter.has_pv,
        "pv_kwp": meter.pv_kwp,
        "annual_kwh": meter.annual_kwh,
        "interval_s": meter.interval_s,
        "source": meter.source,
        "created_at": now,
        "updated_at": now,
    }


def _meter_info(row: sa.Row[Any]) -> MeterInfo:
    return MeterInfo(
        meter_id=row.meter_id,
        kind=cast(MeterKind, row.kind),
        has_pv=bool(row.has_pv),
        pv_kwp=float(row.pv_kwp),
        annual_kwh=row.annual_kwh,
        interval_s=int(row.interval_s),
        source=cast(FeedSource, row.source),
        first_ts=row.first_ts,
        last_ts=row.last_ts,
        last_register_kwh=row.last_register_kwh,
    )
