"""The simulation writing into the real energy store (SQLite and PostgreSQL): backfill, live ticks, jobs.

Time is a fake clock wherever the service reads it, so live ticks are deterministic; the jobs run on
the real in-process worker and are followed by polling their SQL record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from luna.container import Container, build_container
from luna.domain.energy import ReadingBatch
from luna.domain.errors import Conflict, InvalidInput
from luna.domain.jobs import JobStatus
from luna.domain.sim.market import simulate_prices
from luna.domain.sim.meters import MeterSeries, draw_meters, simulate_meter
from luna.domain.sim.price_stats import peak_mask
from luna.domain.sim.weather import simulate_weather
from luna.ports.energy import EnergyStore
from luna.services.energy.simulation import SimulationService
from luna.services.energy.simulation_batches import reading_step
from luna.services.energy.simulation_live import LiveTotals
from luna.settings import Settings
from luna.workers.registry import load_jobs
from luna.workers.runner import start_in_process
from luna.workers.simulation import queue_demo_backfill, start_demo_live
from tests.contracts.sql_support import BACKENDS
from tests.integration.support import container_on, wait_for_job

BERLIN = ZoneInfo("Europe/Berlin")
MINUTE = timedelta(minutes=1)
MONDAY = datetime(2024, 3, 4, tzinfo=BERLIN)  # 2024-03-03T23:00Z; hourly delivery periods
LATER = datetime(2024, 6, 1, tzinfo=UTC)  # "now" for backfills of March 2024
WAIT_SEC = 60.0


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=BACKENDS)
def container(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Iterator[Container]:
    with container_on(request, make_settings) as built:
        yield built


@pytest.fixture
def store(container: Container) -> EnergyStore:
    return container.energy


def service(container: Container, now: datetime = LATER) -> SimulationService:
    return SimulationService(container.energy, container.settings.sim, clock=FakeClock(now))


def assert_same_readings(stored: ReadingBatch, expected: MeterSeries) -> None:
    """The stored readings are the simulator's series, row by row."""
    np.testing.assert_array_equal(stored.ts, expected.ts)
    np.testing.assert_array_equal(stored.quality, expected.quality)
    for column in ("consumption_kw", "production_kw", "voltage", "register_kwh"):
        np.testing.assert_allclose(
            getattr(stored, column), getattr(expected, column), rtol=1e-9, equal_nan=True
        )


@pytest.mark.parametrize(
    ("interval_sec", "minutes"),
    [(1, 1), (60, 1), (90, 1), (300, 5), (420, 6), (900, 15), (3600, 60), (86_400, 120)],
)
def test_the_reading_step_is_the_longest_simulator_step_within_the_live_interval(
    interval_sec: int, minutes: int
) -> None:
    assert reading_step(interval_sec) == timedelta(minutes=minutes)


def test_backfill_stores_the_simulators_rows_and_a_rerun_stores_nothing_new(
    container: Container, store: EnergyStore
) -> None:
    end = MONDAY + timedelta(days=1)

    first = service(container).backfill(MONDAY, end, meters=3, seed=7)
    again = service(container).backfill(MONDAY, end, meters=3, seed=7)

    assert (first.readings_inserted, first.readings_duplicates) == (3 * 1440, 0)
    assert first.prices_inserted == 2 * (24 + 12)  # EEX and APX labels, BASE 24 h, PEAK 08–20 h (a Monday)
    assert (again.readings_inserted, again.readings_duplicates) == (0, 3 * 1440)
    assert (again.prices_inserted, again.prices_duplicates) == (0, first.prices_inserted)
    assert store.count_readings() == 3 * 1440 and store.count_prices() == first.prices_inserted
    specs = draw_meters(3, container.settings.sim.types_mix, 7, id_prefix="sim-")
    clouds = simulate_weather(MONDAY, end, MINUTE, 7).cloud_cover
    for spec in specs:
        expected = simulate_meter(spec, MONDAY, end, MINUTE, clouds)
        assert_same_readings(store.stored_readings(spec.meter_id, MONDAY, end), expected)
        meter = store.get_meter(spec.meter_id)
        assert meter is not None
        assert (meter.kind, meter.has_pv, meter.pv_kwp, meter.annual_kwh) == (
            spec.type,
            spec.has_pv,
            spec.pv_kwp,
            spec.annual_kwh,
        )
        assert (meter.interval_s, meter.source) == (60, "sim")


def test_a_backfill_across_the_clock_change_and_several_rounds_covers_every_minute_once(
    container: Container, store: EnergyStore
) -> None:
    start, end = datetime(2024, 3, 25, tzinfo=BERLIN), datetime(2024, 4, 2, tzinfo=BERLIN)  # 8 days − 1 h

    summary = service(container).backfill(start, end, meters=1, seed=4)

    assert summary.readings_inserted == store.count_readings() == 191 * 60
    stored = store.stored_readings("sim-000001", start, end)
    assert np.all(np.diff(stored.ts.astype("datetime64[s]").astype(np.int64)) == 60)
    assert len(store.prices("EEX", "BASE", start, end, "raw", limit=1000).rows) == 191


def test_prices_go_under_every_label_and_peak_holds_only_peak_periods(
    container: Container, store: EnergyStore
) -> None:
    friday, tuesday = datetime(2024, 3, 1, tzinfo=BERLIN), datetime(2024, 3, 5, tzinfo=BERLIN)
    service(container).backfill(friday, tuesday, meters=1, seed=3)

    rows = {
        (market, product): store.prices(market, product, friday, tuesday, "raw", limit=1000).rows
        for market in ("EEX", "APX")
        for product in ("BASE", "PEAK")
    }

    simulated = simulate_prices(friday, tuesday, 3)
    peak = peak_mask(simulated.ts)
    assert len(rows["EEX", "BASE"]) == 4 * 24 and len(rows["EEX", "PEAK"]) == 2 * 12  # Fri and Mon only
    assert rows["EEX", "BASE"] == rows["APX", "BASE"] and rows["EEX", "PEAK"] == rows["APX", "PEAK"]
    base_prices = [price for _, price, _ in rows["EEX", "BASE"]]
    assert base_prices == pytest.approx(simulated.price_eur_mwh.tolist())
    peak_starts = [ts.astimezone(BERLIN) for ts, _, _ in rows["EEX", "PEAK"]]
    assert all(start.weekday() in (0, 4) and 8 <= start.hour < 20 for start in peak_starts)
    assert [price for _, price, _ in rows["EEX", "PEAK"]] == pytest.approx(
        simulated.price_eur_mwh[peak].tolist()
    )


def test_prices_follow_the_quarter_hour_market_and_only_the_configured_products(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(LUNA_SIM__PRODUCTS="PEAK", LUNA_SIM__MARKETS="EPEX")
    container = build_container(settings, load_jobs)
    try:
        container.database.upgrade()
        day = datetime(2025, 10, 1, tzinfo=BERLIN)  # a Wednesday on the 15-minute market
        summary = service(container, now=datetime(2025, 11, 1, tzinfo=UTC)).backfill(
            day, day + timedelta(days=1), meters=1, seed=3
        )
        series = {
            (market, product): count for market, product, _, _, count in container.energy.price_series()
        }
    finally:
        container.close()
    assert summary.prices_inserted == 48
    assert series == {("EPEX", "PEAK"): 48}


@pytest.mark.parametrize(
    ("start", "end", "options", "problem"),
    [
        (MONDAY + timedelta(seconds=30), MONDAY + timedelta(hours=1), {}, "1-minute grid"),
        (MONDAY, MONDAY, {}, "must be after"),
        (datetime(1999, 12, 31, tzinfo=UTC), datetime(2000, 1, 2, tzinfo=UTC), {}, "simulator covers"),
        # Berlin's midnight of the year 1 is off the grid (+00:53:28), but the year is what is wrong.
        (datetime(1, 1, 1, tzinfo=BERLIN), datetime(2000, 1, 2, tzinfo=UTC), {}, "simulator covers"),
        (MONDAY, LATER + timedelta(minutes=1), {}, "in the future"),
        (MONDAY, MONDAY + timedelta(hours=1), {"meters": 0}, "meters must be"),
        (MONDAY, MONDAY + timedelta(hours=1), {"seed": -1}, "seed must be"),
        # 100,000 meters over 24 years: 1.3 trillion rows, refused by size before a meter is drawn.
        (
            datetime(2000, 1, 2, tzinfo=UTC),
            datetime(2024, 1, 2, tzinfo=UTC),
            {"meters": 100_000},
            r"would write 1,262,304,000,000 readings \(100,000 meters × 12,623,040 1-minute intervals\); "
            r"one run writes at most 100,000,000 \(sim.max_backfill_rows\)",
        ),
    ],
)
def test_bad_backfills_are_refused_with_the_reason_and_store_nothing(
    container: Container,
    store: EnergyStore,
    start: datetime,
    end: datetime,
    options: dict[str, int],
    problem: str,
) -> None:
    with pytest.raises(InvalidInput, match=problem):
        service(container).backfill(start, end, options.get("meters"), options.get("seed"))

    assert (store.count_meters(), store.count_readings(), store.count_prices()) == (0, 0, 0)


def test_another_fleet_under_the_same_ids_is_refused_and_changes_nothing(
    container: Container, store: EnergyStore
) -> None:
    hour = MONDAY + timedelta(hours=1)
    service(container).backfill(MONDAY, hour, meters=3, seed=7)
    before = store.list_meters()

    for meters, seed in ((3, 8), (5, 8)):
        with pytest.raises(Conflict, match=f"{meters} meters, seed {seed}"):
            service(container).backfill(hour, hour + timedelta(hours=1), meters, seed)

    assert store.list_meters() == before and store.count_readings() == 3 * 60


def test_more_meters_of_the_same_seed_extend_the_stored_fleet(
    container: Container, store: EnergyStore
) -> None:
    hour = MONDAY + timedelta(hours=1)
    service(container).backfill(MONDAY, hour, meters=3, seed=7)
    before = store.list_meters()

    service(container).backfill(MONDAY, hour, meters=5, seed=7)

    after = store.list_meters()
    assert [m.meter_id for m in after[:3]] == [m.meter_id for m in before]
    assert [(m.kind, m.has_pv, m.annual_kwh) for m in after[:3]] == [
        (m.kind, m.has_pv, m.annual_kwh) for m in before
    ]
    assert len(after) == 5 and store.count_readings() == 5 * 60


def test_meter_ticks_write_exactly_the_completed_intervals_and_never_the_future(
    container: Container, store: EnergyStore
) -> None:
    clock = FakeClock(datetime(2024, 3, 4, 10, 30, 20, tzinfo=UTC))
    live = service(container).live(meters=2, seed=5)
    meters = live.meters

    first = live.meter_tick(clock.now)
    same_minute = live.meter_tick(clock.now.replace(second=50))
    three_more = live.meter_tick(datetime(2024, 3, 4, 10, 33, tzinfo=UTC))

    assert (first.inserted, same_minute.inserted, three_more.inserted) == (2 * 60, 0, 2 * 3)
    assert same_minute.duplicates == three_more.duplicates == 0
    stored = store.stored_readings(
        meters[0], datetime(2024, 3, 4, tzinfo=UTC), datetime(2024, 3, 5, tzinfo=UTC)
    )
    assert stored.ts[0] == np.datetime64("2024-03-04T09:30:00") and stored.ts[-1] == np.datetime64(
        "2024-03-04T10:32:00"
    )
    assert len(stored) == 63  # one catch-up hour, then each minute once, nothing at or after 10:33
    # What the live loop wrote is what a backfill writes: repeating the range only finds duplicates.
    backfill = service(container).backfill(
        datetime(2024, 3, 4, 9, tzinfo=UTC), datetime(2024, 3, 4, 10, 33, tzinfo=UTC), meters=2, seed=5
    )
    assert (backfill.readings_inserted, backfill.readings_duplicates) == (2 * 30, 2 * 63)


def test_a_live_fleet_beyond_the_live_limit_is_refused_before_a_meter_is_drawn_or_stored(
    container: Container, store: EnergyStore
) -> None:
    limit = container.settings.sim.max_live_meters

    with pytest.raises(
        InvalidInput, match=f"at most {limit:,} meters \\(sim.max_live_meters\\), not 100,000"
    ):
        service(container).live(meters=100_000, seed=5)

    assert store.count_meters() == 0


def test_a_stop_request_ends_a_meter_tick_between_meters_keeping_what_it_wrote(
    container: Container, store: EnergyStore
) -> None:
    """A first tick of thousands of meters simulates a day for each (a minute); a stop must not wait."""
    live = service(container).live(meters=4, seed=5)
    asked = 0

    def stop_after_two_meters() -> bool:
        nonlocal asked
        asked += 1
        return asked > 2

    stopped = live.meter_tick(datetime(2024, 3, 4, 10, 30, tzinfo=UTC), stop_after_two_meters)
    resumed = live.meter_tick(datetime(2024, 3, 4, 10, 30, tzinfo=UTC))

    assert (stopped.inserted, resumed.inserted, resumed.duplicates) == (2 * 60, 2 * 60, 0)
    assert store.count_readings() == 4 * 60


def test_meter_ticks_resume_after_the_stored_readings_and_catch_up_at_most_an_hour(
    container: Container, store: EnergyStore
) -> None:
    service(container).backfill(MONDAY, MONDAY + timedelta(hours=2), meters=2, seed=5)  # to 01:00Z
    live = service(container).live(meters=2, seed=5)

    resumed = live.meter_tick(datetime(2024, 3, 4, 1, 20, 5, tzinfo=UTC))
    after_a_pause = live.meter_tick(datetime(2024, 3, 4, 6, 0, 0, tzinfo=UTC))

    assert resumed.inserted == 2 * 20 and resumed.duplicates == 0
    assert after_a_pause.inserted == 2 * 60
    meter = store.get_meter(live.meters[1])
    assert meter is not None and meter.last_ts == datetime(2024, 3, 4, 5, 59, tzinfo=UTC)
    assert store.count_readings(live.meters[1]) == 120 + 20 + 60  # the gap 01:20–05:00 stays for a backfill


def test_meter_ticks_across_the_simulation_day_boundary_match_one_simulation(
    container: Container, store: EnergyStore
) -> None:
    live = service(container).live(meters=1, seed=11)
    for minute in range(90, 151, 7):  # 01:30Z … 02:30Z: the simulator's day changes at 02:00Z
        live.meter_tick(datetime(2024, 3, 4, 0, 0, tzinfo=UTC) + timedelta(minutes=minute))

    # The first tick catches up from 00:30, the last one (02:26) writes up to 02:25.
    start, end = datetime(2024, 3, 4, 0, 30, tzinfo=UTC), datetime(2024, 3, 4, 2, 26, tzinfo=UTC)
    spec = draw_meters(1, container.settings.sim.types_mix, 11, id_prefix="sim-")[0]
    expected = simulate_meter(spec, start, end, MINUTE, simulate_weather(start, end, MINUTE, 11).cloud_cover)
    stored = store.stored_readings(spec.meter_id, start - timedelta(hours=1), end + timedelta(hours=1))
    assert_same_readings(stored, expected)


def test_market_ticks_publish_tomorrow_only_after_12_45_berlin(
    container: Container, store: EnergyStore
) -> None:
    live = service(container).live(meters=1, seed=2)

    morning = live.market_tick(datetime(2024, 3, 4, 11, 44, tzinfo=UTC))  # 12:44 Berlin
    published = live.market_tick(datetime(2024, 3, 4, 11, 45, tzinfo=UTC))  # 12:45 Berlin
    later = live.market_tick(datetime(2024, 3, 4, 20, 0, tzinfo=UTC))
    next_morning = live.market_tick(datetime(2024, 3, 5, 8, 0, tzinfo=UTC))

    per_day = 2 * (24 + 12)  # two labels, BASE and PEAK of a weekday
    assert (morning.inserted, published.inserted, later.inserted, next_morning.inserted) == (
        per_day,
        per_day,
        0,
        0,
    )
    series = {(m, p): (first, last) for m, p, first, last, _ in store.price_series()}
    assert series["EEX", "BASE"] == (
        datetime(2024, 3, 3, 23, tzinfo=UTC),  # 00:00 Berlin today
        datetime(2024, 3, 5, 22, tzinfo=UTC),  # 23:00 Berlin tomorrow
    )


def test_the_loops_tick_on_their_intervals_and_stop_within_a_slice(
    container: Container, store: EnergyStore
) -> None:
    start = datetime(2024, 3, 4, 10, 0, 30, tzinfo=UTC)
    clock = FakeClock(start)
    stop_at = start + timedelta(minutes=10)
    asked_after_stop: list[datetime] = []

    def sleep(seconds: float) -> None:
        clock.now += timedelta(seconds=seconds)

    def should_stop() -> bool:
        if clock.now >= stop_at:
            asked_after_stop.append(clock.now)
        return clock.now >= stop_at

    reports: list[LiveTotals] = []
    simulation = SimulationService(container.energy, container.settings.sim, clock=clock)
    totals = simulation.live(meters=2, seed=5).run(should_stop, reports.append, sleep=sleep)

    # Meters every 60 s (settings default), market every 300 s, both at the start: 10:00:30, 10:01 … 10:10.
    assert (totals.meter_ticks, totals.market_ticks) == (11, 3)
    assert totals.readings_inserted == 2 * (60 + 10) and totals.failed_ticks == 0
    assert totals.readings_until == datetime(2024, 3, 4, 10, 10, tzinfo=UTC)
    assert store.count_readings() == 2 * 70 and store.count_prices() == totals.prices_inserted > 0
    assert len(reports) == 11 and asked_after_stop[0] - stop_at <= timedelta(seconds=0.25)


def test_the_backfill_job_runs_on_the_worker_with_progress_and_a_summary(
    container: Container, store: EnergyStore
) -> None:
    jobs = container.services.jobs
    start_in_process(container)

    job = jobs.submit(
        "sim.backfill", {"start": "2024-03-04", "end": "2024-03-05T00:00:00+01:00", "meters": 2, "seed": 1}
    )
    done = wait_for_job(jobs, job.job_id, lambda job: job.status.is_finished, within=WAIT_SEC)

    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.progress == 1.0 and done.result is not None
    assert done.result["readings_inserted"] == 2 * 1440 and done.result["rows_per_sec"] > 0
    assert done.result["from"] == "2024-03-04T00:00:00+01:00"
    assert store.count_readings() == 2 * 1440


def test_a_backfill_job_with_a_bad_range_fails_with_the_reason(
    container: Container, store: EnergyStore
) -> None:
    jobs = container.services.jobs
    start_in_process(container)

    job = jobs.submit("sim.backfill", {"start": "2024-03-05", "end": "2024-03-04T12:00"})
    done = wait_for_job(jobs, job.job_id, lambda job: job.status.is_finished, within=WAIT_SEC)

    assert done.status is JobStatus.FAILED and "needs a time zone" in (done.error or "")
    assert store.count_meters() == 0


def test_the_demo_backfill_and_live_simulation_are_queued_once_while_there_are_no_readings(
    make_settings: Callable[..., Settings],
) -> None:
    container = build_container(
        make_settings(LUNA_SIM__DEMO_BACKFILL_DAYS="2", LUNA_SIM__METERS="3", LUNA_JOBS__WORKERS="2"),
        load_jobs,
    )
    try:
        container.database.upgrade()
        jobs = container.services.jobs
        before = datetime.now(UTC)

        queued = queue_demo_backfill(container)
        while_queued = queue_demo_backfill(container)
        assert queued is not None and while_queued is None
        live = start_demo_live(container)
        assert live is not None and (live.name, live.params) == ("sim.live", {"meters": 3, "seed": 42})
        assert start_demo_live(container) is None  # one live simulation at a time
        single = build_container(
            make_settings(LUNA_SIM__DEMO_BACKFILL_DAYS="2", LUNA_JOBS__WORKERS="1"), load_jobs
        )
        try:
            assert start_demo_live(single) is None  # it would hold the only worker
        finally:
            single.close()
        jobs.cancel(queued.job_id)
        jobs.cancel(live.job_id)
        service(container, now=datetime(2024, 3, 5, tzinfo=UTC)).backfill(
            MONDAY, MONDAY + timedelta(hours=1), meters=3, seed=42
        )
        with_readings = queue_demo_backfill(container)
    finally:
        container.close()

    assert with_readings is None
    params = queued.params
    start, end = datetime.fromisoformat(params["start"]), datetime.fromisoformat(params["end"])
    assert (params["meters"], params["seed"], end - start) == (3, 42, timedelta(days=2))
    assert before - MINUTE <= end <= datetime.now(UTC) and end.second == 0 and end.microsecond == 0


def test_no_demo_backfill_when_it_is_switched_off(make_settings: Callable[..., Settings]) -> None:
    container = build_container(make_settings(), load_jobs)  # the test profile sets sim.demo_backfill_days: 0
    try:
        container.database.upgrade()
        assert queue_demo_backfill(container) is None
    finally:
        container.close()
