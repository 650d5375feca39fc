"""Where each accepted row stands among the rows of its meter or price series, in the input and in the store.

Kept apart from the field rules of :mod:`luna.domain.energy_validation` because these checks do not
look at one value: they compare a row with the rows before it in the input and with the store's
newest state of its series. They never refuse a row. Late rows (older than the meter's newest stored
reading), rows out of order within the input and counter resets (a register lower than the one before
it in time) are only counted: the store's insert-if-absent and its bucket recomputation keep kWh right
for late data, and kWh come from kW, so a reset register never distorts them. A row whose key appears
earlier in the same input is dropped as a duplicate; when its values differ, that is a notice too,
because a silently ignored correction is worse than a noisy one.

Since almost everything a feed counts and every notice is decided here, the report's vocabulary
(:class:`Problem`, :class:`Counts`) lives here as well; the field rules add their refusals and the
count of refused rows to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped]

from luna.domain.energy import PriceBatch, ReadingBatch

Rows = npt.NDArray[np.intp]
Seconds = npt.NDArray[np.int64]
#: The CSV line number or MQTT message id of each row.
Lines = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Timestamps = npt.NDArray[np.datetime64]
Mask = npt.NDArray[np.bool_]
#: Whether the rows ``rows`` hold the same values as the rows ``others`` (pairwise).
SameValues = Callable[[Rows, Rows], Mask]

#: Problems and notices listed per input at most; all of them are counted.
DEFAULT_MAX_LISTED: Final = 200
#: Registers are printed with a few decimals; a smaller decrease is rounding, not a reset.
REGISTER_TOLERANCE_KWH: Final = 1e-6
_READING_VALUES: Final = ("consumption_kw", "production_kw", "voltage", "register_kwh")


def utc_seconds(moment: datetime | None) -> np.datetime64:
    """An aware ``datetime`` as a UTC ``datetime64[s]`` (NaT for None)."""
    if moment is None:
        return np.datetime64("NaT", "s")
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "s")


@dataclass(frozen=True)
class MeterState:
    """What the store knows of a meter's newest reading (NaT / NaN when there is none)."""

    last_ts: np.datetime64 = field(default_factory=lambda: np.datetime64("NaT", "s"))
    last_register_kwh: float = float("nan")

    @staticmethod
    def of(last_ts: datetime | None, last_register_kwh: float | None) -> MeterState:
        return MeterState(
            last_ts=utc_seconds(last_ts),
            last_register_kwh=float("nan") if last_register_kwh is None else float(last_register_kwh),
        )


@dataclass(frozen=True)
class Problem:
    """Why one field of one row was refused (or, as a notice, why an accepted row is remarkable)."""

    line: int
    field: str
    reason: str
    ts: str = ""
    meter_id: str | None = None
    market: str | None = None
    product: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass
class Counts:
    """What a feed did with its rows; adds up over the chunks of a file or the batches of a stream.

    ``rows`` were read, ``rows_ok`` passed the rules and ``rows_bad`` were refused. Of the good ones,
    ``duplicates`` repeated a key earlier in the same input (dropped), ``already_stored`` had a key the
    store held (skipped) and ``inserted`` were stored. ``late`` rows are older than their meter's
    newest stored reading, ``out_of_order`` ones older than a row before them in the input;
    ``counter_resets`` and ``conflicts`` (a repeated key with other values) are reported as notices.
    """

    rows: int = 0
    rows_ok: int = 0
    rows_bad: int = 0
    duplicates: int = 0
    late: int = 0
    out_of_order: int = 0
    counter_resets: int = 0
    conflicts: int = 0
    inserted: int = 0
    already_stored: int = 0

    def add(self, other: Counts) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True, eq=False)
class _Repeats:
    """Rows whose key an earlier row of the input holds: ``repeat`` (dropped), ``differs`` (… with
    other values, worth a notice) and ``first``, the row each row's key appeared in first."""

    repeat: Mask
    differs: Mask
    first: Rows

    @property
    def kept(self) -> Rows:
        """The rows that remain once the repeats are dropped, in input order."""
        return np.flatnonzero(~self.repeat)


@dataclass(frozen=True, eq=False)
class AcceptedRows:
    """Accepted rows without the repeats (``batch`` and ``lines``), with what their sequence showed:
    ``counts`` fills the duplicates, late, out-of-order, counter-reset and conflict counts, and
    ``notices`` lists the first ``max_listed`` remarkable rows."""

    lines: Lines
    counts: Counts
    notices: list[Problem]


@dataclass(frozen=True, eq=False)
class ReadingSequence(AcceptedRows):
    """``newest`` is each meter's state after ``batch`` is stored."""

    batch: ReadingBatch
    newest: dict[str, MeterState]


@dataclass(frozen=True, eq=False)
class PriceSequence(AcceptedRows):
    batch: PriceBatch


def reading_sequence(
    batch: ReadingBatch,
    lines: Lines,
    stored: Mapping[str, MeterState],
    *,
    max_listed: int,
) -> ReadingSequence:
    """Duplicates, late and out-of-order rows and counter resets among the accepted readings; ``stored``
    holds the newest stored state of their meters."""
    repeats = _repeats(
        pd.DataFrame({"meter": batch.meter_id, "ts": _seconds(batch.ts)}),
        lambda rows, others: same_readings(batch, rows, batch, others),
    )
    notices = _reading_notices(
        batch,
        lines,
        repeats.differs,
        "ts",
        lambda row: (
            f"repeats the meter and time of line {lines[repeats.first[row]]} with other values; "
            "that line is kept"
        ),
        max_listed,
    )
    kept, lines = batch.take(repeats.kept), lines[repeats.kept]
    meters = pd.Series(kept.meter_id, dtype=object)
    seconds = _seconds(kept.ts)
    stored_ts = _lookup(meters, {m: _as_seconds(state.last_ts) for m, state in stored.items()})
    stored_register = _lookup(meters, {m: state.last_register_kwh for m, state in stored.items()})
    resets = _counter_resets(meters, seconds, kept.register_kwh, stored_ts, stored_register)
    notices += _reading_notices(
        kept,
        lines,
        resets,
        "register_kwh",
        lambda row: f"{kept.register_kwh[row]:g} kWh is lower than the register before it: a counter reset",
        max_listed,
    )
    counts = Counts(
        duplicates=int(repeats.repeat.sum()),
        late=int((seconds < stored_ts).sum()),
        out_of_order=int(_out_of_order(pd.DataFrame({"meter": meters}), seconds).sum()),
        counter_resets=int(resets.sum()),
        conflicts=int(repeats.differs.sum()),
    )
    return ReadingSequence(
        batch=kept,
        lines=lines,
        counts=counts,
        notices=sorted(notices, key=lambda notice: notice.line)[:max_listed],
        newest=_newest(meters, seconds, kept.register_kwh, stored),
    )


def price_sequence(
    batch: PriceBatch,
    lines: Lines,
    stored_last_ts: Mapping[tuple[str, str], np.datetime64],
    *,
    max_listed: int,
) -> PriceSequence:
    """Duplicates, late and out-of-order rows among the accepted prices; ``stored_last_ts`` is the
    newest stored delivery period per series."""

    keys = pd.DataFrame({"market": batch.market, "product": batch.product, "ts": _seconds(batch.ts)})
    repeats = _repeats(keys, lambda rows, others: same_prices(batch, rows, batch, others))
    notices = [
        Problem(
            line=int(lines[row]),
            field="ts",
            reason=f"repeats the series and time of line {lines[repeats.first[row]]} with other values; "
            "that line is kept",
            ts=f"{np.datetime_as_string(batch.ts[row])}Z",
            market=str(batch.market[row]),
            product=str(batch.product[row]),
        )
        for row in np.flatnonzero(repeats.differs)[:max_listed]
    ]
    kept, lines = batch.take(repeats.kept), lines[repeats.kept]
    seconds = _seconds(kept.ts)
    series = pd.DataFrame({"market": kept.market, "product": kept.product})
    newest = {key: _as_seconds(ts) for key, ts in stored_last_ts.items()}
    stored_ts = np.array(
        [newest.get((str(m), str(p)), np.nan) for m, p in zip(kept.market, kept.product, strict=True)],
        dtype=np.float64,
    )
    counts = Counts(
        duplicates=int(repeats.repeat.sum()),
        late=int((seconds < stored_ts).sum()),
        out_of_order=int(_out_of_order(series, seconds).sum()),
        conflicts=int(repeats.differs.sum()),
    )
    return PriceSequence(batch=kept, lines=lines, counts=counts, notices=notices)


def newest_prices(batch: PriceBatch) -> dict[tuple[str, str], np.datetime64]:
    """The newest delivery period of each (market, product) series in ``batch``."""
    frame = pd.DataFrame({"market": batch.market, "product": batch.product, "ts": batch.ts})
    newest = frame.groupby(["market", "product"], sort=False)["ts"].max()
    return {(str(m), str(p)): np.datetime64(ts, "s") for (m, p), ts in newest.items()}


def same_prices(batch: PriceBatch, rows: Rows, other: PriceBatch, others: Rows) -> Mask:
    """Whether ``batch[rows]`` and ``other[others]`` hold the same price and volume (pairwise)."""
    return np.asarray(
        np.isclose(batch.price_eur_mwh[rows], other.price_eur_mwh[others], rtol=1e-9, atol=1e-9)
        & np.isclose(batch.volume[rows], other.volume[others], rtol=1e-9, atol=1e-9, equal_nan=True),
        dtype=bool,
    )


def stored_price_conflicts(
    batch: PriceBatch, lines: Lines, stored: PriceBatch, *, max_listed: int = DEFAULT_MAX_LISTED
) -> tuple[int, list[Problem]]:
    """Accepted prices whose series and delivery period are stored already with another price or
    volume (the store keeps the stored one): counted and listed, as for readings, so that a corrected
    price file dropped again is not ignored in silence."""
    if not len(batch) or not len(stored):
        return 0, []
    key = ["market", "product", "ts"]
    mine = pd.DataFrame(
        {
            "market": batch.market,
            "product": batch.product,
            "ts": _seconds(batch.ts),
            "row": np.arange(len(batch)),
        }
    )
    theirs = pd.DataFrame(
        {"market": stored.market, "product": stored.product, "ts": _seconds(stored.ts)}
    ).assign(other=np.arange(len(stored)))
    pairs = mine.merge(theirs, on=key, how="inner")
    rows = pairs["row"].to_numpy(dtype=np.intp)
    differs = rows[~same_prices(batch, rows, stored, pairs["other"].to_numpy(dtype=np.intp))]
    notices = [
        Problem(
            line=int(lines[row]),
            field="price_eur_mwh",
            reason="differs from the stored price of this series and delivery period; the stored one is kept",
            ts=f"{np.datetime_as_string(batch.ts[row])}Z",
            market=str(batch.market[row]),
            product=str(batch.product[row]),
        )
        for row in np.sort(differs)[:max_listed]
    ]
    return len(differs), notices


def same_readings(batch: ReadingBatch, rows: Rows, other: ReadingBatch, others: Rows) -> Mask:
    """Whether ``batch[rows]`` and ``other[others]`` hold the same values (absent equals absent)."""
    equal = batch.quality[rows] == other.quality[others]
    for name in _READING_VALUES:
        mine, theirs = getattr(batch, name)[rows], getattr(other, name)[others]
        equal &= np.isclose(mine, theirs, rtol=1e-9, atol=1e-9, equal_nan=True)
    return np.asarray(equal, dtype=bool)


def stored_conflicts(
    batch: ReadingBatch, lines: Lines, stored: ReadingBatch, *, max_listed: int = DEFAULT_MAX_LISTED
) -> tuple[int, list[Problem]]:
    """Accepted readings whose key is stored already with other values (the store keeps the stored one).

    Counted and listed so that a corrected file dropped again is not ignored in silence.
    """
    if not len(batch) or not len(stored):
        return 0, []
    mine = pd.DataFrame({"meter": batch.meter_id, "ts": _seconds(batch.ts), "row": np.arange(len(batch))})
    theirs = pd.DataFrame(
        {"meter": stored.meter_id, "ts": _seconds(stored.ts), "other": np.arange(len(stored))}
    )
    pairs = mine.merge(theirs, on=["meter", "ts"], how="inner")
    rows = pairs["row"].to_numpy(dtype=np.intp)
    differs = ~same_readings(batch, rows, stored, pairs["other"].to_numpy(dtype=np.intp))
    mask = np.zeros(len(batch), dtype=bool)
    mask[rows[differs]] = True
    notices = _reading_notices(
        batch,
        lines,
        mask,
        "ts",
        lambda _: "differs from the stored reading of this meter and time; the stored one is kept",
        max_listed,
    )
    return int(mask.sum()), notices


def _reading_notices(
    batch: ReadingBatch, lines: Lines, mask: Mask, name: str, reason: Callable[[int], str], max_listed: int
) -> list[Problem]:
    return [
        Problem(
            line=int(lines[row]),
            field=name,
            reason=reason(int(row)),
            ts=f"{np.datetime_as_string(batch.ts[row])}Z",
            meter_id=str(batch.meter_id[row]),
        )
        for row in np.flatnonzero(mask)[:max_listed]
    ]


def _repeats(keys: pd.DataFrame, same: SameValues) -> _Repeats:
    columns = list(keys.columns)
    repeat = np.asarray(keys.duplicated(columns, keep="first"), dtype=bool)
    first = np.asarray(
        keys.assign(_row=np.arange(len(keys))).groupby(columns, sort=False)["_row"].transform("first"),
        dtype=np.intp,
    )
    rows = np.flatnonzero(repeat)
    differs = np.zeros(len(keys), dtype=bool)
    differs[rows] = ~same(rows, first[rows])
    return _Repeats(repeat=repeat, differs=differs, first=first)


def _out_of_order(keys: pd.DataFrame, seconds: Seconds) -> Mask:
    """Rows older than a row of the same series before them in the input."""
    groups = [keys[column] for column in keys.columns]
    frame = keys.assign(_ts=seconds)
    running = frame.groupby(groups, sort=False)["_ts"].cummax()
    previous = running.groupby(groups, sort=False).shift(1)
    return np.asarray(seconds < previous.to_numpy(dtype=np.float64, na_value=np.nan), dtype=bool)


def _counter_resets(
    meters: pd.Series[Any],
    seconds: Seconds,
    registers: Floats,
    stored_ts: Floats,
    stored_register: Floats,
) -> Mask:
    """Rows whose register is lower than the meter's previous one in time.

    The previous one is the preceding row of the input in time order or, for a meter's first row, the
    stored newest register when the row is newer than it (a late row has no known predecessor).
    """
    frame = pd.DataFrame(
        {
            "meter": meters,
            "ts": seconds,
            "register": registers,
            "row": np.arange(len(meters)),
            "stored_ts": stored_ts,
            "stored_register": stored_register,
        }
    )
    frame = frame[np.isfinite(registers)].sort_values(["meter", "ts", "row"], kind="stable")
    previous = frame.groupby("meter", sort=False)["register"].shift(1)
    after_stored = frame["ts"] > frame["stored_ts"]
    previous = previous.fillna(frame["stored_register"].where(after_stored))
    reset = (frame["register"] < previous - REGISTER_TOLERANCE_KWH).to_numpy(dtype=bool, na_value=False)
    mask = np.zeros(len(meters), dtype=bool)
    mask[frame["row"].to_numpy()[reset]] = True
    return mask


def _newest(
    meters: pd.Series[Any],
    seconds: Seconds,
    registers: Floats,
    stored: Mapping[str, MeterState],
) -> dict[str, MeterState]:
    """Each meter's newest ts and the register of its newest reading that has one, stored or new."""
    frame = pd.DataFrame({"meter": meters, "ts": seconds, "register": registers})
    last_ts = frame.groupby("meter", sort=False)["ts"].max()
    with_register = frame[np.isfinite(registers)].sort_values("ts", kind="stable")
    last = with_register.groupby("meter", sort=False).last()
    newest: dict[str, MeterState] = {}
    for meter, newest_seconds in last_ts.items():
        before = stored.get(str(meter), MeterState())
        before_ts = _as_seconds(before.last_ts)
        ts = max(float(newest_seconds), before_ts) if np.isfinite(before_ts) else float(newest_seconds)
        register = before.last_register_kwh
        if meter in last.index and (
            not np.isfinite(register)
            or not np.isfinite(before_ts)
            or float(last.at[meter, "ts"]) >= before_ts
        ):
            register = float(last.at[meter, "register"])
        newest[str(meter)] = MeterState(np.datetime64(int(ts), "s"), register)
    return newest


def _seconds(ts: Timestamps) -> Seconds:
    return ts.astype("datetime64[s]").astype(np.int64)


def _as_seconds(moment: np.datetime64) -> float:
    return float("nan") if np.isnat(moment) else float(_seconds(np.asarray([moment]))[0])


def _lookup(keys: pd.Series[Any], table: Mapping[Any, float]) -> Floats:
    """``table[key]`` per row, NaN for keys it lacks."""
    return np.asarray(keys.map(dict(table)), dtype=np.float64)
