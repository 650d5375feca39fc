"""The time-series store: smart-meter readings, market prices, their rollups and the meters.

Writes are insert-if-absent on the seed's keys (``(meter_id, ts)``, ``(market, product, ts)``): a
reading delivered twice (a CSV imported again, an MQTT message redelivered, a late copy) is stored
once and counted as a duplicate, so kWh are never counted twice and acknowledged data is never
overwritten. Each write recomputes the 15-minute, hourly and daily rollup buckets its new rows fall
in, in the same transaction, so charts read rollups that always agree with the raw rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from luna.domain.energy import (
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


class EnergyStore(Protocol):
    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        ...

    def upsert_meters(self, meters: Sequence[MeterInfo]) -> None:
        """Insert meters or update what they are (kind, PV, annual kWh, interval, source).

        ``first_ts``/``last_ts``/``last_register_kwh`` of the argument are ignored: they follow the readings.
        """
        ...

    def get_meter(self, meter_id: str) -> MeterInfo | None: ...

    def list_meters(
        self, *, kind: MeterKind | None = None, limit: int = 1000, offset: int = 0
    ) -> list[MeterInfo]:
        """Meters ordered by ID, with the first and last ``ts`` of their readings."""
        ...

    def count_meters(self, *, kind: MeterKind | None = None) -> int: ...

    def write_readings(self, batch: ReadingBatch, *, source: FeedSource = "sim") -> WriteStats:
        """Store the readings whose ``(meter_id, ts)`` is new; all or nothing.

        Meters not seen before are created (kind ``unknown``, ``source``, the store's default
        interval). Updates each meter's first/last ``ts`` and last register and the rollup buckets the
        new rows fall in. Uses COPY on PostgreSQL. An empty batch returns ``WriteStats()`` without
        opening a transaction, so callers need not check.
        """
        ...

    def write_prices(self, batch: PriceBatch) -> WriteStats:
        """Store the prices whose ``(market, product, ts)`` is new, update their rollups; all or nothing."""
        ...

    def stored_readings(self, meter_id: str, start: datetime, end: datetime) -> ReadingBatch:
        """Raw readings of one meter with ``start <= ts < end``, ordered by ``ts`` (feeds compare
        a duplicate's values with the stored ones)."""
        ...

    def readings(
        self, meter_id: str, start: datetime, end: datetime, resolution: Resolution, *, limit: int
    ) -> SeriesRows:
        """One meter's rows with ``start <= ts < end`` ordered by ``ts``, at most ``limit`` of them.

        ``raw`` reads the readings, the others read the rollup tables (never the raw rows).
        """
        ...

    def daily_totals(self, start: datetime, end: datetime, *, limit: int) -> SeriesRows:
        """All meters' consumption and production kWh per UTC day (columns ts, meters, consumption_kwh,
        production_kwh), from the daily rollup."""
        ...

    def prices(
        self, market: str, product: str, start: datetime, end: datetime, resolution: Resolution, *, limit: int
    ) -> SeriesRows:
        """One market's and product's rows with ``start <= ts < end`` ordered by ``ts``, at most ``limit``."""
        ...

    def price_series(self) -> list[tuple[str, str, datetime, datetime, int]]:
        """Every (market, product) stored with its first and last ``ts`` and its number of periods."""
        ...

    def count_readings(self, meter_id: str | None = None) -> int: ...

    def count_prices(self) -> int: ...

    def rebuild_rollups(self, start: datetime | None = None, end: datetime | None = None) -> None:
        """Recompute every rollup bucket of readings and prices in ``[start, end)`` (all when None)
        from the raw rows: a repair and a baseline for benchmarks, not part of normal writes."""
        ...

    def feed_file(self, key: str) -> FeedFile | None:
        """The record of a processed CSV drop, if the drop with this blob key was processed."""
        ...

    def record_feed_file(self, record: FeedFile) -> None:
        """Remember a processed CSV drop (insert or replace by key)."""
        ...
