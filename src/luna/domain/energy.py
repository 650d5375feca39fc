"""Energy time series as the store, the feeds and the data API see them.

Readings and prices travel in columnar batches (NumPy arrays of equal length) because a backfill
writes millions of rows and a row object per reading would cost more than the simulation itself.
Timestamps are UTC ``datetime64[s]``; a reading's ``ts`` is the start of its interval
``[ts, ts + interval_s)``, a price's ``ts`` the start of its delivery period (seed 001 §2, §3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal, get_args

import numpy as np
import numpy.typing as npt

from luna.domain.errors import InvalidInput

Floats = npt.NDArray[np.float64]
Timestamps = npt.NDArray[np.datetime64]
Strings = npt.NDArray[np.str_]

Resolution = Literal["raw", "15m", "1h", "1d"]
RESOLUTIONS: Final[tuple[Resolution, ...]] = get_args(Resolution)
#: Length of a rollup bucket; buckets start at whole multiples since 1970-01-01T00:00Z (days: UTC midnight).
#: A quarter-hour: the day-ahead delivery period (a price's ``ts`` is a multiple of it) and the finest rollup.
QUARTER_S: Final = 900
BUCKET_SECONDS: Final[dict[Resolution, int]] = {"15m": QUARTER_S, "1h": 3600, "1d": 86_400}

MeterKind = Literal["household", "commercial", "agriculture", "unknown"]
METER_KINDS: Final[tuple[MeterKind, ...]] = get_args(MeterKind)

Quality = Literal["ok", "estimated", "missing"]
QUALITIES: Final[tuple[Quality, ...]] = get_args(Quality)

FeedSource = Literal["sim", "csv", "mqtt", "api"]


@dataclass(frozen=True)
class MeterInfo:
    """A meter the store knows: what it is and, when it has readings, their first and last ``ts``.

    ``interval_s`` is the length of one reading's interval, which turns kW into kWh in the rollups.
    ``last_register_kwh`` is the cumulative register of the newest reading that had one: feeds compare
    against it to detect counter resets.
    """

    meter_id: str
    kind: MeterKind = "unknown"
    has_pv: bool = False
    pv_kwp: float = 0.0
    annual_kwh: float | None = None
    interval_s: int = 60
    source: FeedSource = "sim"
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    last_register_kwh: float | None = None


@dataclass(frozen=True, eq=False)
class ReadingBatch:
    """Smart-meter readings, one row per index; NaN marks a value that is absent (``missing`` rows)."""

    meter_id: Strings
    ts: Timestamps
    consumption_kw: Floats
    production_kw: Floats
    voltage: Floats
    quality: Strings
    register_kwh: Floats

    def __post_init__(self) -> None:
        n = self.meter_id.shape[0]
        for name in ("ts", "consumption_kw", "production_kw", "voltage", "quality", "register_kwh"):
            if getattr(self, name).shape != (n,):
                raise InvalidInput(f"reading batch column {name} must have {n} values")

    def __len__(self) -> int:
        return int(self.meter_id.shape[0])

    def take(self, index: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> ReadingBatch:
        """The rows selected by an index array or a boolean mask, in that order."""
        return ReadingBatch(
            meter_id=self.meter_id[index],
            ts=self.ts[index],
            consumption_kw=self.consumption_kw[index],
            production_kw=self.production_kw[index],
            voltage=self.voltage[index],
            quality=self.quality[index],
            register_kwh=self.register_kwh[index],
        )

    @staticmethod
    def empty() -> ReadingBatch:
        floats = np.empty(0, dtype=np.float64)
        return ReadingBatch(
            meter_id=np.empty(0, dtype=np.str_),
            ts=np.empty(0, dtype="datetime64[s]"),
            consumption_kw=floats,
            production_kw=floats.copy(),
            voltage=floats.copy(),
            quality=np.empty(0, dtype=np.str_),
            register_kwh=floats.copy(),
        )

    @staticmethod
    def concat(batches: list[ReadingBatch]) -> ReadingBatch:
        if not batches:
            return ReadingBatch.empty()
        return ReadingBatch(
            meter_id=np.concatenate([b.meter_id for b in batches]),
            ts=np.concatenate([b.ts for b in batches]),
            consumption_kw=np.concatenate([b.consumption_kw for b in batches]),
            production_kw=np.concatenate([b.production_kw for b in batches]),
            voltage=np.concatenate([b.voltage for b in batches]),
            quality=np.concatenate([b.quality for b in batches]),
            register_kwh=np.concatenate([b.register_kwh for b in batches]),
        )


@dataclass(frozen=True, eq=False)
class PriceBatch:
    """Market prices, one row per (market, product, delivery period)."""

    market: Strings
    product: Strings
    ts: Timestamps
    price_eur_mwh: Floats
    volume: Floats

    def __post_init__(self) -> None:
        n = self.market.shape[0]
        for name in ("product", "ts", "price_eur_mwh", "volume"):
            if getattr(self, name).shape != (n,):
                raise InvalidInput(f"price batch column {name} must have {n} values")

    def __len__(self) -> int:
        return int(self.market.shape[0])

    def take(self, index: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> PriceBatch:
        return PriceBatch(
            market=self.market[index],
            product=self.product[index],
            ts=self.ts[index],
            price_eur_mwh=self.price_eur_mwh[index],
            volume=self.volume[index],
        )


@dataclass(frozen=True)
class WriteStats:
    """What a write did: rows stored, rows skipped because their key was stored already."""

    inserted: int = 0
    duplicates: int = 0

    def __add__(self, other: WriteStats) -> WriteStats:
        return WriteStats(self.inserted + other.inserted, self.duplicates + other.duplicates)


@dataclass(frozen=True)
class SeriesRows:
    """Rows for charts: ``columns[0]`` is ``ts`` (aware UTC ``datetime``), the rest are values or None.

    Raw meter rows: ts, consumption_kw, production_kw, voltage, quality, register_kwh.
    Meter rollups: ts, readings, missing, consumption_kw_avg, consumption_kw_min, consumption_kw_max,
    production_kw_avg, production_kw_max, voltage_min, voltage_avg, voltage_max, consumption_kwh,
    production_kwh.
    Raw prices: ts, price_eur_mwh, volume. Price rollups: ts, periods, price_eur_mwh_avg,
    price_eur_mwh_min, price_eur_mwh_max, volume.
    """

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


METER_RAW_COLUMNS: Final = ("ts", "consumption_kw", "production_kw", "voltage", "quality", "register_kwh")
METER_ROLLUP_COLUMNS: Final = (
    "ts",
    "readings",
    "missing",
    "consumption_kw_avg",
    "consumption_kw_min",
    "consumption_kw_max",
    "production_kw_avg",
    "production_kw_max",
    "voltage_min",
    "voltage_avg",
    "voltage_max",
    "consumption_kwh",
    "production_kwh",
)
PRICE_RAW_COLUMNS: Final = ("ts", "price_eur_mwh", "volume")
PRICE_ROLLUP_COLUMNS: Final = (
    "ts",
    "periods",
    "price_eur_mwh_avg",
    "price_eur_mwh_min",
    "price_eur_mwh_max",
    "volume",
)


@dataclass(frozen=True)
class FeedFile:
    """A CSV drop the worker has processed (it is processed once: the key and sha256 are remembered)."""

    key: str
    sha256: str
    kind: Literal["smart_meter_readings", "market_prices", "unknown"]
    status: Literal["imported", "failed"]
    rows_ok: int
    rows_bad: int
    report: dict[str, Any]
    imported_at: datetime
