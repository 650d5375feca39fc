"""Energy data: meters, the cumulative register, rollups of readings and prices, processed CSV drops.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

* ``smart_meter_readings.register_kwh``: the meter's cumulative kWh register at the end of the
  interval. Optional (the seed's CSV format has no such column); feeds compare it with the stored
  newest register to detect gaps and counter resets.
* ``meters``: what a meter is (kind, PV, annual consumption), the length of one reading's interval
  (it turns kW into kWh) and the span of its readings. A feed that delivers readings of an unknown
  meter creates it as kind ``unknown``.
* ``meter_rollup_{15m,1h,1d}`` and ``price_rollup_{15m,1h,1d}``: sums, counts and extremes per bucket
  (buckets start at whole multiples of their length since 1970-01-01T00:00Z, days at UTC midnight).
  Sums, not averages, so an hour is composed exactly from its quarters and a day from its hours;
  averages are sum / count when read. Plain tables on both databases, kept by the writer in the
  transaction of each write, also when TimescaleDB makes the raw tables hypertables.
* ``feed_files``: CSV drops the feed worker has processed, by blob key, so each is processed once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import SQLITE_UTC_NOW, UtcDateTime, json_document

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LEVELS = ("15m", "1h", "1d")


def _now() -> sa.TextClause:
    postgresql = op.get_bind().dialect.name == "postgresql"
    return sa.text("now()" if postgresql else f"({SQLITE_UTC_NOW})")


def upgrade() -> None:
    op.add_column("smart_meter_readings", sa.Column("register_kwh", sa.Double()))
    _create_meters()
    for level in _LEVELS:
        _create_meter_rollup(f"meter_rollup_{level}")
        _create_price_rollup(f"price_rollup_{level}")
    op.create_index("ix_meter_rollup_1d_ts", "meter_rollup_1d", ["ts"])
    _create_feed_files()


def downgrade() -> None:
    raise NotImplementedError("Luna's migrations only move forward; restore a snapshot to go back")


def _create_meters() -> None:
    op.create_table(
        "meters",
        sa.Column("meter_id", sa.Text(), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("has_pv", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("pv_kwp", sa.Double(), nullable=False, server_default=sa.text("0")),
        sa.Column("annual_kwh", sa.Double()),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("first_ts", UtcDateTime()),
        sa.Column("last_ts", UtcDateTime()),
        sa.Column("last_register_kwh", sa.Double()),
        sa.Column("created_at", UtcDateTime(), nullable=False, server_default=_now()),
        sa.Column("updated_at", UtcDateTime(), nullable=False, server_default=_now()),
        sa.CheckConstraint(
            "kind IN ('household', 'commercial', 'agriculture', 'unknown')", name="ck_meters_kind"
        ),
        sa.CheckConstraint("interval_s > 0", name="ck_meters_interval_s"),
    )
    op.create_index("ix_meters_kind", "meters", ["kind", "meter_id"])


def _create_meter_rollup(name: str) -> None:
    op.create_table(
        name,
        sa.Column("meter_id", sa.Text(), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("readings", sa.Integer(), nullable=False),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("consumption_kw_sum", sa.Double()),
        sa.Column("consumption_kw_min", sa.Double()),
        sa.Column("consumption_kw_max", sa.Double()),
        sa.Column("production_kw_sum", sa.Double()),
        sa.Column("production_kw_count", sa.Integer(), nullable=False),
        sa.Column("production_kw_max", sa.Double()),
        sa.Column("voltage_sum", sa.Double()),
        sa.Column("voltage_count", sa.Integer(), nullable=False),
        sa.Column("voltage_min", sa.Double()),
        sa.Column("voltage_max", sa.Double()),
        sa.Column("consumption_kwh", sa.Double()),
        sa.Column("production_kwh", sa.Double()),
        sa.PrimaryKeyConstraint("meter_id", "ts"),
    )


def _create_price_rollup(name: str) -> None:
    op.create_table(
        name,
        sa.Column("market", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("price_eur_mwh_sum", sa.Double()),
        sa.Column("price_eur_mwh_count", sa.Integer(), nullable=False),
        sa.Column("price_eur_mwh_min", sa.Double()),
        sa.Column("price_eur_mwh_max", sa.Double()),
        sa.Column("volume", sa.Double()),
        sa.PrimaryKeyConstraint("market", "product", "ts"),
    )


def _create_feed_files() -> None:
    op.create_table(
        "feed_files",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("rows_ok", sa.Integer(), nullable=False),
        sa.Column("rows_bad", sa.Integer(), nullable=False),
        sa.Column("report", json_document(), nullable=False),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('smart_meter_readings', 'market_prices', 'unknown')", name="ck_feed_files_kind"
        ),
        sa.CheckConstraint("status IN ('imported', 'failed')", name="ck_feed_files_status"),
    )
