"""CSV drops (issue #4, item 4): files in the blob store's ``sim/`` prefix are imported once by the
worker, good rows kept and bad ones reported by line number, on SQLite and PostgreSQL; the same
import from the shell with `luna feeds import|list`."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from luna.cli.main import app
from luna.container import Container, build_container
from luna.domain.energy import MeterInfo
from luna.domain.jobs import JobStatus
from luna.services.energy import feeds_csv
from luna.settings import Settings
from luna.workers.registry import load_jobs
from luna.workers.runner import (
    CSV_SCAN_JOB,
    queue_csv_scan,
    start_in_process,
    stop_in_process,
)
from tests.contracts.sql_support import BACKENDS
from tests.integration.support import cli_environment, container_on, wait_until

READINGS_HEADER = "meter_id,ts,consumption_kw,production_kw,voltage,quality,register_kwh"
PRICES_HEADER = "market,product,ts,price_eur_mwh,volume"
DAY = (datetime(2025, 1, 15, tzinfo=UTC), datetime(2025, 1, 16, tzinfo=UTC))
MAX_MB = 1
DAY_START = int(datetime(2025, 1, 15, tzinfo=UTC).timestamp())


@pytest.fixture(params=BACKENDS)
def container(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Iterator[Container]:
    with container_on(request, make_settings, LUNA_FEEDS__CSV_MAX_MB=str(MAX_MB)) as built:
        yield built


def csv(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def minute_rows(meter: str, hour: int, minutes: range, kw: float = 0.6) -> list[str]:
    return [f"{meter},2025-01-15T{hour:02d}:{m:02d}:00Z,{kw},0,230,ok," for m in minutes]


def hourly_kwh(container: Container, meter: str) -> dict[int, float]:
    series = container.energy.readings(meter, *DAY, "1h", limit=100)
    at, kwh = series.columns.index("ts"), series.columns.index("consumption_kwh")
    return {row[at].hour: round(row[kwh], 6) for row in series.rows}


def test_a_drop_is_imported_once_keeping_the_good_rows_and_reporting_the_bad_lines(
    container: Container,
) -> None:
    key = "sim/2025-01-15/smart_meter_readings_site7.csv"
    container.blobs.put(
        key,
        csv(
            READINGS_HEADER,
            "m-7,2025-01-15T12:00:00Z,0.6,0,230,ok,100.00",  # line 2
            "m-7,2025-01-15T12:01:00,0.6,0,230,ok,100.01",  # 3: no time zone
            "m-7,2025-01-15T12:02:00Z,600000,0,230,ok,100.02",  # 4: W sent as kW
            "m-7,2025-01-15T12:03:00Z,0.6,0,230",  # 5: too few fields
            "m-7,2025-01-15T12:04:00Z,0.6,0,230,ok,0.05",  # 6: counter reset (accepted)
            "",
            "m-7,2025-01-15T12:05:00Z,,,,missing,",  # 8: a gap the meter reported
        ),
    )
    records = container.services.csv_feeds.scan()

    assert [record.key for record in records] == [key]
    record = records[0]
    assert (record.status, record.kind, record.rows_ok, record.rows_bad) == (
        "imported",
        "smart_meter_readings",
        3,
        3,
    )
    assert [(p["line"], p["field"]) for p in record.report["problems"]] == [
        (3, "ts"),
        (4, "consumption_kw"),
        (5, "row"),
    ]
    assert [(n["line"], n["field"]) for n in record.report["notices"]] == [(6, "register_kwh")]
    assert (record.report["inserted"], record.report["counter_resets"]) == (3, 1)
    assert container.energy.count_readings("m-7") == 3
    assert container.services.csv_feeds.scan() == []  # processed once
    assert container.energy.feed_file(key) == record


def test_a_price_drop_is_imported_and_its_rollups_follow(container: Container) -> None:
    key = "sim/market_prices.csv"
    container.blobs.put(
        key,
        csv(
            PRICES_HEADER,
            "EEX,BASE,2025-01-15T12:00:00+01:00,80.5,1200",
            "EEX,BASE,2025-01-15T12:00:00Z,95.5,900",
            "EEX,BASE,2025-01-15T13:00:00Z,4100,900",  # above the SDAC cap
        ),
    )
    (record,) = container.services.csv_feeds.scan()
    assert (record.kind, record.rows_ok, record.rows_bad) == ("market_prices", 2, 1)
    daily = container.energy.prices("EEX", "BASE", *DAY, "1d", limit=10)
    avg = daily.columns.index("price_eur_mwh_avg")
    assert [row[avg] for row in daily.rows] == [pytest.approx(88.0)]


def test_a_drop_that_cannot_be_imported_is_recorded_failed_with_the_reason(container: Container) -> None:
    container.blobs.put("sim/readings-januar.csv", csv(READINGS_HEADER, *minute_rows("m-1", 12, range(2))))
    container.blobs.put("sim/smart_meter_readings_semicolon.csv", b"meter_id;ts;consumption_kw\nm-1;x;1\n")
    container.blobs.put("sim/smart_meter_readings_huge.csv", b"x" * (MAX_MB * 1024 * 1024 + 1))

    records = {record.key: record for record in container.services.csv_feeds.scan()}

    assert {key: (r.status, r.kind) for key, r in records.items()} == {
        "sim/readings-januar.csv": ("failed", "unknown"),
        "sim/smart_meter_readings_semicolon.csv": ("failed", "smart_meter_readings"),
        "sim/smart_meter_readings_huge.csv": ("failed", "smart_meter_readings"),
    }
    assert "smart_meter_readings*.csv" in records["sim/readings-januar.csv"].report["error"]
    assert "separated by ';'" in records["sim/smart_meter_readings_semicolon.csv"].report["error"]
    assert "feeds.csv_max_mb" in records["sim/smart_meter_readings_huge.csv"].report["error"]
    assert container.energy.count_readings() == 0
    assert container.services.csv_feeds.scan() == []


def test_a_drop_is_read_in_chunks_that_add_up_and_a_second_copy_adds_no_kwh(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feeds_csv, "CHUNK_ROWS", 1000)  # the file below spans four chunks
    minutes = 1500  # 2025-01-15 and the first hour of the next day, two meters
    rows = [
        f"m-{meter},{datetime.fromtimestamp(DAY_START + 60 * i, UTC).isoformat()},0.6,0,230,ok,{i / 100:.2f}"
        for i in range(minutes)
        for meter in (1, 2)
    ]
    rows.insert(1500, "m-1,2025-01-15T12:00:00Z,0.6")  # line 1502, in the second chunk: too few fields
    rows.append(
        f"m-1,{datetime.fromtimestamp(DAY_START, UTC).isoformat()},9.9,0,230,ok,0.00"
    )  # restates line 2
    data = csv(READINGS_HEADER, *rows)
    container.blobs.put("sim/smart_meter_readings_a.csv", data)
    container.blobs.put("sim/smart_meter_readings_b.csv", data)

    first, second = container.services.csv_feeds.scan()

    report = first.report
    assert (report["rows"], report["rows_ok"], report["rows_bad"]) == (2 * minutes + 2, 2 * minutes + 1, 1)
    assert (report["inserted"], report["already_stored"], report["conflicts"]) == (2 * minutes, 1, 1)
    assert [p["line"] for p in report["problems"]] == [1502]
    assert [n["line"] for n in report["notices"]] == [len(rows) + 1]
    assert (second.report["inserted"], second.report["already_stored"]) == (0, 2 * minutes + 1)
    assert container.energy.count_readings() == 2 * minutes
    day = container.energy.daily_totals(*DAY, limit=10).rows
    assert [(row[0], row[2]) for row in day] == [(DAY[0], pytest.approx(2 * 1440 * 0.6 / 60))]


def test_a_corrected_price_sent_again_is_a_conflict_and_the_stored_price_is_kept(
    container: Container,
) -> None:
    """A price file corrected and dropped again was counted only as 'already stored': the operator
    never learnt that the correction did not land."""
    container.services.csv_feeds.upload(
        "market_prices.csv",
        csv(PRICES_HEADER, "EEX,BASE,2025-01-15T12:00:00Z,80,1", "EEX,BASE,2025-01-15T12:15:00Z,81,1"),
    )
    again = container.services.csv_feeds.upload(
        "market_prices.csv",
        csv(
            PRICES_HEADER,
            "EEX,BASE,2025-01-15T12:00:00Z,80,1",  # the same: no notice
            "EEX,BASE,2025-01-15T12:15:00Z,95.5,1",  # corrected
            "EEX,BASE,2025-01-15T12:30:00Z,82,1",  # new
        ),
    )

    report = again.report
    assert (report["inserted"], report["already_stored"], report["conflicts"]) == (1, 2, 1)
    assert [(n["line"], n["market"], n["ts"]) for n in report["notices"]] == [
        (3, "EEX", "2025-01-15T12:15:00Z")
    ]
    assert "stored one is kept" in report["notices"][0]["reason"]
    stored = container.energy.prices("EEX", "BASE", *DAY, "raw", limit=10).rows
    assert [row[1] for row in stored] == [80, 81, 82]


def test_rows_further_apart_than_a_known_meters_interval_get_a_notice_with_the_fix(
    container: Container,
) -> None:
    """A meter first seen over MQTT reads every minute as far as Luna knows; its 15-minute file then
    counted a fifteenth of the energy without a word."""
    container.energy.upsert_meters([MeterInfo("m-60", source="mqtt")])
    rows = [f"m-60,2025-01-15T12:{m:02d}:00Z,1.0,0,230,ok," for m in (0, 15, 30, 45)]

    first = container.services.csv_feeds.upload("smart_meter_readings.csv", csv(READINGS_HEADER, *rows))
    again = container.services.csv_feeds.upload(
        "smart_meter_readings.csv", csv(READINGS_HEADER, "m-60,2025-01-15T13:00:00Z,1.0,0,230,ok,")
    )

    [notice] = first.report["notices"]
    assert (notice["line"], notice["meter_id"]) == (2, "m-60")
    assert "rows are 15 min apart, but the meter is stored as reading every 1 min" in notice["reason"]
    assert 'PATCH /api/v1/admin/meters/m-60 {"interval_s": 900}' in notice["reason"]
    assert len(again.report["notices"]) == 1  # one row, 15 minutes after the stored newest


def test_late_rows_land_and_update_the_rollup_once(container: Container) -> None:
    container.services.csv_feeds.upload(
        "smart_meter_readings.csv", csv(READINGS_HEADER, *minute_rows("m-3", 13, range(60)))
    )
    late = container.services.csv_feeds.upload(
        "smart_meter_readings.csv",
        csv(READINGS_HEADER, *minute_rows("m-3", 12, range(30), kw=1.2), *minute_rows("m-3", 13, range(5))),
    )
    assert (late.report["inserted"], late.report["already_stored"], late.report["late"]) == (30, 5, 35)
    assert hourly_kwh(container, "m-3") == {12: 0.6, 13: 0.6}


def test_the_worker_scans_the_drop_folder_on_its_own(make_settings: Callable[..., Settings]) -> None:
    container = build_container(make_settings(LUNA_FEEDS__CSV_SCAN_SEC="0.2"), load_jobs)
    container.database.upgrade()
    key = "sim/smart_meter_readings_worker.csv"
    try:
        start_in_process(container)
        container.blobs.put(key, csv(READINGS_HEADER, *minute_rows("m-9", 12, range(10))))
        wait_until(lambda: container.energy.feed_file(key) is not None, "the worker imports the drop")
    finally:
        stop_in_process(container)
    jobs = container.services.jobs
    scans, _ = jobs.list(JobStatus.SUCCEEDED, CSV_SCAN_JOB, 100, 0)
    assert any(job.result and key in job.result["keys"] for job in scans)
    assert container.energy.count_readings("m-9") == 10
    container.close()


def test_a_scan_is_queued_only_for_waiting_drops_and_never_twice(container: Container) -> None:
    assert queue_csv_scan(container) is None  # a quiet drop folder adds no job rows
    container.blobs.put("sim/market_prices_q.csv", csv(PRICES_HEADER, "EEX,BASE,2025-01-15T12:00:00Z,80,1"))
    queued = queue_csv_scan(container)
    assert queued is not None and queued.name == CSV_SCAN_JOB
    assert queue_csv_scan(container) is None  # one is queued already
    assert container.services.jobs.list(JobStatus.QUEUED, CSV_SCAN_JOB, 10, 0)[1] == 1


def test_luna_feeds_import_prints_the_report_and_list_shows_the_drop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_environment(monkeypatch, tmp_path, COLUMNS="200")  # tables on one line each
    good = tmp_path / "smart_meter_readings_cli.csv"
    good.write_bytes(
        csv(READINGS_HEADER, *minute_rows("m-5", 12, range(3)), "m-5,2025-01-15T12:09:00Z,0.6,0,999,ok,")
    )
    wrong = tmp_path / "smart_meter_readings_wrong.csv"
    wrong.write_bytes(b"meter,ts\nm-5,2025-01-15T12:00:00Z\n")
    all_bad = tmp_path / "smart_meter_readings_bad.csv"
    all_bad.write_bytes(csv(READINGS_HEADER, "m-5,2025-01-15T12:09:00Z,0.6,0,999,ok,"))
    runner = CliRunner()

    imported = runner.invoke(app, ["feeds", "import", str(good)])
    refused = runner.invoke(app, ["feeds", "import", str(wrong)])
    none_good = runner.invoke(app, ["feeds", "import", str(all_bad)])
    listed = runner.invoke(app, ["feeds", "list"])

    assert imported.exit_code == 0, imported.output
    assert "rows: 3 accepted, 1 refused" in imported.output
    assert re.search(r"\b5\b.*m-5.*voltage.*999 V is outside", imported.output)  # line 5 of the file
    assert refused.exit_code == 1 and "refused: The header" in refused.output
    assert none_good.exit_code == 1 and "None of the file's rows could be imported" in none_good.output
    assert re.search(r"\b2\b.*m-5.*voltage.*999 V is outside", none_good.output)  # why, by line
    assert (
        listed.exit_code == 0
        and "smart_meter_readings_cli.csv" in listed.output
        and "imported" in listed.output
    )
    assert "smart_meter_readings_wrong.csv" not in listed.output
    assert "smart_meter_readings_bad.csv" not in listed.output


def test_luna_feeds_import_refuses_a_fifo_and_prints_no_control_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO was read until a writer came (forever); an ESC sequence in a CSV cell recoloured the
    operator's terminal."""
    cli_environment(monkeypatch, tmp_path, COLUMNS="200")
    fifo = tmp_path / "smart_meter_readings_fifo.csv"
    os.mkfifo(fifo)
    escaped = tmp_path / "smart_meter_readings_esc.csv"
    escaped.write_bytes(
        csv(
            READINGS_HEADER,
            *minute_rows("m-5", 12, range(2)),
            "m\x1b[31mX,2025-01-15T12:09:00Z,0.6,0,999,ok,",
        )
    )

    piped = CliRunner().invoke(app, ["feeds", "import", str(fifo)])
    shown = CliRunner().invoke(app, ["feeds", "import", str(escaped)])

    assert piped.exit_code == 1 and "is not a regular file" in piped.output
    assert shown.exit_code == 0, shown.output
    assert "\x1b" not in shown.output and "m [31mX" in shown.output
