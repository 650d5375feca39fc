"""The rules every feed applies before a reading or price reaches the store.

CSV drops, MQTT messages and anything added later hand their rows here as they arrived (text or JSON
values, one column per field, with the CSV line number or the message id of each row), so one set of
rules decides what is stored and every feed reports the same problems in the same words.

A row with a bad field is refused and reported ``{line, meter_id | market/product, ts, field,
reason}``; the good rows of the same input are kept and handed to :mod:`luna.domain.energy_sequence`,
which drops duplicates within the input and counts late rows, rows out of order and counter resets.
This module holds the parsing and the field rules, and the entry points that run both.

Validation is vectorised (NumPy and pandas over whole columns) since a backfill file may hold
millions of rows; at most ``max_listed`` problems are listed, their total is always counted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped]

from luna.domain.energy import QUALITIES, QUARTER_S, PriceBatch, ReadingBatch
from luna.domain.energy_sequence import (
    DEFAULT_MAX_LISTED,
    Counts,
    Floats,
    Lines,
    Mask,
    MeterState,
    Problem,
    Timestamps,
    price_sequence,
    reading_sequence,
    utc_seconds,
)
from luna.domain.errors import InvalidInput

#: One input column: ``str`` values (CSV) or an object array of JSON values (MQTT).
Column = npt.NDArray[Any]
Texts = npt.NDArray[np.str_]

READING_COLUMNS: Final = ("meter_id", "ts", "consumption_kw", "production_kw", "voltage", "quality")
REGISTER_COLUMN: Final = "register_kwh"
PRICE_COLUMNS: Final = ("market", "product", "ts", "price_eur_mwh", "volume")

#: The harmonised SDAC clearing price limits (€/MWh).
PRICE_MIN_EUR_MWH: Final = -500.0
PRICE_MAX_EUR_MWH: Final = 4000.0
#: Day-ahead prices are published up to the end of the next day; nothing later can be a real price.
PRICE_HORIZON_S: Final = 2 * 86_400
EARLIEST_TS: Final = np.datetime64("2000-01-01T00:00:00", "s")

METER_ID_PATTERN: Final = r"[A-Za-z0-9._:-]{1,64}"
LABEL_PATTERN: Final = r"[A-Za-z0-9_-]{1,32}"
_DATE_TIME = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
_ZONE = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)"
TS_HINT: Final = "write it with a time zone, e.g. 2025-01-15T13:00:00+01:00 or 2025-01-15T12:00:00Z"


@dataclass(frozen=True)
class ReadingRules:
    """The ranges of ``settings.energy`` that readings must meet."""

    max_kw: float
    voltage_min: float
    voltage_max: float
    future_tolerance_s: int


@dataclass(frozen=True, eq=False)
class RawRows:
    """Rows as they arrived: one object array per column (``str`` from CSV, JSON values from MQTT)
    and the line number (CSV) or message id (MQTT) of each row."""

    line: Lines
    columns: Mapping[str, Column]

    def __len__(self) -> int:
        return int(self.line.shape[0])

    def column(self, name: str) -> Column:
        """The column, or empty values when the input has none (an optional column)."""
        values = self.columns.get(name)
        return values if values is not None else np.full(len(self), "", dtype=object)


@dataclass(frozen=True, eq=False)
class ReadingCheck:
    """Accepted readings (in input order, duplicates within the input removed) and what was found.

    ``newest`` is each meter's state after these rows are stored, so the next input of the same feed
    is judged against it without asking the store again.
    """

    batch: ReadingBatch
    lines: Lines
    counts: Counts
    problems: list[Problem]
    notices: list[Problem]
    newest: dict[str, MeterState]


@dataclass(frozen=True, eq=False)
class PriceCheck:
    batch: PriceBatch
    lines: Lines
    counts: Counts
    problems: list[Problem]
    notices: list[Problem]


#: A refused header is quoted up to this many columns, each up to this many characters.
_SHOWN_COLUMNS: Final = 12
_SHOWN_NAME_CHARS: Final = 60


def check_header(columns: list[str], *, kind: str) -> list[str]:
    """The header's column names when they are the seed's (readings may add ``register_kwh``).

    Raises :class:`InvalidInput` naming the expected header: a file in another layout is refused
    whole rather than guessed at.
    """
    names = [name.strip() for name in columns]
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0][1:]
    expected = list(READING_COLUMNS if kind == "smart_meter_readings" else PRICE_COLUMNS)
    allowed = [expected, [*expected, REGISTER_COLUMN]] if kind == "smart_meter_readings" else [expected]
    if names in allowed:
        return names
    hint = ""
    if len(names) == 1 and ";" in names[0]:
        hint = " The file is separated by ';'; Luna reads comma-separated CSV."
    optional = f" (optionally followed by {REGISTER_COLUMN})" if kind == "smart_meter_readings" else ""
    # A header of a million columns was quoted whole, twice: a 12 MB upload got a 28 MB answer.
    shown = [_printable(name[:_SHOWN_NAME_CHARS]) for name in names[:_SHOWN_COLUMNS]]
    if any(_printable(name) != name for name in names[:_SHOWN_COLUMNS]):
        hint += " It holds control characters: is it a CSV text file at all?"
    more = f",… ({len(names)} columns)" if len(names) > _SHOWN_COLUMNS else ""
    raise InvalidInput(
        f"The header of a {kind} file must be {','.join(expected)}{optional}; "
        f"it is {','.join(shown) or '(empty)'}{more}.{hint}",
        details={"expected": expected, "found": shown, "columns": len(names)},
    )


def _printable(name: str) -> str:
    """A column name as it may be shown in a terminal or a page: control characters (a binary file's
    bytes, escape sequences) as "?"."""
    return "".join(char if char.isprintable() else "?" for char in name)


_FIELD_RANK: Final = {
    name: rank for rank, name in enumerate((*READING_COLUMNS, REGISTER_COLUMN, *PRICE_COLUMNS))
}


class _Findings:
    """Problems found column by column: every bad row is counted, the first ``max_listed`` are listed."""

    def __init__(self, raw: RawRows, describe: Callable[[int], dict[str, Any]], max_listed: int) -> None:
        self.bad = np.zeros(len(raw), dtype=bool)
        self._raw = raw
        self._describe = describe
        self._max_listed = max_listed
        self._listed: list[tuple[int, int, Problem]] = []

    def refuse(self, mask: Mask, name: str, reason: Callable[[int], str]) -> None:
        self.bad |= mask
        rank = _FIELD_RANK.get(name, len(_FIELD_RANK))
        for row in np.flatnonzero(mask)[: self._max_listed]:
            problem = Problem(
                line=int(self._raw.line[row]), field=name, reason=reason(int(row)), **self._describe(int(row))
            )
            self._listed.append((int(row), rank, problem))

    @property
    def rows_bad(self) -> int:
        return int(self.bad.sum())

    def problems(self) -> list[Problem]:
        """The listed problems in input order (within a row, in column order)."""
        ordered = sorted(self._listed, key=lambda found: found[:2])
        return [problem for _, _, problem in ordered[: self._max_listed]]


def _text(values: Column) -> Texts:
    """Values as stripped text ("" for None and NaN)."""
    if values.dtype.kind == "U":
        return np.asarray(np.strings.strip(values), dtype=np.str_)
    stripped = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip() for v in values]
    return np.array(stripped, dtype=np.str_).reshape(len(values))


def _matches(text: Texts, pattern: str) -> Mask:
    """Whether each value matches ``pattern``; each distinct value is matched once (IDs repeat a lot)."""
    distinct, index = np.unique(text, return_inverse=True)
    matched = np.asarray(pd.Series(distinct, dtype=object).str.fullmatch(pattern), dtype=bool)
    return matched[index.reshape(text.shape)]


def _numbers(values: Column) -> tuple[Floats, Mask, Mask]:
    """(value, empty, given but not a finite number) per row; JSON booleans are not numbers."""
    text = _text(values)
    empty = text == ""
    given = ~empty
    if values.dtype == object:
        given &= np.fromiter((not isinstance(v, bool) for v in values), dtype=bool, count=len(values))
    try:  # the common case, a column of plain numbers, at C speed
        numbers = np.where(given, np.where(given, text, "nan").astype(np.float64), np.nan)
    except ValueError:
        parsed = pd.to_numeric(pd.Series(text, dtype=object).where(given), errors="coerce")
        numbers = np.where(given, np.asarray(parsed, dtype=np.float64), np.nan)
    return numbers, empty, ~empty & ~np.isfinite(numbers)


def _timestamps(text: Texts, latest: np.datetime64, findings: _Findings) -> Timestamps:
    """ISO-8601 with a time zone as UTC seconds; naive, malformed and implausible times are refused."""
    series = pd.Series(text, dtype=object)
    zoned = np.asarray(series.str.fullmatch(_DATE_TIME + _ZONE), dtype=bool)
    naive = np.zeros(len(text), dtype=bool)
    naive[~zoned] = np.asarray(series[~zoned].str.fullmatch(_DATE_TIME), dtype=bool)
    parsed = pd.to_datetime(series.where(zoned), format="ISO8601", utc=True, errors="coerce")
    ts = np.asarray(parsed.dt.tz_convert(None).to_numpy(), dtype="datetime64[s]")
    valid = ~np.isnat(ts)
    findings.refuse(text == "", "ts", lambda _: "is required")
    findings.refuse(naive, "ts", lambda _: f"has no time zone; {TS_HINT}")
    findings.refuse(
        ~valid & ~naive & (text != ""),
        "ts",
        lambda row: f"{str(text[row])!r} is not an ISO-8601 time; {TS_HINT}",
    )
    findings.refuse(valid & (ts < EARLIEST_TS), "ts", lambda _: "is before 2000-01-01")
    later = f"is in the future (later than {np.datetime_as_string(latest)}Z)"
    findings.refuse(valid & (ts > latest), "ts", lambda _: later)
    return ts


def _not_a_number(column: Column) -> Callable[[int], str]:
    return lambda row: f"{str(column[row])!r} is not a finite number"


def _above_max_kw(kw: Floats, max_kw: float) -> Callable[[int], str]:
    return lambda row: (
        f"{kw[row]:g} kW is above energy.max_kw ({max_kw:g} kW); was it sent in W instead of kW?"
    )


def distinct_meters(raw: RawRows) -> list[str]:
    """The well-formed meter IDs of the input, each once (whose stored state the validation needs)."""
    meters = np.unique(_text(raw.column("meter_id")))
    return [str(meter) for meter in meters[_matches(meters, METER_ID_PATTERN)]]


def validate_readings(
    raw: RawRows,
    rules: ReadingRules,
    *,
    now: datetime,
    stored: Mapping[str, MeterState],
    max_listed: int = DEFAULT_MAX_LISTED,
    intervals: Mapping[str, int] | None = None,
) -> ReadingCheck:
    """Apply the reading rules to ``raw``; ``stored`` holds the newest stored state of its meters,
    ``intervals`` the reading interval of those known (a row off that grid is refused: each row counts
    as one whole interval of energy, so a row at :30 s on a one-minute meter counted twice)."""
    meter = _text(raw.column("meter_id"))
    ts_text = _text(raw.column("ts"))
    findings = _Findings(raw, lambda row: {"meter_id": str(meter[row]), "ts": str(ts_text[row])}, max_listed)

    findings.refuse(
        ~_matches(meter, METER_ID_PATTERN),
        "meter_id",
        lambda _: "must be 1–64 characters of A–Z a–z 0–9 . _ : -",
    )
    ts = _timestamps(ts_text, utc_seconds(now) + np.timedelta64(rules.future_tolerance_s, "s"), findings)
    if intervals:
        _refuse_off_grid(meter, ts, intervals, findings)
    quality = _text(raw.column("quality"))
    quality = np.where(quality == "", "ok", quality).astype(np.str_)
    findings.refuse(
        ~np.isin(quality, QUALITIES),
        "quality",
        lambda row: f"{str(quality[row])!r} is not ok, estimated or missing (empty means ok)",
    )
    missing = quality == "missing"

    values: dict[str, Floats] = {}
    for name in ("consumption_kw", "production_kw", "voltage", REGISTER_COLUMN):
        column = raw.column(name)
        number, empty, not_finite = _numbers(column)
        values[name] = number
        if name != REGISTER_COLUMN:
            findings.refuse(
                empty & ~missing, name, lambda _: "is required (only quality 'missing' may leave it empty)"
            )
        findings.refuse(not_finite, name, _not_a_number(column))
    for name in ("consumption_kw", "production_kw"):
        kw = values[name]
        findings.refuse(
            kw < 0, name, lambda _: "must not be negative (consumption and production are separate columns)"
        )
        findings.refuse(np.isfinite(kw) & (kw > rules.max_kw), name, _above_max_kw(kw, rules.max_kw))
    volts = values["voltage"]
    findings.refuse(
        np.isfinite(volts) & ((volts < rules.voltage_min) | (volts > rules.voltage_max)),
        "voltage",
        lambda row: f"{volts[row]:g} V is outside {rules.voltage_min:g}…{rules.voltage_max:g} V",
    )
    findings.refuse(values[REGISTER_COLUMN] < 0, REGISTER_COLUMN, lambda _: "must not be negative")

    accepted = np.flatnonzero(~findings.bad)
    batch = ReadingBatch(
        meter_id=meter[accepted],
        ts=ts[accepted],
        consumption_kw=values["consumption_kw"][accepted],
        production_kw=values["production_kw"][accepted],
        voltage=volts[accepted],
        quality=quality[accepted],
        register_kwh=values[REGISTER_COLUMN][accepted],
    )
    sequence = reading_sequence(batch, raw.line[accepted], stored, max_listed=max_listed)
    return ReadingCheck(
        batch=sequence.batch,
        lines=sequence.lines,
        counts=_with_rows(sequence.counts, len(raw), findings),
        problems=findings.problems(),
        notices=sequence.notices,
        newest=sequence.newest,
    )


def _refuse_off_grid(meter: Texts, ts: Timestamps, intervals: Mapping[str, int], findings: _Findings) -> None:
    step = np.fromiter((intervals.get(str(m), 0) for m in meter), dtype=np.int64, count=len(meter))
    off = ~np.isnat(ts) & (step > 0) & (ts.astype("int64") % np.maximum(step, 1) != 0)
    findings.refuse(
        off,
        "ts",
        lambda row: f"is not on this meter's grid: it reads every {every(int(step[row]))} from :00",
    )


def every(seconds: int) -> str:
    """A reading interval as people say it: '15 min', '30 s'."""
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


#: The reading intervals a new meter's first rows may show, and an operator may set (1, 2, 5, 10, 15,
#: 30 and 60 minutes).
USUAL_INTERVALS_S: Final = (60, 120, 300, 600, 900, 1800, 3600)


def reading_interval(ts: Timestamps) -> int | None:
    """The interval a new meter's readings are apart: the greatest common divisor of their distances
    (gaps in the data do not change it), when it is a usual one; None with fewer than two times or
    an unusual spacing (the store's default then stands)."""
    seconds = np.unique(ts[~np.isnat(ts)].astype("int64"))
    if len(seconds) < 2:
        return None
    step = int(np.gcd.reduce(np.diff(seconds)))
    return step if step in USUAL_INTERVALS_S else None


def _with_rows(counts: Counts, rows: int, findings: _Findings) -> Counts:
    """The sequence's ``counts`` with the rows read, passed and refused."""
    return replace(counts, rows=rows, rows_ok=rows - findings.rows_bad, rows_bad=findings.rows_bad)


def validate_prices(
    raw: RawRows,
    *,
    now: datetime,
    stored_last_ts: Mapping[tuple[str, str], np.datetime64],
    max_listed: int = DEFAULT_MAX_LISTED,
) -> PriceCheck:
    """Apply the price rules; ``stored_last_ts`` is the newest stored delivery period per series."""
    market = _text(raw.column("market"))
    product = _text(raw.column("product"))
    ts_text = _text(raw.column("ts"))
    findings = _Findings(
        raw,
        lambda row: {"market": str(market[row]), "product": str(product[row]), "ts": str(ts_text[row])},
        max_listed,
    )
    label = "must be 1–32 characters of A–Z a–z 0–9 _ -"
    findings.refuse(~_matches(market, LABEL_PATTERN), "market", lambda _: label)
    findings.refuse(~_matches(product, LABEL_PATTERN), "product", lambda _: label)
    ts = _timestamps(ts_text, utc_seconds(now) + np.timedelta64(PRICE_HORIZON_S, "s"), findings)
    # A price belongs to a delivery period that starts on the quarter-hour (SDAC since 2025-10-01; the
    # hours before are quarter-hours too): one at 10:07 averaged into the 10:00 quarter as 2,009 €/MWh.
    off_grid = ~np.isnat(ts) & (ts.astype("int64") % QUARTER_S != 0)
    findings.refuse(off_grid, "ts", lambda _: "is not the start of a delivery period (:00, :15, :30 or :45)")
    values: dict[str, Floats] = {}
    for name in ("price_eur_mwh", "volume"):
        column = raw.column(name)
        number, empty, not_finite = _numbers(column)
        values[name] = number
        findings.refuse(empty, name, lambda _: "is required")
        findings.refuse(not_finite, name, _not_a_number(column))
    price = values["price_eur_mwh"]
    findings.refuse(
        np.isfinite(price) & ((price < PRICE_MIN_EUR_MWH) | (price > PRICE_MAX_EUR_MWH)),
        "price_eur_mwh",
        lambda row: (
            f"{price[row]:g} €/MWh is outside the SDAC limits "
            f"{PRICE_MIN_EUR_MWH:g}…{PRICE_MAX_EUR_MWH:g} €/MWh"
        ),
    )
    findings.refuse(values["volume"] < 0, "volume", lambda _: "must not be negative")

    accepted = np.flatnonzero(~findings.bad)
    batch = PriceBatch(
        market=market[accepted],
        product=product[accepted],
        ts=ts[accepted],
        price_eur_mwh=price[accepted],
        volume=values["volume"][accepted],
    )
    prices = price_sequence(batch, raw.line[accepted], stored_last_ts, max_listed=max_listed)
    return PriceCheck(
        batch=prices.batch,
        lines=prices.lines,
        counts=_with_rows(prices.counts, len(raw), findings),
        problems=findings.problems(),
        notices=prices.notices,
    )
