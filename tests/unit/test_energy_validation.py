"""The rules every feed applies to readings and prices (issue #4, item 4): what is stored, what is
refused with which line and reason, and what is counted (duplicates, late, out-of-order, resets)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from luna.domain.energy import ReadingBatch
from luna.domain.energy_sequence import MeterState, stored_conflicts
from luna.domain.energy_validation import (
    RawRows,
    ReadingRules,
    check_header,
    distinct_meters,
    reading_interval,
    validate_prices,
    validate_readings,
)
from luna.domain.errors import InvalidInput

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
RULES = ReadingRules(max_kw=100.0, voltage_min=180.0, voltage_max=260.0, future_tolerance_s=300)
READING = ("meter_id", "ts", "consumption_kw", "production_kw", "voltage", "quality", "register_kwh")
PRICE = ("market", "product", "ts", "price_eur_mwh", "volume")


def csv_rows(header: tuple[str, ...], *lines: str) -> RawRows:
    """Rows as a CSV file gives them: text columns, data lines numbered from 2 (the header is line 1)."""
    cells = [line.split(",") for line in lines]
    columns = {name: np.array([row[i] for row in cells], dtype=np.str_) for i, name in enumerate(header)}
    return RawRows(line=np.arange(2, 2 + len(lines), dtype=np.int64), columns=columns)


def json_rows(*readings: dict[str, Any]) -> RawRows:
    """Rows as an MQTT payload gives them: JSON values, the message id as the line."""
    columns = {
        name: np.fromiter((reading.get(name) for reading in readings), dtype=object, count=len(readings))
        for name in READING
    }
    return RawRows(line=np.arange(1, 1 + len(readings), dtype=np.int64), columns=columns)


def readings(*lines: str, stored: dict[str, MeterState] | None = None, max_listed: int = 200) -> Any:
    raw = csv_rows(READING, *lines)
    return validate_readings(raw, RULES, now=NOW, stored=stored or {}, max_listed=max_listed)


def refused(check: Any) -> list[tuple[int, str]]:
    return [(problem.line, problem.field) for problem in check.problems]


def stored(ts: str, register: float | None = None) -> MeterState:
    return MeterState.of(datetime.fromisoformat(ts), register)


# --- headers -------------------------------------------------------------------------------------


def test_the_seed_headers_are_accepted_and_readings_may_add_a_register() -> None:
    assert check_header(list(READING[:6]), kind="smart_meter_readings") == list(READING[:6])
    assert check_header(list(READING), kind="smart_meter_readings") == list(READING)
    assert check_header(["\ufeffmarket", *PRICE[1:]], kind="market_prices") == list(PRICE)


SEMICOLON_HINT = " The file is separated by ';'; Luna reads comma-separated CSV."


@pytest.mark.parametrize(
    ("header", "kind", "found", "hint"),
    [
        (
            ["meter_id;ts;consumption_kw;production_kw;voltage;quality"],
            "smart_meter_readings",
            "meter_id;ts;consumption_kw;production_kw;voltage;quality",
            SEMICOLON_HINT,
        ),
        (
            ["ts", "meter_id", "consumption_kw", "production_kw", "voltage", "quality"],
            "smart_meter_readings",
            "ts,meter_id,consumption_kw,production_kw,voltage,quality",
            "",
        ),
        ([], "smart_meter_readings", "(empty)", ""),
        (list(READING[:6]), "market_prices", ",".join(READING[:6]), ""),
        ([*PRICE, "register_kwh"], "market_prices", ",".join(PRICE) + ",register_kwh", ""),
        (
            ["PK\x03\x04\x14\x00\x06", "\x1b[2Jx"],
            "market_prices",
            "PK?????,?[2Jx",
            " It holds control characters: is it a CSV text file at all?",
        ),
    ],
)
def test_another_header_refuses_the_file_naming_the_expected_one(
    header: list[str], kind: str, found: str, hint: str
) -> None:
    """The message names the expected header (readings may add register_kwh, prices may not), the
    header found, and, for a file separated by ';', why it does not fit."""
    with pytest.raises(InvalidInput) as error:
        check_header(header, kind=kind)
    if kind == "smart_meter_readings":
        expected = f"{','.join(READING[:6])} (optionally followed by register_kwh)"
    else:
        expected = ",".join(PRICE)
    message = f"The header of a {kind} file must be {expected}; it is {found}.{hint}"
    assert error.value.message == message
    assert error.value.details == {
        "expected": list(READING[:6] if kind == "smart_meter_readings" else PRICE),
        "found": found.split(",") if header else [],
        "columns": len(header),
    }


# --- single readings -----------------------------------------------------------------------------


def test_good_readings_become_a_batch_in_utc_and_empty_quality_means_ok() -> None:
    check = readings(
        "m-1,2025-01-15T13:00:00+01:00,0.42,0.0,231.2,ok,1234.5",
        "m-1,2025-01-15T12:01:00Z,0.5,1.25,229.9,,",
        "m-1,2025-01-15 12:02:00.900+00:00,0.5,0,230,estimated,1234.6",
    )
    assert check.problems == [] and check.counts.rows_ok == 3 and check.counts.rows_bad == 0
    assert check.batch.ts.tolist() == [
        np.datetime64("2025-01-15T12:00:00"),
        np.datetime64("2025-01-15T12:01:00"),
        np.datetime64("2025-01-15T12:02:00"),
    ]
    assert check.batch.quality.tolist() == ["ok", "ok", "estimated"]
    assert check.batch.production_kw.tolist() == [0.0, 1.25, 0.0]
    assert np.isnan(check.batch.register_kwh[1])
    assert check.lines.tolist() == [2, 3, 4]


def test_bad_readings_are_refused_by_line_and_field_and_the_good_ones_kept() -> None:
    check = readings(
        "m-1,2025-01-15T12:00:00Z,0.4,0,230,ok,1",  # 2 good
        "m 1,2025-01-15T12:01:00Z,0.4,0,230,ok,1",  # 3 space in the meter ID
        f"{'m' * 65},2025-01-15T12:01:00Z,0.4,0,230,ok,1",  # 4 too long
        "m-1,2025-01-15T12:02:00,0.4,0,230,ok,1",  # 5 naive ts
        "m-1,15.01.2025 12:03,0.4,0,230,ok,1",  # 6 not ISO
        "m-1,1999-12-31T23:59:59Z,0.4,0,230,ok,1",  # 7 before 2000
        "m-1,2025-06-01T12:10:00Z,0.4,0,230,ok,1",  # 8 ten minutes ahead
        "m-1,2025-06-01T12:04:00Z,0.4,0,230,ok,1",  # 9 good: within the 5-minute tolerance
        "m-1,2025-01-15T12:05:00Z,-0.1,0,230,ok,1",  # 10 negative
        "m-1,2025-01-15T12:06:00Z,420,0,230,ok,1",  # 11 above max_kw
        "m-1,2025-01-15T12:07:00Z,nan,inf,230,ok,1",  # 12 not finite (two fields)
        "m-1,2025-01-15T12:08:00Z,0.4,0,270,ok,1",  # 13 voltage
        "m-1,2025-01-15T12:09:00Z,0.4,0,230,bad,1",  # 14 quality
        "m-1,2025-01-15T12:10:00Z,,0,230,ok,1",  # 15 empty but not 'missing'
        "m-1,2025-01-15T12:11:00Z,,,,missing,",  # 16 good: missing may be empty
        "m-1,2025-01-15T12:12:00Z,0.4,0,230,ok,-5",  # 17 negative register
        "m-1,2025-01-15T12:13:00Z,0,4,0,230,ok",  # 18 German decimal comma shifts the columns
    )
    assert refused(check) == [
        (3, "meter_id"),
        (4, "meter_id"),
        (5, "ts"),
        (6, "ts"),
        (7, "ts"),
        (8, "ts"),
        (10, "consumption_kw"),
        (11, "consumption_kw"),
        (12, "consumption_kw"),
        (12, "production_kw"),
        (13, "voltage"),
        (14, "quality"),
        (15, "consumption_kw"),
        (17, "register_kwh"),
        (18, "voltage"),
        (18, "quality"),
        (18, "register_kwh"),
    ]
    assert check.lines.tolist() == [2, 9, 16]
    assert (check.counts.rows, check.counts.rows_ok, check.counts.rows_bad) == (17, 3, 14)
    reasons = {(p.line, p.field): p.reason for p in check.problems}
    assert "no time zone" in reasons[(5, "ts")] and "+01:00" in reasons[(5, "ts")]
    assert "in W instead of kW" in reasons[(11, "consumption_kw")]
    assert "270 V" in reasons[(13, "voltage")]
    first = check.problems[0]
    assert (first.meter_id, first.ts) == ("m 1", "2025-01-15T12:01:00Z")


def test_json_values_are_judged_like_text_and_booleans_are_not_numbers() -> None:
    raw = json_rows(
        {
            "meter_id": "m-1",
            "ts": "2025-01-15T12:00:00Z",
            "consumption_kw": 0.5,
            "production_kw": 0,
            "voltage": 230,
            "quality": "ok",
            "register_kwh": 10.25,
        },
        {
            "meter_id": "m-1",
            "ts": "2025-01-15T12:01:00Z",
            "consumption_kw": True,
            "production_kw": 0,
            "voltage": 230,
        },
        {"meter_id": "m-1", "ts": 1736942460, "consumption_kw": 0.5, "production_kw": 0, "voltage": 230},
    )
    check = validate_readings(raw, RULES, now=NOW, stored={})
    assert refused(check) == [(2, "consumption_kw"), (3, "ts")]
    assert check.batch.register_kwh.tolist() == [10.25]


def test_only_the_first_problems_are_listed_but_all_are_counted() -> None:
    check = readings(
        *[f"m-1,2025-01-15T12:{minute:02d}:00,1,0,230,ok," for minute in range(30)], max_listed=5
    )
    assert check.counts.rows_bad == 30
    assert [p.line for p in check.problems] == [2, 3, 4, 5, 6]


# --- readings in sequence ------------------------------------------------------------------------


def test_a_repeated_key_in_the_input_is_dropped_and_other_values_are_a_notice() -> None:
    check = readings(
        "m-1,2025-01-15T12:00:00Z,0.4,0,230,ok,",
        "m-1,2025-01-15T13:00:00+01:00,0.4,0,230,ok,",  # same values, same instant
        "m-1,2025-01-15T12:00:00Z,0.9,0,230,ok,",  # same instant, other values
        "m-2,2025-01-15T12:00:00Z,0.9,0,230,ok,",  # another meter
    )
    assert (check.counts.duplicates, check.counts.conflicts) == (2, 1)
    assert check.lines.tolist() == [2, 5]
    assert [(n.line, n.field) for n in check.notices] == [(4, "ts")]
    assert "line 2" in check.notices[0].reason


def test_late_and_out_of_order_readings_are_accepted_and_counted() -> None:
    check = readings(
        "m-1,2025-01-15T12:05:00Z,0.4,0,230,ok,",  # newer than stored
        "m-1,2025-01-15T12:03:00Z,0.4,0,230,ok,",  # out of order in the input, and late
        "m-1,2025-01-15T11:00:00Z,0.4,0,230,ok,",  # out of order, late
        "m-2,2025-01-15T12:00:00Z,0.4,0,230,ok,",  # a meter without stored readings
        stored={"m-1": stored("2025-01-15T12:04:00+00:00")},
    )
    assert check.counts.rows_ok == len(check.batch) == 4
    assert (check.counts.late, check.counts.out_of_order) == (2, 2)
    assert check.newest["m-1"].last_ts == np.datetime64("2025-01-15T12:05:00")
    assert check.newest["m-2"].last_ts == np.datetime64("2025-01-15T12:00:00")


def test_a_register_lower_than_the_one_before_it_in_time_is_a_counter_reset() -> None:
    check = readings(
        "m-1,2025-01-15T12:02:00Z,0.4,0,230,ok,100.2",
        "m-1,2025-01-15T12:01:00Z,0.4,0,230,ok,100.1",  # out of order, but its register fits its time
        "m-1,2025-01-15T12:03:00Z,0.4,0,230,ok,0.1",  # reset within the input
        "m-2,2025-01-15T12:01:00Z,0.4,0,230,ok,3.0",  # lower than the stored register of m-2
        "m-3,2025-01-15T11:00:00Z,0.4,0,230,ok,1.0",  # late: its predecessor in time is unknown
        stored={
            "m-2": stored("2025-01-15T12:00:00+00:00", 50.0),
            "m-3": stored("2025-01-15T12:00:00+00:00", 50.0),
        },
    )
    assert check.counts.counter_resets == 2
    assert [(n.line, n.meter_id, n.field) for n in check.notices] == [
        (4, "m-1", "register_kwh"),
        (5, "m-2", "register_kwh"),
    ]
    assert check.counts.rows_ok == 5
    assert check.newest["m-1"].last_register_kwh == pytest.approx(0.1)
    assert check.newest["m-3"].last_register_kwh == 50.0  # its stored newest reading stays the newest


def test_distinct_meters_are_the_well_formed_ids_whose_state_is_needed() -> None:
    raw = csv_rows(READING, "b,x,,,,,", "a,x,,,,,", "b,x,,,,,", "bad id,x,,,,,")
    assert distinct_meters(raw) == ["a", "b"]


def test_an_accepted_reading_that_differs_from_the_stored_one_is_a_conflict() -> None:
    batch = readings("m-1,2025-01-15T12:00:00Z,0.4,0,230,ok,", "m-1,2025-01-15T12:01:00Z,0.4,0,230,ok,").batch
    on_disk = ReadingBatch(
        meter_id=np.array(["m-1", "m-1"]),
        ts=np.array(["2025-01-15T12:00:00", "2025-01-15T12:01:00"], dtype="datetime64[s]"),
        consumption_kw=np.array([0.4, 0.7]),
        production_kw=np.zeros(2),
        voltage=np.full(2, 230.0),
        quality=np.array(["ok", "ok"]),
        register_kwh=np.full(2, np.nan),
    )
    count, notices = stored_conflicts(batch, np.array([2, 3]), on_disk)
    assert count == 1 and [n.line for n in notices] == [3]


# --- prices --------------------------------------------------------------------------------------


def test_prices_within_the_sdac_limits_are_accepted_and_others_refused() -> None:
    raw = csv_rows(
        PRICE,
        "EEX,BASE,2025-01-15T12:00:00Z,-500,1200",  # 2 the floor
        "EEX,BASE,2025-01-15T13:00:00Z,4000,0",  # 3 the cap, no volume traded
        "EEX,BASE,2025-01-15T14:00:00Z,-500.01,10",  # 4 below the floor
        "EEX,BASE,2025-01-15T15:00:00Z,4000.5,10",  # 5 above the cap
        "EEX,BASE,2025-01-15T16:00:00Z,80,-1",  # 6 negative volume
        "EEX AG,BASE,2025-01-15T17:00:00Z,80,10",  # 7 label with a space
        "EEX,BASE,2025-06-02T22:00:00Z,80,10",  # 8 day-ahead: tomorrow is fine
        "EEX,BASE,2025-06-04T00:00:00Z,80,10",  # 9 too far ahead for a day-ahead price
        "EEX,BASE,2025-01-15T12:00:00Z,-500,1200",  # 10 repeats line 2
    )
    check = validate_prices(
        raw, now=NOW, stored_last_ts={("EEX", "BASE"): np.datetime64("2025-01-15T13:00:00")}
    )
    assert refused(check) == [
        (4, "price_eur_mwh"),
        (5, "price_eur_mwh"),
        (6, "volume"),
        (7, "market"),
        (9, "ts"),
    ]
    assert check.lines.tolist() == [2, 3, 8]
    assert (check.counts.duplicates, check.counts.late, check.counts.rows_bad) == (1, 1, 5)
    assert "SDAC" in check.problems[0].reason
    assert (check.problems[0].market, check.problems[0].product) == ("EEX", "BASE")


@pytest.mark.parametrize(
    ("times", "interval"),
    [
        (["00:00", "00:15", "01:00", "01:15"], 900),  # a gap does not change it
        (["00:00", "00:01", "00:02"], 60),
        (["00:00", "00:00"], None),  # one time
        (["00:00", "00:07"], None),  # 7 minutes is no usual interval: the default stands
    ],
)
def test_a_new_meters_interval_is_read_from_its_rows(times: list[str], interval: int | None) -> None:
    ts = np.array([f"2025-01-15T{hhmm}:00" for hhmm in times], dtype="datetime64[s]")

    assert reading_interval(ts) == interval


def test_a_reading_off_its_meters_grid_is_refused() -> None:
    raw = csv_rows(
        READING,
        "m-1,2025-01-15T10:00:00Z,1,0,230,ok,",
        "m-1,2025-01-15T10:00:30Z,1,0,230,ok,",
        "m-2,2025-01-15T10:00:30Z,1,0,230,ok,",  # its interval is not known: no grid to judge by
    )

    check = validate_readings(raw, RULES, now=NOW, stored={}, intervals={"m-1": 60})

    assert refused(check) == [(3, "ts")]
    assert check.problems[0].reason == "is not on this meter's grid: it reads every 1 min from :00"


def test_a_price_off_the_quarter_hour_is_refused_naming_the_delivery_periods() -> None:
    """One price at 10:07 was averaged into the 10:00 quarter-hour as 2,009.8 €/MWh."""
    raw = csv_rows(
        PRICE,
        "EEX,BASE,2025-01-15T10:00:00Z,20,1",
        "EEX,BASE,2025-01-15T10:07:00Z,3999,1",
        "EEX,BASE,2025-01-15T10:15:30Z,20,1",
        "EEX,BASE,2025-01-15T10:45:00+01:00,20,1",  # 09:45 UTC: on the grid
    )

    check = validate_prices(raw, now=NOW, stored_last_ts={})

    assert refused(check) == [(3, "ts"), (4, "ts")]
    assert check.problems[0].reason == "is not the start of a delivery period (:00, :15, :30 or :45)"
    assert check.lines.tolist() == [2, 5]


def test_a_huge_header_is_quoted_in_part_with_its_column_count() -> None:
    """A header of a million columns was quoted whole in the message and in the details."""
    header = [f"column_{number}" for number in range(1_000_000)]
    with pytest.raises(InvalidInput) as error:
        check_header(header, kind="smart_meter_readings")
    assert len(error.value.message) < 1_000 and "1000000 columns" in error.value.message
    assert error.value.details is not None
    assert len(error.value.details["found"]) == 12 and error.value.details["columns"] == 1_000_000
