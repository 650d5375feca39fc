"""Insert-if-absent writes of readings and prices, with their rollups, meters and spans, in one transaction.

The path of a batch: sort by key and drop repeated keys inside the batch (the first wins) → bulk load
into a stage table → create the meters nobody has seen yet → delete from the stage every row whose
key is stored already, leaving exactly the new rows (readings outside their meter's stored span skip
this lookup) → ``INSERT … SELECT`` them → update the meters' first/last ``ts`` and register →
recompute the rollup buckets the new rows fall in. All statements
are the same on both databases; only the bulk load (COPY or executemany) and the epoch conversion
(:mod:`luna.adapters.sql.energy_epochs`) differ.

Writers of the same kind of series are serialised (an advisory lock on PostgreSQL; SQLite's single
writer anyway): a bucket is recomputed from what is committed, and two writers recomputing the same
bucket at once would each miss the other's rows.
"""

from __future__ import annotations

from typing import Any, Final, get_args

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from luna.adapters.sql.column_types import UtcDateTime
from luna.adapters.sql.energy_epochs import epoch_seconds, epoch_to_utc, from_epoch
from luna.adapters.sql.energy_rollups import (
    METERS,
    PRICES,
    join_by_index_ranges,
    refresh_buckets,
    touch,
)
from luna.adapters.sql.energy_staging import load, price_stage, reading_stage, temporary_tables
from luna.adapters.sql.inserts import dialect_insert
from luna.adapters.sql.tables import market_prices, meters, smart_meter_readings, utc_now
from luna.domain.energy import QUALITIES, FeedSource, PriceBatch, ReadingBatch
from luna.domain.errors import InvalidInput

READINGS_LOCK: Final = 0x4C554E52  # "LUNR": writers of readings and their rollups
PRICES_LOCK: Final = 0x4C554E50  # "LUNP": writers of prices and their rollups
FEED_SOURCES: Final[tuple[str, ...]] = get_args(FeedSource)

Int64s = npt.NDArray[np.int64]


def serialise_writers(connection: sa.Connection, key: int) -> None:
    """Hold ``key`` until the transaction ends (PostgreSQL; SQLite has one writer at a time anyway)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def check_source(source: str) -> None:
    if source not in FEED_SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(FEED_SOURCES)}")


def write_readings(
    connection: sa.Connection, batch: ReadingBatch, source: FeedSource, default_interval_s: int
) -> int:
    """Store the new readings of a non-empty ``batch`` from a checked ``source``; return how many rows
    were new."""
    _check_labels(batch.meter_id, "meter_id")
    if not np.isin(batch.quality, QUALITIES).all():
        raise InvalidInput(f"quality must be one of {', '.join(QUALITIES)}")
    epochs = epoch_seconds(batch.ts)
    keep = _first_of_each_key(epochs, batch.meter_id)
    rows, epochs = batch.take(keep), epochs[keep]
    serialise_writers(connection, READINGS_LOCK)
    with temporary_tables(connection, reading_stage, METERS.touched):
        load(
            connection,
            reading_stage,
            [
                rows.meter_id,
                epochs,
                rows.consumption_kw,
                rows.production_kw,
                rows.voltage,
                rows.quality,
                rows.register_kwh,
            ],
        )
        _create_unknown_meters(connection, source, default_interval_s)
        s, r = reading_stage, smart_meter_readings
        if _overlaps_stored_spans(connection):
            _drop_stored(connection, s, r, [r.c.meter_id == s.c.meter_id], epochs)
        inserted = _insert_new(connection, s, r)
        if inserted:
            _extend_meter_spans(connection)
            touch(connection, METERS, s)
            refresh_buckets(connection, METERS)
    return inserted


def write_prices(connection: sa.Connection, batch: PriceBatch) -> int:
    """Store the new prices of a non-empty ``batch``; return how many rows were new."""
    _check_labels(batch.market, "market")
    _check_labels(batch.product, "product")
    epochs = epoch_seconds(batch.ts)
    keep = _first_of_each_key(epochs, batch.product, batch.market)
    rows, epochs = batch.take(keep), epochs[keep]
    serialise_writers(connection, PRICES_LOCK)
    with temporary_tables(connection, price_stage, PRICES.touched):
        load(connection, price_stage, [rows.market, rows.product, epochs, rows.price_eur_mwh, rows.volume])
        s, p = price_stage, market_prices
        _drop_stored(connection, s, p, [p.c.market == s.c.market, p.c.product == s.c.product], epochs)
        inserted = _insert_new(connection, s, p)
        if inserted:
            touch(connection, PRICES, s)
            refresh_buckets(connection, PRICES)
    return inserted


def _check_labels(values: npt.NDArray[np.str_], name: str) -> None:
    for label in set(values.tolist()):
        if not 1 <= len(label) <= 200 or "\x00" in label:
            raise InvalidInput(f"{name} must have 1 to 200 characters and no NUL character, got {label!r}")


def _first_of_each_key(epochs: Int64s, *labels: npt.NDArray[np.str_]) -> npt.NDArray[np.intp]:
    """Indexes that sort the batch by key (labels major, then time) keeping each key's first row."""
    order = np.lexsort((epochs, *labels))  # stable: rows with equal keys keep their batch order
    same = epochs[order][1:] == epochs[order][:-1]
    for label in labels:
        same &= label[order][1:] == label[order][:-1]
    return order[np.concatenate(([True], ~same))]


def _create_unknown_meters(connection: sa.Connection, source: FeedSource, interval_s: int) -> None:
    now = utc_now()
    s = reading_stage
    known = sa.select(
        s.c.meter_id,
        sa.literal("unknown"),
        sa.false(),
        sa.literal(0.0, sa.Double()),
        sa.literal(interval_s, sa.Integer()),
        sa.literal(source),
        sa.literal(now, UtcDateTime()),
        sa.literal(now, UtcDateTime()),
    ).distinct()
    names = ["meter_id", "kind", "has_pv", "pv_kwp", "interval_s", "source", "created_at", "updated_at"]
    statement = dialect_insert(connection, meters).from_select(names, known.where(sa.true()))
    connection.execute(statement.on_conflict_do_nothing(index_elements=["meter_id"]))


def _overlaps_stored_spans(connection: sa.Connection) -> bool:
    """Whether a meter's staged readings overlap the span of its stored ones.

    Only then can a staged key be stored already. A backfill of new meters or a live tick after the
    newest reading skips the key lookup. (A row written outside the span by something other than this
    store is still kept out by ON CONFLICT DO NOTHING.)
    """
    s, m = reading_stage, meters
    staged = (
        sa.select(s.c.meter_id, sa.func.min(s.c.ep).label("first"), sa.func.max(s.c.ep).label("last"))
        .group_by(s.c.meter_id)
        .subquery("staged")
    )
    overlapping = (
        sa.select(sa.literal(1))
        .select_from(staged.join(m, m.c.meter_id == staged.c.meter_id))
        .where(epoch_to_utc(staged.c.last) >= m.c.first_ts, epoch_to_utc(staged.c.first) <= m.c.last_ts)
        .limit(1)
    )
    return connection.execute(overlapping).first() is not None


def _drop_stored(
    connection: sa.Connection, stage: sa.Table, raw: sa.Table, same_series: list[Any], epochs: Int64s
) -> None:
    """Delete staged rows whose key is stored (one index lookup per staged row); the batch's time
    span lets the database skip the rest."""
    join_by_index_ranges(connection)
    stored = sa.exists().where(
        *same_series,
        raw.c.ts == epoch_to_utc(stage.c.ep),
        raw.c.ts >= from_epoch(int(epochs.min())),
        raw.c.ts <= from_epoch(int(epochs.max())),
    )
    connection.execute(sa.delete(stage).where(stored))


def _insert_new(connection: sa.Connection, stage: sa.Table, raw: sa.Table) -> int:
    columns = [c.name for c in raw.columns]
    values = [epoch_to_utc(stage.c.ep) if name == "ts" else stage.c[name] for name in columns]
    keys = [c.name for c in raw.primary_key.columns]
    ordered = sa.select(*values).where(sa.true()).order_by(*(stage.c[c.name] for c in stage.primary_key))
    statement = (
        dialect_insert(connection, raw)
        .from_select(columns, ordered)
        .on_conflict_do_nothing(index_elements=keys)
    )
    return int(connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount)


def _extend_meter_spans(connection: sa.Connection) -> None:
    """Widen each meter's first/last ``ts`` to its new rows, and take the register of the newest new
    row that has one when it is at least as new as anything stored before."""
    s = reading_stage
    per_meter = (
        sa.select(
            s.c.meter_id,
            sa.func.min(s.c.ep).label("first_ep"),
            sa.func.max(s.c.ep).label("last_ep"),
            sa.func.max(sa.case((s.c.register_kwh.is_not(None), s.c.ep))).label("register_ep"),
        )
        .group_by(s.c.meter_id)
        .subquery("per_meter")
    )
    newest = s.alias("newest")
    new = (
        sa.select(per_meter, newest.c.register_kwh)
        .select_from(
            per_meter.outerjoin(
                newest,
                sa.and_(newest.c.meter_id == per_meter.c.meter_id, newest.c.ep == per_meter.c.register_ep),
            )
        )
        .subquery("new")
    )
    m = meters
    first, last, register_ts = (
        epoch_to_utc(new.c.first_ep),
        epoch_to_utc(new.c.last_ep),
        epoch_to_utc(new.c.register_ep),
    )
    connection.execute(
        sa.update(m)
        .where(m.c.meter_id == new.c.meter_id)
        .values(
            first_ts=sa.case(
                (sa.or_(m.c.first_ts.is_(None), first < m.c.first_ts), first), else_=m.c.first_ts
            ),
            last_ts=sa.case((sa.or_(m.c.last_ts.is_(None), last > m.c.last_ts), last), else_=m.c.last_ts),
            last_register_kwh=sa.case(
                (
                    sa.and_(
                        new.c.register_ep.is_not(None),
                        sa.or_(m.c.last_ts.is_(None), register_ts >= m.c.last_ts),
                    ),
                    new.c.register_kwh,
                ),
                else_=m.c.last_register_kwh,
            ),
            updated_at=utc_now(),
        )
    )
